# cell: actor_critic
# loses: test_actor_critic
"""The actor's step is weighted by the reward r instead of the critic's TD error, so the critic is learned but never used."""


def actor_critic(env, alpha_actor, alpha_critic, gamma, n_episodes, seed):
    rng = np.random.default_rng(seed)
    n_states, n_actions = env.observation_space.n, env.action_space.n
    theta, V = np.zeros((n_states, n_actions)), np.zeros(n_states)
    episode_returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        while True:
            z = np.exp(theta[s] - theta[s].max())
            pi = z / z.sum()
            a = int(rng.choice(n_actions, p=pi))
            s_next, r, terminated, truncated, _ = env.step(a)
            episode_returns[episode] += r
            delta = (r if terminated else r + gamma * V[s_next]) - V[s]
            V[s] += alpha_critic * delta
            grad_log_pi = -pi
            grad_log_pi[a] += 1.0
            theta[s] += alpha_actor * r * grad_log_pi
            if terminated or truncated:
                break
            s = s_next
    return theta, V, episode_returns
