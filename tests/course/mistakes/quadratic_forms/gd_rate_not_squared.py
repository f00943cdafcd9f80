# cell: gd_rate
# loses: test_gd_rate
"""(kappa - 1) / (kappa + 1), the rate for the error in the H-norm, not for f - f*: the square is missing."""


def gd_rate(A):
    eigenvalues = np.linalg.eigvalsh(np.asarray(A, dtype=float) + np.asarray(A, dtype=float).T)
    if eigenvalues[0] <= 0:
        raise ValueError("H = A + A^T is not positive definite")
    kappa = eigenvalues[-1] / eigenvalues[0]
    return float((kappa - 1) / (kappa + 1))
