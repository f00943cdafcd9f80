# cell: attention_reference
# loses: test_attention_reference
"""The scores are q k^T without the 1/sqrt(D) scale (and an explicit scale is ignored)."""


def attention_reference(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False, scale: float | None = None
):
    """softmax(scale * q k^T [causal-masked]) v and the row log-sum-exp: (o (B, H, N, D), lse (B, H, N))."""
    check_qkv(q, k, v)
    n, d = q.shape[-2:]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    dtype = accumulate_dtype(q)
    s = q.to(dtype) @ k.to(dtype).transpose(-2, -1)  # (B, H, N, N)
    if causal:
        above = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1)
        s = s.masked_fill(above, float("-inf"))
    lse = torch.logsumexp(s, dim=-1)  # (B, H, N)
    p = torch.exp(s - lse[..., None])
    return (p @ v.to(dtype)).to(q.dtype), lse
