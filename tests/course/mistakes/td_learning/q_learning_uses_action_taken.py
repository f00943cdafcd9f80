# cell: q_learning
# loses: test_q_learning, test_q_learning_cliff
"""The update bootstraps from Q(s', a') of the action the agent then takes, not from max_a Q(s', a): that is Sarsa, which avoids the cliff's edge."""


def q_learning(env, alpha, gamma, epsilon, n_episodes, seed):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    episode_returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        a = epsilon_greedy(Q, s, epsilon, rng)
        while True:
            s_next, r, terminated, truncated, _ = env.step(a)
            episode_returns[episode] += r
            if terminated:
                Q[s, a] += alpha * (r - Q[s, a])
                break
            a_next = epsilon_greedy(Q, s_next, epsilon, rng)
            Q[s, a] += alpha * (r + gamma * Q[s_next, a_next] - Q[s, a])
            if truncated:
                break
            s, a = s_next, a_next
    return Q, episode_returns
