# cell: mc_prediction
# loses: test_mc_prediction
"""Every visit is always used, whatever first_visit says, so revisited states average the wrong returns."""


def mc_prediction(env, policy, gamma, n_episodes, seed, first_visit=True, alpha=None):
    policy = np.asarray(policy, dtype=float)
    rng = np.random.default_rng(seed)
    V = np.zeros(env.observation_space.n)
    counts = np.zeros(env.observation_space.n)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        states, rewards = [], []
        while True:
            a = int(rng.choice(policy.shape[1], p=policy[s]))
            s_next, r, terminated, truncated, _ = env.step(a)
            states.append(s)
            rewards.append(r)
            if terminated or truncated:
                break
            s = s_next
        G = 0.0
        returns = [0.0] * len(states)
        for t in range(len(states) - 1, -1, -1):
            G = rewards[t] + gamma * G
            returns[t] = G
        for s, G in zip(states, returns, strict=True):
            if alpha is None:
                counts[s] += 1
                V[s] += (G - V[s]) / counts[s]
            else:
                V[s] += alpha * (G - V[s])
    return V
