# cell: flash_attention_triton_backward
# loses: test_flash_attention_triton_backward
"""The dQ kernel forgets the final multiplication by the scale (dQ = scale * dS K)."""


# Two kernels rather than one with atomics: every gradient is written once with plain stores, so the
# result is deterministic and no programs contend on dQ; the price is recomputing S, P and dP twice.


@triton.jit
def flash_backward_dkdv_kernel(
    Q,
    K,
    V,
    DO,
    LSE,
    DELTA,
    DK,
    DV,
    n,
    scale,
    D: tl.constexpr,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    CAUSAL: tl.constexpr,
):
    """One program per (key block, batch-head): dK_j and dV_j, looping over query blocks."""
    start_k = tl.program_id(0) * BLOCK_K
    bh = tl.program_id(1).to(tl.int64)
    head = bh * n * D
    cols = start_k + tl.arange(0, BLOCK_K)
    dims = tl.arange(0, D)
    k = tl.load(K + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
    v = tl.load(V + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
    dk = tl.zeros((BLOCK_K, D), tl.float32)
    dv = tl.zeros((BLOCK_K, D), tl.float32)
    qk_scale = scale * 1.4426950408889634
    if CAUSAL:
        begin = (start_k // BLOCK_Q) * BLOCK_Q  # earlier query blocks never see these keys
    else:
        begin = 0
    for start_q in range(begin, n, BLOCK_Q):
        rows = start_q + tl.arange(0, BLOCK_Q)
        q = tl.load(Q + head + rows[:, None] * D + dims[None, :], mask=rows[:, None] < n, other=0.0)
        do = tl.load(DO + head + rows[:, None] * D + dims[None, :], mask=rows[:, None] < n, other=0.0)
        lse = tl.load(LSE + bh * n + rows, mask=rows < n, other=0.0) * 1.4426950408889634
        delta = tl.load(DELTA + bh * n + rows, mask=rows < n, other=0.0)
        s = tl.dot(q, tl.trans(k)) * qk_scale
        keep = (rows[:, None] < n) & (cols[None, :] < n)
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        p = tl.where(keep, tl.exp2(s - lse[:, None]), 0.0)  # P rebuilt from lse
        dv += tl.dot(tl.trans(p.to(do.dtype)), do)
        dp = tl.dot(do, tl.trans(v))
        ds = p * (dp - delta[:, None])
        dk += tl.dot(tl.trans(ds.to(q.dtype)), q)
    tl.store(
        DK + head + cols[:, None] * D + dims[None, :], (dk * scale).to(DK.dtype.element_ty), mask=cols[:, None] < n
    )
    tl.store(DV + head + cols[:, None] * D + dims[None, :], dv.to(DV.dtype.element_ty), mask=cols[:, None] < n)


@triton.jit
def flash_backward_dq_kernel(
    Q,
    K,
    V,
    DO,
    LSE,
    DELTA,
    DQ,
    n,
    scale,
    D: tl.constexpr,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    CAUSAL: tl.constexpr,
):
    """One program per (query block, batch-head): dQ_i, looping over key blocks."""
    start_q = tl.program_id(0) * BLOCK_Q
    bh = tl.program_id(1).to(tl.int64)
    head = bh * n * D
    rows = start_q + tl.arange(0, BLOCK_Q)
    dims = tl.arange(0, D)
    q = tl.load(Q + head + rows[:, None] * D + dims[None, :], mask=rows[:, None] < n, other=0.0)
    do = tl.load(DO + head + rows[:, None] * D + dims[None, :], mask=rows[:, None] < n, other=0.0)
    lse = tl.load(LSE + bh * n + rows, mask=rows < n, other=0.0) * 1.4426950408889634
    delta = tl.load(DELTA + bh * n + rows, mask=rows < n, other=0.0)
    dq = tl.zeros((BLOCK_Q, D), tl.float32)
    qk_scale = scale * 1.4426950408889634
    if CAUSAL:
        end = tl.minimum(start_q + BLOCK_Q, n)
    else:
        end = n
    for start_k in range(0, end, BLOCK_K):
        cols = start_k + tl.arange(0, BLOCK_K)
        k = tl.load(K + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
        v = tl.load(V + head + cols[:, None] * D + dims[None, :], mask=cols[:, None] < n, other=0.0)
        s = tl.dot(q, tl.trans(k)) * qk_scale
        keep = (rows[:, None] < n) & (cols[None, :] < n)
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        p = tl.where(keep, tl.exp2(s - lse[:, None]), 0.0)
        dp = tl.dot(do, tl.trans(v))
        ds = p * (dp - delta[:, None])
        dq += tl.dot(ds.to(k.dtype), k)
    tl.store(DQ + head + rows[:, None] * D + dims[None, :], dq.to(DQ.dtype.element_ty), mask=rows[:, None] < n)


def flash_attention_triton_backward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    o: torch.Tensor,
    lse: torch.Tensor,
    do: torch.Tensor,
    causal: bool = False,
    scale: float | None = None,
):
    """Gradients (dq, dk, dv) from Triton kernels, recomputing P from lse."""
    check_qkv(q, k, v)
    b, h, n, d = q.shape
    if d not in (16, 32, 64, 128):
        raise ValueError(f"the Triton kernels take D in (16, 32, 64, 128), got D = {d}")
    if o.shape != q.shape or do.shape != q.shape or lse.shape != q.shape[:-1]:
        raise ValueError("o and do must have q's shape (B, H, N, D), and lse the shape (B, H, N)")
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    device = q.device
    q, k, v, o, do = (t.to(DEVICE).contiguous() for t in (q, k, v, o, do))
    lse = lse.to(DEVICE, torch.float32).contiguous()
    delta = (do.float() * o.float()).sum(dim=-1).contiguous()  # D_i = rowsum(dO_i * O_i)
    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    block = 64
    sizes = dict(D=d, BLOCK_Q=block, BLOCK_K=block, CAUSAL=bool(causal))
    flash_backward_dkdv_kernel[(triton.cdiv(n, block), b * h)](q, k, v, do, lse, delta, dk, dv, n, scale, **sizes)
    flash_backward_dq_kernel[(triton.cdiv(n, block), b * h)](q, k, v, do, lse, delta, dq, n, scale, **sizes)
    return dq.to(device), dk.to(device), dv.to(device)
