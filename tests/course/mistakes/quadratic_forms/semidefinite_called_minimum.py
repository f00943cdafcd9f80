# cell: classify_stationary_point
# loses: test_classify_stationary_point
"""Tests "no negative eigenvalue" for a minimum, so a trough (positive semidefinite) is called a minimum."""


def classify_stationary_point(A, tol=1e-9):
    eigenvalues = np.linalg.eigvalsh(np.asarray(A, dtype=float) + np.asarray(A, dtype=float).T)
    zero = tol * np.max(np.abs(eigenvalues))
    if np.all(eigenvalues >= -zero) and np.any(eigenvalues > zero):
        return "minimum"
    if np.all(eigenvalues <= zero) and np.any(eigenvalues < -zero):
        return "maximum"
    if np.any(eigenvalues > zero) and np.any(eigenvalues < -zero):
        return "saddle"
    return "degenerate"
