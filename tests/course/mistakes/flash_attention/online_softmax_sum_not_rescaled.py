# cell: online_softmax
# loses: test_online_softmax
"""The running sum is not rescaled by exp(m_old - m_new) when a block raises the maximum."""


def online_softmax(x: torch.Tensor, block: int = 128) -> torch.Tensor:
    """Softmax over the last axis, reading it block by block with a running max and a rescaled running sum."""
    check_block("block", block)
    dtype = accumulate_dtype(x)
    m = torch.full(x.shape[:-1], float("-inf"), dtype=dtype, device=x.device)
    total = torch.zeros(x.shape[:-1], dtype=dtype, device=x.device)
    for start in range(0, x.shape[-1], block):
        chunk = x[..., start : start + block].to(dtype)
        m_new = torch.maximum(m, chunk.amax(dim=-1))
        total = total + torch.exp(chunk - m_new[..., None]).sum(dim=-1)
        m = m_new
    return (torch.exp(x.to(dtype) - m[..., None]) / total[..., None]).to(x.dtype)
