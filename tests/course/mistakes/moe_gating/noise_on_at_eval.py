# cell: noisy_top_k_gating
# loses: test_noisy_top_k_gating
"""The noise is added whatever `train` says, so evaluation is noisy and not reproducible."""


def noisy_top_k_gating(
    x: torch.Tensor, w_gate: torch.Tensor, w_noise: torch.Tensor, k: int, train: bool, generator=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k gating on x @ w_gate plus, in training only, Gaussian noise scaled by softplus(x @ w_noise)."""
    logits = x @ w_gate
    if True:
        noise = torch.randn(logits.shape[0], logits.shape[1], generator=generator, dtype=x.dtype)
        logits = logits + noise * F.softplus(x @ w_noise)
    return top_k_gating(logits, k)
