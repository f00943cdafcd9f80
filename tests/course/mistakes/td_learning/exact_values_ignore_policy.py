# cell: exact_state_values
# loses: test_exact_state_values
"""The model is averaged uniformly over actions instead of weighted by the policy, so it solves for the uniform policy's values."""


def exact_state_values(P, R, policy, gamma):
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    P_pi = P.mean(axis=1)
    r_pi = R.mean(axis=1)
    return np.linalg.solve(np.eye(len(r_pi)) - gamma * P_pi, r_pi)
