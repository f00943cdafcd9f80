# cell: fit_ridge
# loses: test_fit_ridge_wide
"""Right answer, wrong method: builds X^T X + lam I for conjugate_gradient, which needs 7.2 GB at 30,000 features."""


def fit_ridge(X, y, lam):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not lam > 0:
        raise ValueError(f"bad input: X {X.shape}, y {y.shape}, lam {lam!r}")
    w, _ = conjugate_gradient(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
    return w
