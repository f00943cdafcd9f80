# cell: fit_ridge
# loses: test_fit_ridge, test_fit_ridge_wide
"""Solves X^T X w = X^T y, forgetting lam (plain least squares), and forms the n_features x n_features matrix to do it."""


def fit_ridge(X, y, lam):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not lam > 0:
        raise ValueError(f"bad input: X {X.shape}, y {y.shape}, lam {lam!r}")
    w, _ = conjugate_gradient(X.T @ X, X.T @ y)
    return w
