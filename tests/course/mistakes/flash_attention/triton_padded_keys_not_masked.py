# cell: flash_attention_triton
# loses: test_flash_attention_triton
"""The padded keys of a partial last block are loaded as zeros but their scores are not set to -inf, so each adds exp(0 - m) to the softmax (N = 17)."""


@triton.jit
def flash_forward_kernel(
    Q,
    K,
    V,
    O,  # noqa: E741 (the output, named as in the paper)
    LSE,
    n,
    scale,
    D: tl.constexpr,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    CAUSAL: tl.constexpr,
):
    """One program per (query block, batch-head): O and LSE rows of that block, keys streamed in blocks."""
    start_q = tl.program_id(0) * BLOCK_Q
    bh = tl.program_id(1).to(tl.int64)
    head = bh * n * D  # where this (batch, head) starts in a contiguous (B, H, N, D) tensor
    rows = start_q + tl.arange(0, BLOCK_Q)
    dims = tl.arange(0, D)
    q = tl.load(Q + head + rows[:, None] * D + dims[None, :], mask=rows[:, None] < n, other=0.0)
    m = tl.full((BLOCK_Q,), float("-inf"), tl.float32)
    total = tl.zeros((BLOCK_Q,), tl.float32)
    acc = tl.zeros((BLOCK_Q, D), tl.float32)
    qk_scale = scale * 1.4426950408889634  # base 2 from here on: exp(x) = exp2(x * log2(e))
    if CAUSAL:
        end = tl.minimum(start_q + BLOCK_Q, n)  # key blocks past the diagonal are never visited
    else:
        end = n
    for start_k in range(0, end, BLOCK_K):
        cols = start_k + tl.arange(0, BLOCK_K)
        k = tl.load(K + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
        v = tl.load(V + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
        s = tl.dot(q, tl.trans(k)) * qk_scale  # (BLOCK_Q, BLOCK_K)
        if CAUSAL:
            s = tl.where(cols[None, :] <= rows[:, None], s, float("-inf"))
        m_new = tl.maximum(m, tl.max(s, 1))
        alpha = tl.exp2(m - m_new)
        p = tl.exp2(s - m_new[:, None])
        total = total * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m = m_new
    acc = acc / total[:, None]
    tl.store(O + head + rows[:, None] * D + dims[None, :], acc.to(O.dtype.element_ty), mask=rows[:, None] < n)
    tl.store(LSE + bh * n + rows, (m + tl.log2(total)) * 0.6931471805599453, mask=rows < n)


def flash_attention_triton(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False, scale: float | None = None
):
    """Forward pass in one Triton kernel launch: (o in q's dtype, lse float32 (B, H, N))."""
    check_qkv(q, k, v)
    b, h, n, d = q.shape
    if d not in (16, 32, 64, 128):
        raise ValueError(f"the Triton kernels take D in (16, 32, 64, 128), got D = {d}")
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    device = q.device
    q, k, v = (t.to(DEVICE).contiguous() for t in (q, k, v))
    o = torch.empty_like(q)
    lse = torch.empty(b, h, n, dtype=torch.float32, device=q.device)
    block = 64
    grid = (triton.cdiv(n, block), b * h)
    flash_forward_kernel[grid](q, k, v, o, lse, n, scale, D=d, BLOCK_Q=block, BLOCK_K=block, CAUSAL=bool(causal))
    return o.to(device), lse.to(device)
