# cell: expected_sarsa
# loses: test_expected_sarsa
"""gamma is missing on the bootstrap term: the target is r + E[Q(s', .)], so values never discount the future."""


def expected_sarsa(env, alpha, gamma, epsilon, n_episodes, seed):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    episode_returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        while True:
            a = epsilon_greedy(Q, s, epsilon, rng)
            s_next, r, terminated, truncated, _ = env.step(a)
            episode_returns[episode] += r
            q = Q[s_next]
            expected = (1 - epsilon) * q.max() + epsilon * q.mean()
            target = r if terminated else r + expected
            Q[s, a] += alpha * (target - Q[s, a])
            if terminated or truncated:
                break
            s = s_next
    return Q, episode_returns
