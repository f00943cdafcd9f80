# cell: newton_step
# loses: test_newton_step
"""Returns the Newton increment -H^-1 grad f(x) instead of the new point x + increment."""


def newton_step(A, b, x):
    A, b, x = (np.asarray(v, dtype=float) for v in (A, b, x))
    H = A + A.T
    return -np.linalg.solve(H, H @ x + b)
