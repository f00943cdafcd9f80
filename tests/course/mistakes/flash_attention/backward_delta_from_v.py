# cell: flash_attention_backward
# loses: test_flash_attention_backward, test_flash_attention_autograd
"""D is computed as rowsum(dO * V) instead of rowsum(dO * O)."""


def flash_attention_backward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    o: torch.Tensor,
    lse: torch.Tensor,
    do: torch.Tensor,
    causal: bool = False,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
):
    """Gradients (dq, dk, dv) of attention, recomputing P block by block from lse; D = rowsum(dO * O)."""
    check_qkv(q, k, v)
    check_block("block_q", block_q)
    check_block("block_k", block_k)
    if o.shape != q.shape or do.shape != q.shape or lse.shape != q.shape[:-1]:
        raise ValueError("o and do must have q's shape (B, H, N, D), and lse the shape (B, H, N)")
    n, d = q.shape[-2:]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    dtypes = q.dtype, k.dtype, v.dtype
    dtype = accumulate_dtype(q)
    q, k, v, o, do, lse = (t.to(dtype) for t in (q, k, v, o, do, lse))
    delta = (do * v).sum(dim=-1)
    dq, dk, dv = torch.zeros_like(q), torch.zeros_like(k), torch.zeros_like(v)
    for ks in range(0, n, block_k):  # outer loop over key blocks: dK_j and dV_j stay local
        ke = min(ks + block_k, n)
        k_j, v_j = k[:, :, ks:ke], v[:, :, ks:ke]
        # causal: query blocks that end before ks see none of these keys
        for qs in range((ks // block_q) * block_q if causal else 0, n, block_q):
            qe = min(qs + block_q, n)
            q_i, do_i = q[:, :, qs:qe], do[:, :, qs:qe]
            s = (q_i @ k_j.transpose(-2, -1)) * scale
            if causal and ke - 1 > qs:
                rows = torch.arange(qs, qe, device=q.device)[:, None]
                cols = torch.arange(ks, ke, device=q.device)[None, :]
                s = s.masked_fill(cols > rows, float("-inf"))
            p = torch.exp(s - lse[:, :, qs:qe, None])  # P recomputed from the saved lse
            dv[:, :, ks:ke] += p.transpose(-2, -1) @ do_i
            dp = do_i @ v_j.transpose(-2, -1)
            ds = p * (dp - delta[:, :, qs:qe, None])
            dq[:, :, qs:qe] += (ds @ k_j) * scale
            dk[:, :, ks:ke] += (ds.transpose(-2, -1) @ q_i) * scale
    return dq.to(dtypes[0]), dk.to(dtypes[1]), dv.to(dtypes[2])
