# cell: stationary_point
# loses: test_stationary_point, test_stationary_point_singular
"""inv(2 A) @ -b: wrong for non-symmetric A, and no diagnosis of a singular Hessian."""


def stationary_point(A, b):
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    return np.linalg.inv(2 * A) @ -b
