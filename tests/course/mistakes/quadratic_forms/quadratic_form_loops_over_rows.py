# cell: quadratic_form
# loses: test_quadratic_form_vectorized
"""Correct values, but a Python loop over the rows of x: a million points take many seconds."""


def quadratic_form(A, b, c, x):
    A, b, x = (np.asarray(v, dtype=float) for v in (A, b, x))
    n = A.shape[0]
    if A.shape != (n, n) or b.shape != (n,) or x.shape[-1] != n or x.ndim > 2:
        raise ValueError(f"shapes do not fit: A {A.shape}, b {b.shape}, x {x.shape}")
    if x.ndim == 1:
        return float(x @ A @ x + b @ x + c)
    return np.array([row @ A @ row + b @ row + c for row in x])
