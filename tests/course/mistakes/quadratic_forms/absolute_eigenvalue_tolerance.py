# cell: classify_stationary_point
# loses: test_classify_stationary_point
"""An eigenvalue counts as zero when |lambda| <= tol, not tol * max|lambda|: 1e-12 * I looks degenerate."""


def classify_stationary_point(A, tol=1e-9):
    A = np.asarray(A, dtype=float)
    eigenvalues = np.linalg.eigvalsh(A + A.T)
    positive, negative = eigenvalues > tol, eigenvalues < -tol
    if positive.any() and negative.any():
        return "saddle"
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    return "degenerate"
