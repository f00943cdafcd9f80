"""Race the vectorized sliding-window maximum against C implementations.

    .venv/bin/python benchmarks/sliding_window_max.py [--n 10000000] [--repeat 5]

Times the reference ``sliding_window_max_vectorized`` (pure NumPy, from the source
notebook) against ``bottleneck.move_max`` and ``scipy.ndimage.maximum_filter1d`` on
one float64 array, for k in {3, 100, 10000}, and prints each best-of-N time with its
ratio to the fastest peer (below 1.0: NumPy wins).
"""

from __future__ import annotations

import argparse
import platform

import bottleneck
import numpy as np
from common import best_time, load_reference
from scipy.ndimage import maximum_filter1d


def peers(a: np.ndarray, k: int) -> dict:
    # Both peers return n outputs; only the n - k + 1 full windows are compared.
    return {
        "bottleneck.move_max": lambda: bottleneck.move_max(a, k)[k - 1 :],
        "scipy maximum_filter1d": lambda: maximum_filter1d(a, k)[k // 2 : k // 2 + a.size - k + 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    ours = load_reference("sliding_window_max")["sliding_window_max_vectorized"]
    a = np.random.default_rng(0).standard_normal(args.n)
    print(
        f"n = {args.n:,} float64, best of {args.repeat}; numpy {np.__version__}, {platform.processor() or platform.machine()}"
    )
    print(f"{'k':>6}  {'method':<24} {'seconds':>8}  {'vs fastest peer':>15}")
    for k in (3, 100, 10_000):
        expected = bottleneck.move_max(a, k)[k - 1 :]
        times = {}
        for name, fn in peers(a, k).items():
            assert np.array_equal(fn(), expected), f"{name} disagrees at k={k}"
            times[name] = best_time(fn, args.repeat)
        assert np.array_equal(ours(a, k), expected), f"the reference disagrees at k={k}"
        times["ours (numpy)"] = best_time(lambda k=k: ours(a, k), args.repeat)
        fastest_peer = min(t for name, t in times.items() if name != "ours (numpy)")
        for name, t in times.items():
            print(f"{k:>6}  {name:<24} {t:8.4f}  {t / fastest_peer:14.2f}x")


if __name__ == "__main__":
    main()
