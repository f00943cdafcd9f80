"""Hidden tests for the FlashAttention assignment.

Never released to students. Each test is a plain function that takes the student's
functions (or class) as arguments and looks only at what they return, so the same test
runs in the student's kernel, in the trusted grader against a sandbox proxy, and in
maintainers' pytest against the reference.

Oracles live here: attention written out in float64 (``oracle``), gradients by autograd
through it, RoPE as a complex multiplication, softmax by ``torch.softmax`` in float64.
What must happen in the student's process (autograd through their Function, counting
the FLOPs of their matrix products, a large forward pass whose inputs should not cross the
boundary) goes through the drivers in ``flash_lab``, reached with ``student_module``; the
verdicts still come from oracles here, and the memory of that process is read from
outside it (``student_rss_bytes``, sampled while the call runs).
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager

import torch

from autograder.testing import (
    current_session,
    expect_raises,
    grading_session,
    student_module,
    student_rss_bytes,
    time_limit,
)

F16, F32, F64 = torch.float16, torch.float32, torch.float64
CALL_SECONDS = 30.0
TRITON_SECONDS = 50.0
MEMORY_BOUND = 96 * 2**20  # one 8192 x 8192 float32 score matrix is 256 MiB
TOLERANCE = {F64: 1e-9, F32: 1e-4, F16: 1e-2}  # PyTorch parts: accumulation in float64/float32
TRITON_TOLERANCE = {F32: 2e-3, F16: 1e-2}  # TF32 tl.dot on a GPU; float16 inputs


# ----------------------------------------------------------------- oracles


def random_tensor(shape, seed: int, dtype=F32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(tuple(shape), generator=generator, dtype=F64).to(dtype)


def random_qkv(shape, seed: int, dtype=F32):
    return tuple(random_tensor(shape, seed + i, dtype) for i in range(3))


def oracle(q, k, v, causal=False, scale=None):
    """Attention by its definition, in float64: (o, lse)."""
    q, k, v = (t.to(F64) for t in (q, k, v))
    n, d = q.shape[-2:]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    s = (q @ k.transpose(-2, -1)) * scale
    if causal:
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    return torch.exp(s - lse[..., None]) @ v, lse


def oracle_gradients(q, k, v, do, causal=False, scale=None):
    """(o, lse, dq, dk, dv) in float64, by autograd through the definition."""
    q, k, v = (t.detach().to(F64).requires_grad_(True) for t in (q, k, v))
    o, lse = oracle(q, k, v, causal, scale)
    o.backward(do.to(F64))
    return o.detach(), lse.detach(), q.grad, k.grad, v.grad


def accumulate(dtype):
    return F64 if dtype == F64 else F32


def call_text(name: str, shape, dtype, **options) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items() if value is not None)
    kind = str(dtype).replace("torch.", "")
    return f"{name}(<random {kind} q, k, v of shape {tuple(shape)}>{', ' + shown if shown else ''})"


def assert_close(got, expected: torch.Tensor, what: str, call: str, atol: float, rtol: float = 0.0) -> None:
    """Compare a student's tensor with an oracle's; the message names the entry and the student's value only."""
    assert isinstance(got, torch.Tensor), f"{call}: {what} is a {type(got).__name__}, expected a torch.Tensor"
    assert tuple(got.shape) == tuple(expected.shape), (
        f"{call}: {what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    )
    if got.numel() == 0:
        return
    value = got.detach().to(F64)
    bad = ~((value - expected).abs() <= atol + rtol * expected.abs())  # NaN counts as bad
    if bad.any():
        where = tuple(int(i) for i in bad.nonzero()[0])
        tolerance = f"{atol:g}" + (f" + {rtol:g}·|expected|" if rtol else "")
        raise AssertionError(
            f"{call}: {what}[{', '.join(map(str, where))}] = {value[where].item():.6g} is wrong "
            f"({int(bad.sum())} of {bad.numel()} entries are off by more than {tolerance})"
        )


def assert_dtype(got, dtype, what: str, call: str) -> None:
    assert isinstance(got, torch.Tensor), f"{call}: {what} is a {type(got).__name__}, expected a torch.Tensor"
    assert got.dtype == dtype, f"{call}: {what} has dtype {got.dtype}, expected {dtype}"


def check_attention_output(result, q, expected_o, expected_lse, call: str, atol: float, lse_dtype) -> None:
    assert isinstance(result, tuple | list) and len(result) == 2, (
        f"{call} returned {type(result).__name__}; expected a pair (o, lse)"
    )
    o, lse = result
    assert_dtype(o, q.dtype, "o", call)
    assert_dtype(lse, lse_dtype, "lse", call)
    assert_close(lse, expected_lse, "lse", call, atol)
    assert_close(o, expected_o, "o", call, atol)


def expect_value_errors(fn, name: str, calls) -> None:
    for args, kwargs, what in calls:
        with expect_raises(ValueError, f"{name} with {what}"):
            fn(*args, **kwargs)


# ------------------------------------------------------------------ part 1


def rope_oracle(x, positions, base=10000.0):
    """RoPE as complex multiplication: pair (2i, 2i+1) is x_2i + i x_2i+1, times exp(i * m * base^(-2i/D))."""
    d = x.shape[-1]
    z = torch.complex(x[..., 0::2].to(F64), x[..., 1::2].to(F64))
    theta = positions.to(F64)[:, None] * base ** (-torch.arange(0, d, 2, dtype=F64) / d)
    z = z * torch.polar(torch.ones_like(theta), theta)
    return torch.stack((z.real, z.imag), dim=-1).flatten(-2)


def test_apply_rope(apply_rope):
    """Does it match the complex-number formulation, and do rotated scores depend only on m - n?"""
    cases = [
        ((2, 3, 16, 16), torch.arange(16), 10000.0),
        ((1, 2, 9, 64), torch.tensor([0, 1, 2, 100, 1000, 4096, 8000, 8190, 8191]), 10000.0),
        ((5, 32), torch.arange(5) * 1000, 500.0),
        ((1, 1, 4, 2), torch.tensor([3, 1, 4, 1]), 10000.0),
    ]
    for seed, (shape, positions, base) in enumerate(cases):
        x = random_tensor(shape, seed)
        call = f"apply_rope(<random float32 x of shape {shape}>, positions={positions.tolist()}, base={base})"
        got = apply_rope(x, positions, base=base)
        assert_dtype(got, F32, "the result", call)
        assert_close(got, rope_oracle(x, positions, base), "the result", call, atol=1e-3)

    # <rope(q, m), rope(k, n)> depends only on m - n: the same q and k at every position
    d, n = 32, 12
    q = random_tensor((d,), 10).expand(1, 1, n, d).contiguous()
    k = random_tensor((d,), 11).expand(1, 1, n, d).contiguous()
    positions = torch.arange(n) * 7 + 100
    rq, rk = apply_rope(q, positions), apply_rope(k, positions)
    scores = (rq.to(F64) @ rk.to(F64).transpose(-2, -1))[0, 0]
    for offset in range(-n + 1, n):
        diagonal = torch.diagonal(scores, offset=offset)
        assert (diagonal - diagonal[0]).abs().max() <= 1e-3 * (1 + diagonal[0].abs()), (
            f"with one q and one k at positions {positions.tolist()}, <apply_rope(q)[m], apply_rope(k)[n]> "
            f"changes along the diagonal n - m = {offset}: {[round(s, 4) for s in diagonal.tolist()]}; "
            "it must depend only on m - n"
        )

    x = random_tensor((1, 4, 5), 12)
    with expect_raises(ValueError, "apply_rope(<x of shape (1, 4, 5)>, positions=torch.arange(4)) (odd D)"):
        apply_rope(x, torch.arange(4))


# ------------------------------------------------------------------ part 2

REFERENCE_CASES = [
    # (B, H, N, D), causal, scale, dtype
    ((1, 1, 1, 16), False, None, F32),
    ((2, 3, 17, 32), True, None, F32),
    ((1, 3, 64, 64), False, None, F32),
    ((2, 1, 100, 16), True, 0.5, F32),
    ((1, 1, 257, 32), True, None, F32),
    ((1, 2, 40, 16), False, 30.0, F32),  # scores in the hundreds: exp overflows without the max subtracted
    ((2, 3, 17, 16), False, None, F64),
    ((1, 2, 33, 32), True, None, F64),
    ((1, 1, 20, 16), True, None, F16),
]

BAD_SHAPES = [
    ((torch.zeros(1, 1, 4, 8), torch.zeros(1, 1, 5, 8), torch.zeros(1, 1, 5, 8)), "k and v longer than q"),
    ((torch.zeros(1, 1, 4, 8), torch.zeros(1, 1, 4, 8), torch.zeros(1, 1, 4, 16)), "v of another D"),
    ((torch.zeros(4, 8), torch.zeros(4, 8), torch.zeros(4, 8)), "2-D q, k, v"),
]


def test_attention_reference(attention_reference):
    """Does the definition agree with ours (o and lse, dtypes included) on every shape, causal and scale?"""
    for seed, (shape, causal, scale, dtype) in enumerate(REFERENCE_CASES):
        q, k, v = random_qkv(shape, 100 + 3 * seed, dtype)
        call = call_text("attention_reference", shape, dtype, causal=causal, scale=scale)
        o, lse = oracle(q, k, v, causal, scale)
        result = attention_reference(q, k, v, causal=causal, scale=scale)
        check_attention_output(result, q, o, lse, call, TOLERANCE[dtype], accumulate(dtype))
    q, k, v = random_qkv((2, 2, 30, 32), 150)
    sdpa = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).to(F64)
    call = call_text("attention_reference", (2, 2, 30, 32), F32, causal=True)
    assert_close(
        attention_reference(q, k, v, causal=True)[0], sdpa, "o (against scaled_dot_product_attention)", call, 1e-4
    )
    expect_value_errors(attention_reference, "attention_reference", [(args, {}, why) for args, why in BAD_SHAPES])


# ------------------------------------------------------------------ part 3


def test_online_softmax(online_softmax):
    """Is it softmax for every block size, exact on rows of 10^4 values up to ±10^4, in the input's dtype?"""
    cases = [
        (random_tensor((3, 1000), 200), 7),
        (random_tensor((2, 4, 130), 201) * 5, 128),
        (random_tensor((5, 64), 202), 1000),
        (random_tensor((1, 1), 203), 1),
        (torch.arange(1000, dtype=F32).reshape(1, 1000) * 10.0, 10),  # every block raises the maximum
        (torch.arange(1000, 0, -1, dtype=F32).reshape(1, 1000) * 10.0, 64),  # the first block holds it
        ((torch.rand(4, 10_000, generator=torch.Generator().manual_seed(204)) * 2 - 1) * 1e4, 128),
        ((torch.rand(2, 10_000, generator=torch.Generator().manual_seed(205)) * 2 - 1) * 1e4, 999),
        (torch.full((2, 300), -1e4), 100),
        (random_tensor((3, 77), 206, F64) * 10, 16),
        (random_tensor((3, 77), 207, F16), 16),
    ]
    for x, block in cases:
        kind = str(x.dtype).replace("torch.", "")
        call = f"online_softmax(<{kind} x of shape {tuple(x.shape)}, values in [{x.min().item():g}, {x.max().item():g}]>, block={block})"
        got = online_softmax(x, block=block)
        assert_dtype(got, x.dtype, "the result", call)
        assert torch.isfinite(got).all(), f"{call} returned NaN or inf (did exp overflow?)"
        expected = torch.softmax(x.to(F64), dim=-1)
        atol = {F64: 1e-12, F32: 1e-6, F16: 1e-3}[x.dtype]
        assert_close(got, expected, "the result", call, atol)
    x = random_tensor((2, 10), 208)
    expect_value_errors(online_softmax, "online_softmax", [((x,), {"block": b}, f"block={b}") for b in (0, -3)])


# ------------------------------------------------------------------ part 4

FORWARD_CASES = [
    # (B, H, N, D), causal, scale, dtype, block_q, block_k (None: the defaults)
    ((1, 1, 1, 16), False, None, F32, 16, 16),
    ((1, 1, 1, 16), True, None, F32, None, None),
    ((2, 3, 17, 32), True, None, F32, 16, 16),
    ((2, 3, 17, 32), False, None, F32, 8, 16),
    ((1, 3, 64, 64), True, None, F32, 64, 64),
    ((2, 1, 100, 16), False, None, F32, 32, 48),
    ((2, 1, 100, 16), True, 0.3, F32, 48, 32),
    ((1, 1, 257, 32), True, None, F32, 64, 16),
    ((1, 2, 257, 16), False, None, F32, None, None),
    ((1, 2, 45, 16), True, None, F64, 16, 8),
    ((1, 1, 70, 32), True, None, F16, 32, 16),
]


def forward_value_errors(fn, name: str) -> None:
    q = torch.zeros(1, 1, 8, 16)
    calls = [(args, {}, why) for args, why in BAD_SHAPES]
    calls += [((q, q, q), {"block_q": 0}, "block_q=0"), ((q, q, q), {"block_k": -1}, "block_k=-1")]
    expect_value_errors(fn, name, calls)


def test_flash_attention_forward(flash_attention_forward):
    """Does the tiled forward pass give the definition's o and lse for any N, blocks, causal and scale?"""
    for seed, (shape, causal, scale, dtype, block_q, block_k) in enumerate(FORWARD_CASES):
        q, k, v = random_qkv(shape, 300 + 3 * seed, dtype)
        blocks = {} if block_q is None else {"block_q": block_q, "block_k": block_k}
        call = call_text("flash_attention_forward", shape, dtype, causal=causal, scale=scale, **blocks)
        o, lse = oracle(q, k, v, causal, scale)
        with time_limit(CALL_SECONDS, call):
            result = flash_attention_forward(q, k, v, causal=causal, scale=scale, **blocks)
        check_attention_output(result, q, o, lse, call, TOLERANCE[dtype], accumulate(dtype))
    forward_value_errors(flash_attention_forward, "flash_attention_forward")


@contextmanager
def peak_student_rss():
    """Sample the student's process's resident memory every 2 ms while the body runs; yields {'peak': bytes}."""
    session = current_session()
    box = {"peak": student_rss_bytes()}
    stop = threading.Event()

    def sample():
        with grading_session(session):
            while not stop.is_set():
                box["peak"] = max(box["peak"], student_rss_bytes())
                stop.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield box
    finally:
        stop.set()
        sampler.join()
        box["peak"] = max(box["peak"], student_rss_bytes())


def test_flash_attention_forward_memory(flash_attention_forward):
    """Are causal blocks above the diagonal skipped (FLOPs), and does N = 8192 run in O(N) memory?"""
    lab = student_module("flash_lab")
    n, d = 512, 32
    q, k, v = random_qkv((1, 1, n, d), 400)
    flops = {
        causal: lab.matmul_flops(flash_attention_forward, q, k, v, causal, None, 64, 32) for causal in (False, True)
    }
    assert flops[False] > 0, (
        f"FlopCounterMode counted no matrix-product FLOPs in flash_attention_forward (N={n}, D={d}); "
        "compute S = Q K^T and P V with @, torch.matmul or torch.einsum"
    )
    assert flops[True] <= 0.7 * flops[False], (
        f"flash_attention_forward at N={n}, D={d}, block_q=64, block_k=32 runs {flops[True]:,} matrix-product FLOPs "
        f"with causal=True and {flops[False]:,} without: key blocks entirely above the diagonal must be skipped, "
        "not computed and masked (expect little more than half)"
    )

    shape, rows = (1, 1, 8192, 64), [0, 1, 4095, 8191]
    call = call_text("flash_attention_forward", shape, F32, causal=True, block_q=256, block_k=256)
    before = student_rss_bytes()
    with peak_student_rss() as memory, time_limit(CALL_SECONDS, call):
        o_rows, lse_rows = lab.forward_rows(
            flash_attention_forward, shape, 401, rows, causal=True, block_q=256, block_k=256
        )
    grown = memory["peak"] - before
    assert grown < MEMORY_BOUND, (
        f"while running {call}, the process running it grew by {grown / 2**20:.0f} MiB at its peak; "
        f"tiling needs O(N·D + block_q·block_k), a few MiB, while one N x N float32 score matrix is 256 MiB"
    )
    q, k, v = random_qkv_like_lab(shape, 401)
    o, lse = oracle_rows(q, k, v, rows, causal=True)
    assert_close(lse_rows, lse, f"lse at rows {rows}", call, TOLERANCE[F32])
    assert_close(o_rows, o, f"o at rows {rows}", call, TOLERANCE[F32])


def oracle_rows(q, k, v, rows: list, causal=False):
    """The definition's o and lse at a few query rows only (no N x N matrix)."""
    q, k, v = (t.to(F64) for t in (q, k, v))
    s = (q[..., rows, :] @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        later = torch.arange(k.shape[-2])[None, :] > torch.tensor(rows)[:, None]
        s = s.masked_fill(later, float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    return torch.exp(s - lse[..., None]) @ v, lse


def random_qkv_like_lab(shape, seed: int):
    """The q, k, v that ``flash_lab.random_qkv(shape, seed)`` makes in the student's process, made here."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(tuple(shape), generator=generator, dtype=F32) for _ in range(3))


# ------------------------------------------------------------------ part 5

BACKWARD_CASES = [
    # (B, H, N, D), causal, scale, dtype, block_q, block_k
    ((1, 1, 1, 16), True, None, F64, 16, 16),
    ((2, 3, 17, 16), False, None, F64, 8, 16),
    ((2, 1, 17, 32), True, None, F64, 16, 8),
    ((1, 2, 100, 16), True, None, F64, 32, 48),
    ((1, 1, 64, 64), False, 0.4, F64, 64, 64),
    ((1, 1, 130, 16), True, None, F64, None, None),
    ((2, 2, 57, 32), True, None, F32, 16, 32),
]


class OracleForwardStudentBackward(torch.autograd.Function):
    """Forward by the oracle, backward by the student's function: gradcheck then tests the backward alone."""

    @staticmethod
    def forward(ctx, q, k, v, backward, causal, block_q, block_k):
        o, lse = oracle(q, k, v, causal)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.backward, ctx.causal, ctx.blocks = backward, causal, (block_q, block_k)
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v, o, lse = ctx.saved_tensors
        block_q, block_k = ctx.blocks
        dq, dk, dv = ctx.backward(q, k, v, o, lse, do.contiguous(), ctx.causal, None, block_q, block_k)
        return dq, dk, dv, None, None, None, None


def test_flash_attention_backward(flash_attention_backward):
    """Are dq, dk, dv those of autograd through the definition, for any N, blocks and causal; does gradcheck pass?"""
    for seed, (shape, causal, scale, dtype, block_q, block_k) in enumerate(BACKWARD_CASES):
        q, k, v = random_qkv(shape, 500 + 4 * seed, dtype)
        do = random_tensor(shape, 503 + 4 * seed, dtype)
        o, lse, dq, dk, dv = oracle_gradients(q, k, v, do, causal, scale)
        blocks = {} if block_q is None else {"block_q": block_q, "block_k": block_k}
        call = call_text("flash_attention_backward", shape, dtype, causal=causal, scale=scale, **blocks)
        with time_limit(CALL_SECONDS, call):
            result = flash_attention_backward(
                q, k, v, o.to(dtype), lse.to(accumulate(dtype)), do, causal=causal, scale=scale, **blocks
            )
        assert isinstance(result, tuple | list) and len(result) == 3, f"{call} must return (dq, dk, dv)"
        atol = 1e-9 if dtype == F64 else 1e-4
        for name, got, expected in zip(("dq", "dk", "dv"), result, (dq, dk, dv), strict=True):
            assert_dtype(got, dtype, name, call)
            assert_close(got, expected, name, call, atol, rtol=atol)

    for causal in (False, True):
        inputs = tuple(t.requires_grad_(True) for t in random_qkv((1, 2, 5, 4), 550, F64))
        ok = torch.autograd.gradcheck(
            lambda q, k, v, causal=causal: OracleForwardStudentBackward.apply(
                q, k, v, flash_attention_backward, causal, 2, 3
            ),
            inputs,
            raise_exception=False,
        )
        assert ok, (
            f"torch.autograd.gradcheck of flash_attention_backward (float64, shape (1, 2, 5, 4), causal={causal}, "
            "block_q=2, block_k=3) failed: its gradients disagree with finite differences of attention"
        )

    q = torch.zeros(1, 1, 8, 16)
    lse = torch.zeros(1, 1, 8)
    expect_value_errors(
        flash_attention_backward,
        "flash_attention_backward",
        [
            ((q, q, q, q, lse, q), {"block_q": 0}, "block_q=0"),
            ((q, q, q, q, lse, q), {"block_k": -2}, "block_k=-2"),
            ((q, q, torch.zeros(1, 1, 9, 16), q, lse, q), {}, "v longer than q"),
        ],
    )


# ------------------------------------------------------------------ part 6


class StudentAutograd(torch.autograd.Function):
    """The student's flash_attention as a function here: forward and gradients both computed in their process."""

    @staticmethod
    def forward(ctx, q, k, v, flash_attention, lab, causal):
        ctx.save_for_backward(q, k, v)
        ctx.flash_attention, ctx.lab, ctx.causal = flash_attention, lab, causal
        return flash_attention(q.detach(), k.detach(), v.detach(), causal)

    @staticmethod
    def backward(ctx, do):
        q, k, v = ctx.saved_tensors
        _, dq, dk, dv = ctx.lab.gradients_through(ctx.flash_attention, q, k, v, do.contiguous(), ctx.causal)
        return dq, dk, dv, None, None, None


def test_flash_attention_autograd(FlashAttention, flash_attention):  # noqa: N803 (the notebook's class name)
    """Does forward save exactly (q, k, v, o, lse), and do gradients through flash_attention match autograd's?"""
    lab = student_module("flash_lab")
    shape = (2, 2, 100, 16)
    q, k, v = random_qkv(shape, 600)
    call = f"FlashAttention.apply(<random float32 q, k, v of shape {shape}>, causal=True, scale=None)"
    o, saved = lab.saved_for_backward(FlashAttention, q, k, v, True, None)
    expected_o, expected_lse = oracle(q, k, v, True)
    assert_close(o, expected_o, "o", call, TOLERANCE[F32])
    shapes = [tuple(t.shape) for t in saved]
    assert len(saved) == 5, (
        f"{call}: forward saved {len(saved)} tensors for backward, of shapes {shapes}; "
        "save exactly q, k, v, o and lse, in that order (everything else is recomputed)"
    )
    for name, got, expected in zip(("q", "k", "v", "o"), saved[:4], (q, k, v, o), strict=True):
        assert tuple(got.shape) == tuple(expected.shape) and torch.equal(got.to(expected.dtype), expected), (
            f"{call}: the saved tensors have shapes {shapes}; saved tensor {'qkvo'.index(name)} should be {name}, "
            "in the order q, k, v, o, lse"
        )
    assert_close(saved[4], expected_lse, "saved tensor 4 (lse, shape (B, H, N))", call, TOLERANCE[F32])

    cases = [  # N = 130: three key blocks of the default 64, so the online softmax is exercised
        ((1, 2, 17, 16), True, None, F64),
        ((1, 2, 130, 16), False, 0.5, F64),
        ((2, 1, 130, 32), True, None, F32),
    ]
    for seed, (shape, causal, scale, dtype) in enumerate(cases):
        q, k, v = random_qkv(shape, 610 + 4 * seed, dtype)
        do = random_tensor(shape, 613 + 4 * seed, dtype)
        call = call_text("flash_attention", shape, dtype, causal=causal, scale=scale) + ".backward(do)"
        with time_limit(CALL_SECONDS, call):
            o, dq, dk, dv = lab.gradients_through(flash_attention, q, k, v, do, causal, scale)
        expected = oracle_gradients(q, k, v, do, causal, scale)
        atol = 1e-9 if dtype == F64 else 1e-4
        assert_close(o, expected[0], "o", call, atol)
        for name, got, want in zip(("q.grad", "k.grad", "v.grad"), (dq, dk, dv), expected[2:], strict=True):
            assert_close(got, want, name, call, atol, rtol=atol)

    for causal in (False, True):
        inputs = tuple(t.requires_grad_(True) for t in random_qkv((1, 1, 6, 4), 650, F64))
        ok = torch.autograd.gradcheck(
            lambda q, k, v, causal=causal: StudentAutograd.apply(q, k, v, flash_attention, lab, causal),
            inputs,
            raise_exception=False,
        )
        assert ok, (
            f"torch.autograd.gradcheck of flash_attention (float64, shape (1, 1, 6, 4), causal={causal}) failed: "
            "its backward disagrees with finite differences of its forward"
        )


# ------------------------------------------------------------------ part 7

TRITON_CASES = [
    # (B, H, N, D), causal, scale, dtype: tiny, the interpreter runs every program in NumPy
    ((1, 1, 17, 16), False, None, F32),
    ((2, 3, 64, 32), True, None, F32),
    ((1, 1, 1, 16), True, None, F32),
    ((2, 1, 130, 32), False, 0.3, F32),
    ((1, 2, 100, 64), True, None, F16),
    ((1, 1, 80, 16), False, None, F16),
]
GPU_CASES = [
    ((2, 4, 1024, 64), False, None, torch.bfloat16),
    ((1, 4, 1024, 128), True, None, torch.bfloat16),
    ((1, 2, 2048 + 17, 64), True, None, F16),
    ((1, 2, 777, 32), False, None, F32),
]


def gpu_tolerance(dtype) -> float:
    return 2e-2 if dtype == torch.bfloat16 else TRITON_TOLERANCE[dtype]


def test_flash_attention_triton(flash_attention_triton):
    """Does the Triton forward kernel match the definition (interpreter on CPU; compiled and bf16 on a GPU)?"""
    lab = student_module("flash_lab")
    cases = list(TRITON_CASES) + (GPU_CASES if lab.GPU else [])
    for seed, (shape, causal, scale, dtype) in enumerate(cases):
        q, k, v = random_qkv(shape, 700 + 3 * seed, dtype)
        call = call_text("flash_attention_triton", shape, dtype, causal=causal, scale=scale)
        o, lse = oracle(q, k, v, causal, scale)
        with time_limit(TRITON_SECONDS, call):
            result = flash_attention_triton(q, k, v, causal=causal, scale=scale)
        check_attention_output(result, q, o, lse, call, gpu_tolerance(dtype), F32)
    q = torch.zeros(1, 1, 8, 16)
    expect_value_errors(
        flash_attention_triton,
        "flash_attention_triton",
        [((q, q, torch.zeros(1, 1, 9, 16)), {}, "v longer than q"), ((torch.zeros(1, 1, 8, 24),) * 3, {}, "D=24")],
    )
    if not lab.GPU:
        print("flash_attention_triton: ran under the Triton interpreter; the compiled GPU cases were skipped (no GPU)")


# ------------------------------------------------------------------ part 8

TRITON_BACKWARD_CASES = [
    ((1, 1, 17, 16), False, None, F32),
    ((1, 2, 70, 32), True, None, F32),
    ((1, 1, 40, 16), True, 0.3, F16),
]
GPU_BACKWARD_CASES = [
    ((1, 2, 1024 + 3, 64), True, None, torch.bfloat16),
    ((2, 2, 512, 128), False, None, F16),
    ((1, 2, 300, 64), True, None, F32),
]


def test_flash_attention_triton_backward(flash_attention_triton_backward):
    """Do the Triton backward kernels give autograd's dq, dk, dv (interpreter on CPU; compiled on a GPU)?"""
    lab = student_module("flash_lab")
    cases = list(TRITON_BACKWARD_CASES) + (GPU_BACKWARD_CASES if lab.GPU else [])
    for seed, (shape, causal, scale, dtype) in enumerate(cases):
        q, k, v = random_qkv(shape, 800 + 4 * seed, dtype)
        do = random_tensor(shape, 803 + 4 * seed, dtype)
        o, lse, dq, dk, dv = oracle_gradients(q, k, v, do, causal, scale)
        call = call_text("flash_attention_triton_backward", shape, dtype, causal=causal, scale=scale)
        with time_limit(TRITON_SECONDS, call):
            result = flash_attention_triton_backward(q, k, v, o.to(dtype), lse.to(F32), do, causal=causal, scale=scale)
        assert isinstance(result, tuple | list) and len(result) == 3, f"{call} must return (dq, dk, dv)"
        tolerance = 2.5 * gpu_tolerance(dtype)
        for name, got, expected in zip(("dq", "dk", "dv"), result, (dq, dk, dv), strict=True):
            assert_dtype(got, dtype, name, call)
            assert_close(got, expected, name, call, tolerance, rtol=tolerance)
    if not lab.GPU:
        print("flash_attention_triton_backward: ran under the Triton interpreter; the GPU cases were skipped (no GPU)")
