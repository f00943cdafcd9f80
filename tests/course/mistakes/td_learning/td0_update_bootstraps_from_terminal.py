# cell: td0_update
# loses: test_td0_update
"""The target is always r + gamma V(s'), even when the transition terminated, so a terminal state's entry leaks into V."""


def td0_update(V, s, r, s_next, done, alpha, gamma):
    delta = float(r + gamma * V[s_next] - V[s])
    V[s] += alpha * delta
    return delta
