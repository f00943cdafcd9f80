# cell: flash_attention_forward
# loses: test_flash_attention_forward, test_flash_attention_forward_memory, test_flash_attention_autograd
"""The output accumulator is not rescaled by exp(m_old - m_new) when a later key block raises the row maximum."""


def flash_attention_forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    causal: bool = False,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
):
    """Tiled attention with an online softmax, query blocks outside: (o (B, H, N, D), lse (B, H, N))."""
    check_qkv(q, k, v)
    check_block("block_q", block_q)
    check_block("block_k", block_k)
    b, h, n, d = q.shape
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    dtype = accumulate_dtype(q)
    o = torch.empty_like(q)
    lse = torch.empty(b, h, n, dtype=dtype, device=q.device)
    for qs in range(0, n, block_q):
        qe = min(qs + block_q, n)
        q_i = q[:, :, qs:qe].to(dtype) * scale  # (B, H, bq, D)
        m = torch.full((b, h, qe - qs), float("-inf"), dtype=dtype, device=q.device)
        total = torch.zeros(b, h, qe - qs, dtype=dtype, device=q.device)
        acc = torch.zeros(b, h, qe - qs, d, dtype=dtype, device=q.device)
        # causal: key blocks starting at or after qe lie entirely above the diagonal, so stop before them
        for ks in range(0, qe if causal else n, block_k):
            ke = min(ks + block_k, n)
            s = q_i @ k[:, :, ks:ke].to(dtype).transpose(-2, -1)  # (B, H, bq, bk)
            if causal and ke - 1 > qs:  # this block straddles the diagonal
                rows = torch.arange(qs, qe, device=q.device)[:, None]
                cols = torch.arange(ks, ke, device=q.device)[None, :]
                s = s.masked_fill(cols > rows, float("-inf"))
            m_new = torch.maximum(m, s.amax(dim=-1))
            alpha = torch.exp(m - m_new)  # moves what was accumulated under the old maximum to the new one
            p = torch.exp(s - m_new[..., None])
            total = total * alpha + p.sum(dim=-1)
            acc = acc + p @ v[:, :, ks:ke].to(dtype)
            m = m_new
        o[:, :, qs:qe] = (acc / total[..., None]).to(q.dtype)
        lse[:, :, qs:qe] = m + torch.log(total)
    return o, lse
