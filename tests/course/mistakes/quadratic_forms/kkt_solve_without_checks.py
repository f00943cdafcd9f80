# cell: constrained_minimum
# loses: test_constrained_minimum
"""Solves the KKT system and stops there: a saddle on the feasible set is returned as a minimum, and inconsistent constraints give a bare LinAlgError."""


def constrained_minimum(A, b, C, d):
    A, b, C, d = (np.asarray(v, dtype=float) for v in (A, b, C, d))
    p, n = C.shape
    kkt = np.block([[A + A.T, C.T], [C, np.zeros((p, p))]])
    solution = np.linalg.solve(kkt, np.concatenate([-b, d]))
    return solution[:n], solution[n:]
