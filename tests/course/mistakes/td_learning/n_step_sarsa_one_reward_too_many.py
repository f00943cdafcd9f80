# cell: n_step_sarsa
# loses: test_n_step_sarsa
"""Off by one: each n-step return sums n + 1 rewards before bootstrapping (with gamma^(n+1)), so n = 1 is not Sarsa."""


def n_step_sarsa(env, n, alpha, gamma, epsilon, n_episodes, seed):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    n = n + 1  # the bug: the horizon counts one step too many
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    episode_returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        states, actions, rewards = [s], [epsilon_greedy(Q, s, epsilon, rng)], [0.0]
        T, t, bootstrap_at_end = math.inf, 0, False
        while True:
            if t < T:
                s_next, r, terminated, truncated, _ = env.step(actions[t])
                episode_returns[episode] += r
                states.append(s_next)
                rewards.append(r)
                if not terminated:
                    actions.append(epsilon_greedy(Q, s_next, epsilon, rng))
                if terminated or truncated:
                    T, bootstrap_at_end = t + 1, not terminated
            tau = t - n + 1
            if tau >= 0:
                end = min(tau + n, T)
                G = sum(gamma ** (i - tau - 1) * rewards[i] for i in range(tau + 1, end + 1))
                if end < T or bootstrap_at_end:
                    G += gamma ** (end - tau) * Q[states[end], actions[end]]
                Q[states[tau], actions[tau]] += alpha * (G - Q[states[tau], actions[tau]])
            if tau == T - 1:
                break
            t += 1
    return Q, episode_returns
