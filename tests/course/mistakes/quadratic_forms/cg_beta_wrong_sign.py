# cell: conjugate_gradient
# loses: test_conjugate_gradient, test_conjugate_gradient_matvec, test_fit_ridge, test_fit_ridge_wide
"""beta = -(r_new . r_new) / (r_old . r_old): the directions are no longer A-conjugate, so n-step termination is lost (and fit_ridge, built on it, misses its tolerance)."""


def conjugate_gradient(A, b, x0=None, tol=1e-10, max_iter=None):
    b = np.asarray(b, dtype=float)
    n = b.size
    matvec = A if callable(A) else np.asarray(A, dtype=float).__matmul__
    if max_iter is None:
        max_iter = 10 * n
    if not np.any(b):
        return np.zeros(n), 0
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=float)
    r = b - matvec(x)
    p = r.copy()
    rr = r @ r
    iterations = 0
    while np.sqrt(rr) > tol * np.linalg.norm(b) and iterations < max_iter:
        Ap = matvec(p)
        curvature = p @ Ap
        if curvature <= 0:
            raise ValueError("A is not positive definite")
        alpha = rr / curvature
        x = x + alpha * p
        r = r - alpha * Ap
        rr_next = r @ r
        p = r - (rr_next / rr) * p
        rr = rr_next
        iterations += 1
    return x, iterations
