# cell: apply_rope
# loses: test_apply_rope
"""Pairs channel i with channel i + D/2 (the GPT-NeoX layout) instead of the adjacent pair (2i, 2i+1) the contract names."""


def apply_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate channel pairs (2i, 2i+1) of x[..., m, :] by positions[m] * base**(-2i/D); same shape and dtype."""
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"RoPE rotates pairs of channels, so D must be even; got D = {d}")
    if positions.shape != (x.shape[-2],):
        raise ValueError(f"positions must have shape (N,) = ({x.shape[-2]},); got {tuple(positions.shape)}")
    dtype = accumulate_dtype(x)
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=dtype, device=x.device) / d)  # (D/2,)
    angles = positions.to(dtype)[:, None] * inv_freq  # (N, D/2)
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., : d // 2].to(dtype), x[..., d // 2 :].to(dtype)
    return torch.cat((even * cos - odd * sin, even * sin + odd * cos), dim=-1).to(x.dtype)
