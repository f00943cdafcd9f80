"""Race the reference conjugate gradients, matrix-free, against scipy's cg with a sparse matrix.

    .venv/bin/python benchmarks/quadratic_forms.py [--grid 1000] [--tol 1e-6]

Both solve the same 2-D Poisson problem (the 5-point Laplacian on a grid x grid mesh,
10^6 unknowns by default) to the same relative residual. "ours" is ``conjugate_gradient``
from the source notebook given the stencil as a function (``quadratic_lab.poisson_matvec``:
five array operations, no matrix); scipy's ``scipy.sparse.linalg.cg`` gets the CSR matrix.
Prints iterations (they must agree within 2), wall time, the peak memory each allocates
while solving (tracemalloc; the CSR matrix, built beforehand, is not counted) and the true
residual of each answer. The last line is the headline: the time ratio ours / scipy beside
its goal (<= 1.0: scipy's cg is also a Python loop around C kernels, so this measures
temporaries and the matvec, not the language).
"""

from __future__ import annotations

import argparse
import platform
import time
import tracemalloc

import numpy as np
import scipy
import scipy.sparse as sp
from common import SOLUTIONS, load_reference
from scipy.sparse.linalg import cg


def poisson_csr(m: int) -> sp.csr_matrix:
    one_d = sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1])
    return sp.kronsum(one_d, one_d, format="csr")


def right_hand_side(m: int) -> np.ndarray:
    grid = np.linspace(0, 1, m + 2)[1:-1]
    return (np.sin(np.pi * grid)[:, None] * np.sin(2 * np.pi * grid)[None, :] + 0.1).ravel()


def measured(solve):
    """Run ``solve`` once; returns (its result, seconds, peak bytes it allocated)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    result = solve()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", type=int, default=1000, help="grid points per side (unknowns = grid^2)")
    parser.add_argument("--tol", type=float, default=1e-6, help="relative residual |b - A x| / |b| to reach")
    args = parser.parse_args()
    m, tol = args.grid, args.tol

    reference = load_reference("quadratic_forms")
    conjugate_gradient = reference["conjugate_gradient"]
    import quadratic_lab  # beside the notebook; load_reference put its folder on sys.path

    assert quadratic_lab.__file__.startswith(str(SOLUTIONS))
    matrix, b = poisson_csr(m), right_hand_side(m)
    matvec = quadratic_lab.poisson_matvec(m)
    probe = np.random.default_rng(0).standard_normal(m * m)
    assert np.allclose(matvec(probe), matrix @ probe), "the stencil and the CSR matrix disagree"
    print(
        f"2-D Poisson, {m} x {m} grid = {m * m:,} unknowns, rtol {tol:g}; numpy {np.__version__}, "
        f"scipy {scipy.__version__}, {platform.processor() or platform.machine()}"
    )

    (x_ours, ours_iterations), ours_seconds, ours_peak = measured(lambda: conjugate_gradient(matvec, b, tol=tol))
    counter = []
    (x_scipy, info), scipy_seconds, scipy_peak = measured(
        lambda: cg(matrix, b, rtol=tol, atol=0.0, maxiter=10 * m * m, callback=lambda _: counter.append(1))
    )
    assert info == 0, f"scipy's cg did not converge (info = {info})"
    scipy_iterations = len(counter)

    print(f"{'solver':<34} {'iterations':>10} {'seconds':>8} {'ms/iter':>8} {'peak MiB':>9} {'residual':>9}")
    for name, iterations, seconds, peak, x in [
        ("ours, matrix-free stencil", ours_iterations, ours_seconds, ours_peak, x_ours),
        ("scipy.sparse.linalg.cg, CSR", scipy_iterations, scipy_seconds, scipy_peak, x_scipy),
    ]:
        residual = np.linalg.norm(b - matrix @ x) / np.linalg.norm(b)
        print(
            f"{name:<34} {iterations:>10} {seconds:>8.2f} {1e3 * seconds / iterations:>8.2f} "
            f"{peak / 2**20:>9.1f} {residual:>9.2e}"
        )
    matrix_mib = (matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes) / 2**20
    print(f"(scipy also holds the CSR matrix, {matrix_mib:.0f} MiB, which ours never builds)")
    assert abs(ours_iterations - scipy_iterations) <= 2, "the iteration counts should agree within 2"
    print(
        f"time ratio ours/scipy {ours_seconds / scipy_seconds:.2f} (goal <= 1.00), "
        f"iterations {ours_iterations} vs {scipy_iterations}"
    )


if __name__ == "__main__":
    main()
