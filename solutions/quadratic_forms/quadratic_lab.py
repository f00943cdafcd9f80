"""Helpers for the quadratic-forms assignment: large problems, built where your code runs.

A few tests need inputs too large to send into the process that runs your code quickly
(a million points, a 200 x 30,000 data matrix) or a linear operator given only as a
function (the 2-D Poisson matrix). The functions below build them from a seed in your
process, and the ``*_on_*`` ones call your function on them. The tests build the same
inputs from the same seeds on their own side to check what comes back, so nothing here
decides a grade. You can use them too, for instance ``conjugate_gradient(poisson_matvec(64), b)``.
"""

from __future__ import annotations

import numpy as np


def poisson_matvec(m: int):
    """p -> A p for the 5-point Laplacian on an m x m grid with zero boundary values (A is m^2 x m^2, SPD).

    (A p)[i, j] = 4 p[i, j] - p[i-1, j] - p[i+1, j] - p[i, j-1] - p[i, j+1], with p = 0 off the grid,
    on vectors of length m * m (the grid in row-major order). The matrix is never formed.
    """

    def matvec(p):
        u = np.asarray(p, dtype=float).reshape(m, m)
        out = np.multiply(u, 4.0)
        out[1:] -= u[:-1]
        out[:-1] -= u[1:]
        out[:, 1:] -= u[:, :-1]
        out[:, :-1] -= u[:, 1:]
        return out.reshape(m * m)

    return matvec


def random_points(seed: int, m: int, n: int) -> np.ndarray:
    """m standard normal points in n dimensions, shape (m, n)."""
    return np.random.default_rng(seed).standard_normal((m, n))


def wide_regression(seed: int, n_samples: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): standard normal X of shape (n_samples, n_features); y depends on the first 20 features, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(n_samples)
    return X, y


def quadratic_form_on_random_points(quadratic_form, A, b, c, seed: int, m: int, every: int = 1000):
    """Call quadratic_form(A, b, c, x) on ``random_points(seed, m, len(b))``; return (shape, every ``every``-th value)."""
    values = np.asarray(quadratic_form(A, b, c, random_points(seed, m, len(b))))
    return values.shape, values.reshape(-1)[::every].copy()


def fit_ridge_on_wide_regression(fit_ridge, seed: int, n_samples: int, n_features: int, lam: float):
    """Call fit_ridge(X, y, lam) on ``wide_regression(seed, n_samples, n_features)``; return its w."""
    X, y = wide_regression(seed, n_samples, n_features)
    return fit_ridge(X, y, lam)
