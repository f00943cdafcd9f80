# cell: epsilon_greedy
# loses: test_epsilon_greedy, test_q_learning
"""Greedy ties always go to the lowest action (np.argmax): on the seed's world Q-learning's agent settles into a zero-reward corner and its greedy policy never reaches the target."""


def epsilon_greedy(Q, s, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(Q[s])))
    return int(np.argmax(Q[s]))
