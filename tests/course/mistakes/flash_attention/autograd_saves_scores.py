# cell: flash_attention
# loses: test_flash_attention_autograd
"""forward saves the N x N probabilities P for backward besides q, k, v, o, lse: the O(N^2) memory tiling avoided."""


class FlashAttention(torch.autograd.Function):
    """Attention whose backward pass recomputes P from the saved (q, k, v, o, lse)."""

    @staticmethod
    def forward(ctx, q, k, v, causal=False, scale=None):
        o, lse = flash_attention_forward(q, k, v, causal, scale)
        p = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1]), dim=-1)
        ctx.save_for_backward(q, k, v, o, lse, p)
        ctx.causal, ctx.scale = causal, scale
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v, o, lse, _ = ctx.saved_tensors
        dq, dk, dv = flash_attention_backward(q, k, v, o, lse, do, ctx.causal, ctx.scale)
        return dq, dk, dv, None, None


def flash_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False, scale: float | None = None
) -> torch.Tensor:
    """Attention output o (B, H, N, D), differentiable through FlashAttention."""
    return FlashAttention.apply(q, k, v, causal, scale)
