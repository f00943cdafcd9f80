# cell: gradient
# loses: test_gradient
"""The textbook formula 2 A x + b, which is the gradient only when A is symmetric."""


def gradient(A, b, x):
    A, b, x = (np.asarray(v, dtype=float) for v in (A, b, x))
    return 2 * A @ x + b
