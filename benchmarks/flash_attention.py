"""Time and memory of attention: the definition, the tiled PyTorch version, SDPA, and the Triton kernels.

    .venv/bin/python benchmarks/flash_attention.py [--max-n 16384] [--repeat 2]

CPU (always): for N from 512 to ``--max-n`` (one head, D = 64, float32, one thread), the time
and the peak extra resident memory of ``attention_reference`` and ``flash_attention_forward``
(block_q = block_k = 256) from the source notebook, and of
``torch.nn.functional.scaled_dot_product_attention``.

GPU (when there is one): forward and forward+backward TFLOP/s of the notebook's Triton kernels
against SDPA's flash backend, bf16, B = 4, H = 16, N in {1k, 2k, 4k, 8k, 16k}, D in {64, 128},
causal and not. FLOPs count 4·N²·D per head forward (halved when causal), and 3.5x that for
forward+backward (the backward's five products are 2.5x the forward's two), as the FlashAttention papers do.

The last line gives the headline figure beside its goal.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import platform
import sys
import threading
import time
import types
from pathlib import Path

import nbformat
import torch
from common import best_time
from nbgrader.utils import is_grade

FOLDER = Path(__file__).resolve().parents[1] / "solutions" / "flash_attention"


def load_reference() -> dict:
    """The notebook's non-test cells, each compiled under its own name (Triton reads kernels' source)."""
    sys.path.insert(0, str(FOLDER))
    module = types.ModuleType("reference_flash_attention")
    sys.modules[module.__name__] = module
    for cell in nbformat.read(FOLDER / "flash_attention.ipynb", as_version=4).cells:
        if cell.cell_type == "code" and not is_grade(cell):
            name = f"flash_attention.ipynb:{cell.metadata.nbgrader['grade_id']}"
            exec(compile(cell.source, name, "exec"), module.__dict__)
    return module.__dict__


def return_freed_memory() -> None:
    """Make glibc hand every block of 128 KiB or more back to the kernel when freed.

    Otherwise freed tensors stay in the heap, the next method reuses them without growing the
    resident set, and its peak looks like zero (glibc raises its mmap threshold as it goes).
    """
    libc = ctypes.CDLL(None)
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 128 * 1024)
    libc.mallopt(m_trim_threshold, 128 * 1024)


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_extra_bytes(action) -> int:
    """How far this process's resident memory rises above its starting point while ``action`` runs."""
    start = rss_bytes()
    peak, stop = [start], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes())
            stop.wait(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        action()
    finally:
        stop.set()
        sampler.join()
    return max(peak[0], rss_bytes()) - start


def cpu_table(ref: dict, max_n: int, repeat: int) -> dict:
    torch.set_num_threads(1)
    methods = {
        "reference": lambda q, k, v: ref["attention_reference"](q, k, v),
        "tiled (256x256)": lambda q, k, v: ref["flash_attention_forward"](q, k, v, block_q=256, block_k=256),
        "SDPA": lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v),
    }
    print(f"CPU: one head, D = 64, float32, 1 thread; torch {torch.__version__}, {platform.machine()}")
    print(f"{'N':>6}  {'method':<16} {'seconds':>8}  {'peak extra MiB':>14}")
    results = {}
    n = 512
    while n <= max_n:
        q, k, v = torch.randn(3, 1, 1, n, 64).unbind(0)
        for name, fn in methods.items():
            run = functools.partial(fn, q, k, v)
            memory = peak_extra_bytes(run)
            seconds = best_time(run, repeat)
            results[name, n] = (seconds, memory)
            print(f"{n:>6}  {name:<16} {seconds:>8.3f}  {memory / 2**20:>14.1f}", flush=True)
        n *= 2
    return results


def gpu_timed(action, repeat: int) -> float:
    action()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def gpu_case(ref: dict, b: int, h: int, n: int, d: int, causal: bool, repeat: int) -> dict:
    """Seconds for the Triton forward, Triton forward+backward, SDPA-flash forward and forward+backward."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    forward, backward = ref["flash_attention_triton"], ref["flash_attention_triton_backward"]
    sdpa = torch.nn.functional.scaled_dot_product_attention
    q, k, v, do = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(4))
    o, lse = forward(q, k, v, causal=causal)
    qg, kg, vg = (t.clone().requires_grad_() for t in (q, k, v))

    def triton_both():
        forward(q, k, v, causal=causal)
        backward(q, k, v, o, lse, do, causal=causal)

    times = {
        "triton fwd": gpu_timed(lambda: forward(q, k, v, causal=causal), repeat),
        "triton f+b": gpu_timed(triton_both, repeat),
    }
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        times["sdpa fwd"] = gpu_timed(lambda: sdpa(q, k, v, is_causal=causal), repeat)
        times["sdpa f+b"] = gpu_timed(lambda: sdpa(qg, kg, vg, is_causal=causal).backward(do), repeat)
    return times


def gpu_table(ref: dict, repeat: int) -> tuple[float, str]:
    b, h = 4, 16
    print(f"GPU: {torch.cuda.get_device_name()}, bf16, B = {b}, H = {h}; TFLOP/s (higher is better)")
    print(
        f"{'N':>6} {'D':>4} {'causal':>6}  {'triton fwd':>10} {'sdpa fwd':>9} {'ratio':>6}  {'triton f+b':>10} {'sdpa f+b':>9}"
    )
    headline = (0.0, "")
    for d in (64, 128):
        for n in (1024, 2048, 4096, 8192, 16384):
            for causal in (False, True):
                t = gpu_case(ref, b, h, n, d, causal, repeat)
                flops = 4 * b * h * n * n * d / (2 if causal else 1)
                ratio = t["sdpa fwd"] / t["triton fwd"]
                tflops = {name: (3.5 if "f+b" in name else 1.0) * flops / seconds / 1e12 for name, seconds in t.items()}
                print(
                    f"{n:>6} {d:>4} {causal!s:>6}  {tflops['triton fwd']:>10.1f} {tflops['sdpa fwd']:>9.1f} "
                    f"{ratio:>6.0%}  {tflops['triton f+b']:>10.1f} {tflops['sdpa f+b']:>9.1f}",
                    flush=True,
                )
                if n == 4096 and d == 64 and not causal:
                    headline = (ratio, f"N={n}, D={d}, bf16")
    return headline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-n", type=int, default=16384)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    ref = load_reference()
    return_freed_memory()
    cpu = cpu_table(ref, args.max_n, args.repeat)
    n = min(8192, args.max_n)
    tiled, full = cpu["tiled (256x256)", n][1], cpu["reference", n][1]
    cpu_line = (
        f"CPU: tiled forward's peak extra memory at N={n}, D=64: {tiled / 2**20:.0f} MiB, "
        f"against {full / 2**20:.0f} MiB for the reference ({full / max(tiled, 1):.0f}x less; goal: O(N) not O(N^2))"
    )
    if torch.cuda.is_available():
        ratio, where = gpu_table(ref, max(args.repeat, 5))
        print(cpu_line)
        print(f"Triton forward {ratio:.0%} of SDPA-flash at {where} (goal >= 70%)")
    else:
        print("no GPU here: the Triton kernels were not timed")
        print(cpu_line)


if __name__ == "__main__":
    main()
