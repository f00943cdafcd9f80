# cell: td0_prediction
# loses: test_td0_prediction
"""Truncation is treated as termination (done=terminated or truncated), so the last state before the step limit never bootstraps."""


def td0_prediction(env, policy, alpha, gamma, n_episodes, seed):
    policy = np.asarray(policy, dtype=float)
    rng = np.random.default_rng(seed)
    V = np.zeros(env.observation_space.n)
    for episode in range(n_episodes):
        s, _ = env.reset(seed=seed) if episode == 0 else env.reset()
        while True:
            a = int(rng.choice(policy.shape[1], p=policy[s]))
            s_next, r, terminated, truncated, _ = env.step(a)
            td0_update(V, s, r, s_next, terminated or truncated, alpha, gamma)
            if terminated or truncated:
                break
            s = s_next
    return V
