"""Hidden tests for the temporal-difference learning assignment.

Never released to students. Each test is a plain function that takes the student's
functions as arguments and looks only at what they return, so the same test runs in the
student's kernel (stock nbgrader), in the trusted grader (student code behind a sandbox
proxy), and against the reference in pytest.

Environments live in the student's process: tests build them there with
``student_module("gridworld")`` / ``student_module("gymnasium")`` and pass them in. A
``Recorder`` wrapper (from the assignment's own ``gridworld.py``) keeps every transition
the agent made; the tests fetch that log as one array and *replay* it here with their own
implementation of each update rule, so the exact arithmetic of every update is checked on
the student's own trajectory, whatever random numbers the student's code drew. Outcomes
(optimal returns, the cliff's safe path) are judged with this module's own value iteration
on a trusted copy of ``gridworld.py`` (loaded from this folder, not the student's) and
gymnasium's own CliffWalking model.

Pinned seeds and the 99% rule. Each learning test uses hyperparameters under which the
reference passes for at least 99% of seeds; measured with the reference over seeds 0-99
(agent seed varied, the test's worlds fixed):

* Q-learning, alpha 0.5, epsilon 0.1, 200 episodes: greedy return optimal on the seed world
  100/100, and on each of the test's random worlds (r_step -0.1) 100/100.
* Expected Sarsa, same settings: 100/100 and 100/100. (With r_step = 0 on random worlds,
  1-5 of 100 seeds settle into zero-reward loops before finding a boxed-in target, so the
  random worlds charge -0.1 per step.)
* CliffWalking, alpha 0.5, epsilon 0.1, 200 episodes, last 50 episodes: Sarsa's fraction of
  steps on the cliff's edge row 0.001-0.143 (mean 0.034); Q-learning's 0.642-0.715, and its
  greedy path returns -13 in 100/100. (Sarsa's *greedy* path of a single alpha = 0.5
  snapshot loops in 23/100 seeds, so the test judges the path Sarsa walks, not its argmax.)
* Actor-critic, alpha 0.2 / 0.2, 100 episodes, r_step -0.1: the greedy policy reaches the
  target from the start within 20 steps in 100/100 seeds (all within 7 steps).
* RandomWalk RMS errors (below): bounds sit above the worst average over 100 seed triples.
* The replay tests' exploration counts (ExplorationCount.check) passed for all of seeds 0-99
  on every replay configuration, for Sarsa, Expected Sarsa, Q-learning and 3-step Sarsa.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path

import numpy as np

from autograder.testing import expect_raises, student_module, time_limit

LEARN_SECONDS = 30.0  # generous: the reference needs well under a second for every call below
GAMMA = 0.9

# Layouts of the replay worlds: small, so each run is short and every state is visited.
REPLAY_WORLD = ("s.#", "..T")
REPLAY_WORLD_WIDE = ("s..#", ".#.T")


# ------------------------------------------------------------------ trusted copies


def trusted_gridworld():
    """The assignment's gridworld.py, loaded from this folder: the tests' own copy of the dynamics."""
    path = Path(__file__).with_name("gridworld.py")
    if not path.is_file():  # hidden_tests.py moved without its folder: fall back to the import path
        return importlib.import_module("gridworld")
    spec = importlib.util.spec_from_file_location("gridworld_trusted_copy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_GRIDWORLD = None


def gw():
    global _GRIDWORLD
    if _GRIDWORLD is None:
        _GRIDWORLD = trusted_gridworld()
    return _GRIDWORLD


def cliff_model():
    """CliffWalking's dynamics as arrays (gymnasium's own table, built here): next state, reward, done."""
    from gymnasium.envs.toy_text.cliffwalking import CliffWalkingEnv

    table = CliffWalkingEnv().P
    n_states, n_actions = len(table), len(table[0])
    nxt = np.zeros((n_states, n_actions), dtype=int)
    reward = np.zeros((n_states, n_actions))
    done = np.zeros((n_states, n_actions), dtype=bool)
    for s in range(n_states):
        for a in range(n_actions):
            ((_, s2, r, terminated),) = table[s][a]
            nxt[s, a], reward[s, a], done[s, a] = int(s2), r, terminated
    return nxt, reward, done


# ------------------------------------------------------------------ oracles


def linear_values(P, R, policy, gamma):
    """v_pi = (I - gamma P_pi)^-1 r_pi."""
    P_pi = np.einsum("sa,sat->st", policy, P)
    r_pi = np.einsum("sa,sa->s", policy, R)
    return np.linalg.solve(np.eye(len(r_pi)) - gamma * P_pi, r_pi)


def value_iteration(P, R, gamma, tol=1e-12):
    V = np.zeros(P.shape[0])
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)
        if np.abs(V_new - V).max() < tol:
            return V_new
        V = V_new


def greedy_rollout(world, Q, gamma, limit=None):
    """Discounted return of argmax-Q (ties to the lowest action) from the start, and whether it ended."""
    state, total, discount = world.start_state, 0.0, 1.0
    for _ in range(limit or world.max_steps or 10_000):
        state, reward, terminated = world.outcome(state, int(np.argmax(Q[state])))
        total += discount * reward
        discount *= gamma
        if terminated:
            return total, True
    return total, False


def episodes_of(transitions):
    """Split a Recorder log into episodes: lists of (s, a, r, s2, terminated, truncated)."""
    episodes = {}
    for e, s, a, r, s2, term, trunc in np.asarray(transitions, dtype=float).reshape(-1, 7):
        episodes.setdefault(int(e), []).append((int(s), int(a), float(r), int(s2), bool(term), bool(trunc)))
    return [episodes[e] for e in sorted(episodes)]


def greedy_set(q):
    return set(np.flatnonzero(q == q.max()).tolist())


class ExplorationCount:
    """Counts actions that were greedy under neither of the two latest Q snapshots.

    Whether an agent picks its next action before or after its latest update differs between
    correct implementations, so an action counts as greedy under either snapshot. The expected
    count uses epsilon * (n_actions - ties) / n_actions per decision.
    """

    def __init__(self, epsilon, n_actions):
        self.epsilon, self.n_actions = epsilon, n_actions
        self.observed, self.expected, self.decisions = 0, 0.0, 0

    def add(self, q_now, q_before, action):
        now, before = greedy_set(q_now), greedy_set(q_before)
        self.observed += action not in now and action not in before
        self.expected += self.epsilon * (self.n_actions - len(now)) / self.n_actions
        self.decisions += 1

    def check(self, call):
        low, high = 0.5 * self.expected - 3, 2.0 * self.expected + 5
        assert low <= self.observed <= high, (
            f"{call}: of {self.decisions} actions, {self.observed} were not greedy for the current Q; "
            f"epsilon-greedy exploration with epsilon = {self.epsilon} should explore about "
            f"epsilon * (|A| - #ties) / |A| of the time. Is epsilon used (and only epsilon)?"
        )


def n_step_update(Q, states, actions, rewards, tau, n, T, alpha, gamma):
    """Sarsa's n-step update of Q[S_tau, A_tau]: n rewards (fewer at the end), then bootstrap unless past T."""
    end = min(tau + n, T)
    G = sum(gamma ** (i - tau - 1) * rewards[i] for i in range(tau + 1, end + 1))
    if end < T:
        G += gamma**n * Q[states[end], actions[end]]
    Q[states[tau], actions[tau]] += alpha * (G - Q[states[tau], actions[tau]])


def replay_n_step_sarsa(transitions, n_states, n_actions, n, alpha, gamma, epsilon):
    """Q after n-step Sarsa's updates on the logged trajectory (n = 1 is Sarsa)."""
    Q = np.zeros((n_states, n_actions))
    explore = ExplorationCount(epsilon, n_actions)
    previous = Q.copy()
    for episode in episodes_of(transitions):
        states = [t[0] for t in episode] + [episode[-1][3]]
        actions = [t[1] for t in episode]
        rewards = [0.0] + [t[2] for t in episode]
        T = len(episode)
        assert episode[-1][4], (
            "an episode in the test's small world was truncated before reaching the target "
            f"(after {T} steps): the agent should find the target long before that"
        )

        explore.add(Q[states[0]], previous[states[0]], actions[0])
        for t in range(T):
            # A_{t+1} is chosen after step t, around the update for tau = t - n + 1
            before = Q.copy()
            if t - n + 1 >= 0:
                n_step_update(Q, states, actions, rewards, t - n + 1, n, T, alpha, gamma)
            if t + 1 < T:
                explore.add(Q[states[t + 1]], before[states[t + 1]], actions[t + 1])
            previous = before
        for tau in range(max(T - n + 1, 0), T):
            n_step_update(Q, states, actions, rewards, tau, n, T, alpha, gamma)
    return Q, explore


def replay_one_step(transitions, n_states, n_actions, alpha, gamma, epsilon, rule):
    """Q after Q-learning's ("max") or Expected Sarsa's ("expected") updates on the logged trajectory."""
    Q = np.zeros((n_states, n_actions))
    explore = ExplorationCount(epsilon, n_actions)
    previous = Q.copy()
    for episode in episodes_of(transitions):
        for s, a, r, s2, terminated, _ in episode:
            explore.add(Q[s], previous[s], a)
            previous = Q.copy()
            if terminated:
                target = r
            elif rule == "max":
                target = r + gamma * Q[s2].max()
            else:
                target = r + gamma * ((1 - epsilon) * Q[s2].max() + epsilon * Q[s2].mean())
            Q[s, a] += alpha * (target - Q[s, a])
    return Q, explore


def replay_td0(transitions, n_states, alpha, gamma):
    V = np.zeros(n_states)
    for episode in episodes_of(transitions):
        for s, _, r, s2, terminated, _ in episode:
            V[s] += alpha * ((r if terminated else r + gamma * V[s2]) - V[s])
    return V


def replay_mc(transitions, n_states, gamma, first_visit, alpha):
    V, returns = np.zeros(n_states), [[] for _ in range(n_states)]
    for episode in episodes_of(transitions):
        G, backward = 0.0, []
        for s, _, r, *_ in reversed(episode):
            G = r + gamma * G
            backward.append((s, G))
        seen = set()
        for s, G in reversed(backward):  # time order
            if first_visit and s in seen:
                continue
            seen.add(s)
            if alpha is None:
                returns[s].append(G)
                V[s] = np.mean(returns[s])
            else:
                V[s] += alpha * (G - V[s])
    return V


def softmax(x):
    z = np.exp(x - x.max())
    return z / z.sum()


def replay_actor_critic(transitions, n_states, n_actions, alpha_actor, alpha_critic, gamma):
    theta, V = np.zeros((n_states, n_actions)), np.zeros(n_states)
    for episode in episodes_of(transitions):
        for s, a, r, s2, terminated, _ in episode:
            pi = softmax(theta[s])
            delta = (r if terminated else r + gamma * V[s2]) - V[s]
            V[s] += alpha_critic * delta
            grad = -pi
            grad[a] += 1.0
            theta[s] += alpha_actor * delta * grad
    return theta, V


# ------------------------------------------------------------------ helpers for checks


def as_array(value, name, shape, call):
    array = np.asarray(value)
    assert array.shape == tuple(shape), f"{call}: {name} has shape {array.shape}, expected {tuple(shape)}"
    assert np.issubdtype(array.dtype, np.floating), f"{call}: {name} has dtype {array.dtype}; use floats"
    return array.astype(float)


def assert_close(got, expected, what, call, atol=1e-8):
    bad = np.flatnonzero(~np.isclose(got, expected, rtol=1e-7, atol=atol).ravel())
    if len(bad):
        i = np.unravel_index(bad[0], np.shape(expected))
        raise AssertionError(
            f"{call}: {what} differs from the replay of your own trajectory through the update rule at index "
            f"{tuple(int(k) for k in i)} ({len(bad)} entries differ); you returned {np.asarray(got)[i]!r} there"
        )


def check_returns(episode_returns, transitions, n_episodes, call):
    got = np.asarray(episode_returns, dtype=float).ravel()
    assert got.shape == (n_episodes,), f"{call}: episode_returns has {got.size} entries, expected {n_episodes}"
    transitions = np.asarray(transitions, dtype=float).reshape(-1, 7)
    sums = np.bincount(transitions[:, 0].astype(int), weights=transitions[:, 3], minlength=n_episodes)[:n_episodes]
    bad = np.flatnonzero(~np.isclose(got, sums, atol=1e-9))
    assert not len(bad), (
        f"{call}: episode_returns[{bad[0]}] = {got[bad[0]]!r} is not the undiscounted sum of the rewards "
        "the environment gave in that episode"
    )


def check_seeding(env, seed, n_episodes, call):
    seeds = list(env.reset_seeds)
    assert len(seeds) == n_episodes, f"{call} called env.reset() {len(seeds)} times for {n_episodes} episodes"
    assert seeds[0] == seed and all(s is None for s in seeds[1:]), (
        f"{call}: reset the environment with reset(seed=seed) for the first episode and plain reset() after; "
        f"the seeds you passed were {seeds[:5]}{' ...' if len(seeds) > 5 else ''}"
    )


def recorded_world(layout, **kwargs):
    g = student_module("gridworld")
    return g.Recorder(g.GridWorld(list(layout), **kwargs))


def random_layout(rng, n_rows, n_cols):
    cells = np.full((n_rows, n_cols), ".")
    cells[rng.random((n_rows, n_cols)) < 0.25] = "#"
    order = rng.permutation(n_rows * n_cols)
    cells.flat[order[0]], cells.flat[order[1]] = "s", "T"
    return ["".join(row) for row in cells]


def optimal_worlds():
    """The seed's world (r_step 0) and two random worlds (r_step -0.1), fixed by the test's own seed."""
    rng = np.random.default_rng(20260)
    return [(gw().SEED_WORLD, 0.0), (random_layout(rng, 4, 5), -0.1), (random_layout(rng, 5, 4), -0.1)]


# ------------------------------------------------------------------ Part 1


def random_mdp(rng, n_states, n_actions):
    P = rng.random((n_states, n_actions, n_states)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(n_states, n_actions))
    policy = rng.random((n_states, n_actions))
    policy /= policy.sum(axis=1, keepdims=True)
    return P, R, policy


def test_exact_state_values_random(exact_state_values):
    """Does the linear solve agree with NumPy's on random MDPs and policies?"""
    rng = np.random.default_rng(11)
    for n_states, n_actions, gamma in [(1, 1, 0.5), (3, 2, 0.0), (6, 3, 0.9), (10, 4, 0.99), (25, 5, 0.9)]:
        P, R, policy = random_mdp(rng, n_states, n_actions)
        call = f"exact_state_values(<random P {P.shape}>, <R {R.shape}>, <policy>, gamma={gamma})"
        got = as_array(exact_state_values(P, R, policy, gamma), "v", (n_states,), call)
        expected = linear_values(P, R, policy, gamma)
        bad = np.flatnonzero(~np.isclose(got, expected, rtol=1e-7, atol=1e-9))
        assert not len(bad), f"{call}: v[{bad[0]}] = {got[bad[0]]!r} does not solve v = r_pi + gamma P_pi v"


def test_exact_state_values_seed_world(exact_state_values):
    """The seed's grid world under a uniform and a greedy-optimal policy, from the trusted transition model."""
    world = gw().GridWorld(gw().SEED_WORLD)
    P, R = world.transition_model()
    uniform = np.full((world.n_states, world.n_actions), 1 / world.n_actions)
    optimal = np.eye(world.n_actions)[np.argmax(R + GAMMA * P @ value_iteration(P, R, GAMMA), axis=1)]
    for name, policy in [("uniform", uniform), ("optimal", optimal)]:
        call = f"exact_state_values(P, R, <{name} policy>, gamma=0.9) on the seed's 5 x 5 grid world"
        got = as_array(exact_state_values(P, R, policy, GAMMA), "v", (world.n_states,), call)
        expected = linear_values(P, R, policy, GAMMA)
        bad = np.flatnonzero(~np.isclose(got, expected, rtol=1e-7, atol=1e-9))
        assert not len(bad), f"{call}: v[{bad[0]}] = {got[bad[0]]!r} is wrong"


# ------------------------------------------------------------------ Part 2


def test_td0_update_arithmetic(td0_update):
    """One update at a time: the TD error returned, V changed in place at s only, no bootstrap when done."""
    rng = np.random.default_rng(21)
    cases = [(rng.normal(size=6), int(rng.integers(6)), float(rng.normal()), int(rng.integers(6))) for _ in range(20)]
    cases += [(np.array([0.5, 2.0, -1.0]), 1, 0.0, 1), (np.array([0.0, 3.0]), 0, 1.0, 1)]
    for i, (V0, s, r, s_next) in enumerate(cases):
        for done in (False, True):
            alpha, gamma = [(0.1, 0.9), (0.5, 0.5), (1.0, 0.99)][i % 3]
            V = V0.copy()
            call = f"td0_update(V={V0.round(3).tolist()}, s={s}, r={r:.3f}, s_next={s_next}, done={done}, alpha={alpha}, gamma={gamma})"
            delta = td0_update(V, s, r, s_next, done, alpha, gamma)
            target = r if done else r + gamma * V0[s_next]
            expected_delta = target - V0[s]
            assert isinstance(delta, int | float | np.floating), f"{call} returned {delta!r}, not a number"
            assert math.isclose(delta, expected_delta, rel_tol=1e-9, abs_tol=1e-12), (
                f"{call} returned TD error {delta!r}"
                + (" (a terminal transition has target r: no bootstrap from s_next)" if done else "")
            )
            expected_V = V0.copy()
            expected_V[s] += alpha * expected_delta
            assert np.allclose(V, expected_V, rtol=1e-9, atol=1e-12), (
                f"{call}: afterwards V was {V.round(6).tolist()}; it should change in place, at index s only, "
                "by alpha times the TD error"
            )


# ------------------------------------------------------------------ Part 3


def test_td0_prediction_replay(td0_prediction):
    """TD(0) on a grid world with a short step limit: exact updates, bootstrap on truncation, policy followed."""
    layout, n_episodes, alpha = REPLAY_WORLD_WIDE, 40, 0.3
    world = gw().GridWorld(list(layout))
    rng = np.random.default_rng(31)
    policy = np.zeros((world.n_states, world.n_actions))
    favourite = rng.integers(4, size=world.n_states)
    policy[:, :4] = 0.1
    policy[np.arange(world.n_states), favourite] = 0.7  # action 4 (stay) never
    for seed in (3, 4):
        env = recorded_world(layout, max_steps=6)
        call = (
            f"td0_prediction(<GridWorld({list(layout)}, max_steps=6)>, <policy>, alpha={alpha}, gamma={GAMMA}, "
            f"n_episodes={n_episodes}, seed={seed})"
        )
        with time_limit(LEARN_SECONDS, call):
            V = td0_prediction(env, policy, alpha, GAMMA, n_episodes, seed)
        V = as_array(V, "V", (world.n_states,), call)
        transitions = env.transitions()
        check_seeding(env, seed, n_episodes, call)
        actions = transitions[:, 2].astype(int)
        states = transitions[:, 1].astype(int)
        assert not np.any(actions == 4), f"{call} took action 4, which the policy gives probability 0"
        share = np.mean(actions == favourite[states])
        sigma = math.sqrt(0.7 * 0.3 / len(actions))
        assert abs(share - 0.7) <= 5 * sigma + 0.02, (
            f"{call}: the policy's most likely action (probability 0.7) was taken in {share:.1%} of "
            f"{len(actions)} steps; sample actions from policy[s]"
        )
        assert_close(V, replay_td0(transitions, world.n_states, alpha, GAMMA), "V", call)


def rms_over_seeds(fn, call, seeds, **kwargs):
    g = student_module("gridworld")
    true_values = gw().RandomWalk(5).true_values()[1:-1]
    errors = []
    for seed in seeds:
        with time_limit(LEARN_SECONDS, call.replace("seed=s", f"seed={seed}")):
            V = fn(g.RandomWalk(5), seed=seed, **kwargs)
        V = as_array(V, "V", (7,), call.replace("seed=s", f"seed={seed}"))
        errors.append(math.sqrt(np.mean((V[1:-1] - true_values) ** 2)))
    return float(np.mean(errors)), V


UNIFORM_WALK = np.full((7, 2), 0.5)
RMS_SEEDS = (0, 1, 2)
# RMS error on RandomWalk(5) after 100 episodes from V = 0, averaged over RMS_SEEDS-sized triples of
# seeds; over 100 disjoint triples (seeds 0-299) the reference measured TD(0) alpha 0.1: 0.034-0.113
# (single seeds 0.012-0.177), first-visit sample-average MC: 0.023-0.090 (single seeds 0.007-0.132).
# Returning V = 0 scores 0.577, a constant 0.5 scores 0.236.
TD_RMS_BOUND = 0.16
MC_RMS_BOUND = 0.13


def test_td0_prediction_random_walk(td0_prediction):
    """Sutton and Barto's random walk: TD(0) from V = 0 gets near 1/6 ... 5/6, reproducibly."""
    kwargs = dict(policy=UNIFORM_WALK, alpha=0.1, gamma=1.0, n_episodes=100)
    call = "td0_prediction(RandomWalk(5), <uniform policy>, alpha=0.1, gamma=1.0, n_episodes=100, seed=s)"
    rms, last = rms_over_seeds(td0_prediction, call, RMS_SEEDS, **kwargs)
    assert rms < TD_RMS_BOUND, (
        f"{call}: the RMS error against the true values, averaged over seeds {RMS_SEEDS}, is {rms:.3f}"
    )
    with time_limit(LEARN_SECONDS, call):
        again = td0_prediction(student_module("gridworld").RandomWalk(5), seed=RMS_SEEDS[-1], **kwargs)
    assert np.array_equal(np.asarray(again), last), f"{call} gave a different V for the same seed {RMS_SEEDS[-1]}"


def test_mc_prediction_replay(mc_prediction):
    """First-visit and every-visit sample averages, and constant-alpha MC, replayed on the agent's episodes."""
    n_episodes = 25
    for first_visit, alpha in [(True, None), (False, None), (True, 0.2)]:
        env = student_module("gridworld").Recorder(student_module("gridworld").RandomWalk(5))
        call = (
            f"mc_prediction(RandomWalk(5), <uniform policy>, gamma={GAMMA}, n_episodes={n_episodes}, seed=5, "
            f"first_visit={first_visit}, alpha={alpha})"
        )
        with time_limit(LEARN_SECONDS, call):
            V = mc_prediction(env, UNIFORM_WALK, GAMMA, n_episodes, 5, first_visit=first_visit, alpha=alpha)
        V = as_array(V, "V", (7,), call)
        check_seeding(env, 5, n_episodes, call)
        transitions = env.transitions()
        assert_close(V, replay_mc(transitions, 7, GAMMA, first_visit, alpha), "V", call)


def test_mc_prediction_random_walk(mc_prediction):
    """Sample-average first-visit MC from V = 0 on the random walk: close to 1/6 ... 5/6, reproducibly."""
    kwargs = dict(policy=UNIFORM_WALK, gamma=1.0, n_episodes=100)
    call = "mc_prediction(RandomWalk(5), <uniform policy>, gamma=1.0, n_episodes=100, seed=s)"
    rms, last = rms_over_seeds(mc_prediction, call, RMS_SEEDS, **kwargs)
    assert rms < MC_RMS_BOUND, (
        f"{call}: the RMS error against the true values, averaged over seeds {RMS_SEEDS}, is {rms:.3f}"
    )
    with time_limit(LEARN_SECONDS, call):
        again = mc_prediction(student_module("gridworld").RandomWalk(5), seed=RMS_SEEDS[-1], **kwargs)
    assert np.array_equal(np.asarray(again), last), f"{call} gave a different V for the same seed {RMS_SEEDS[-1]}"


# ------------------------------------------------------------------ Part 4


def sample_actions(epsilon_greedy, Q, s, epsilon, rng, count):
    """``count`` calls of epsilon_greedy, made in the student's process in one round trip."""
    itertools_s, builtins_s = student_module("itertools"), student_module("builtins")
    with time_limit(LEARN_SECONDS, f"{count} calls of epsilon_greedy"):
        calls = itertools_s.starmap(epsilon_greedy, itertools_s.repeat((Q, s, epsilon, rng), count))
        return [int(a) for a in builtins_s.list(calls)]


def check_frequencies(actions, probabilities, call):
    actions = np.asarray(actions)
    n = len(actions)
    for a, p in enumerate(probabilities):
        share = np.mean(actions == a)
        sigma = math.sqrt(p * (1 - p) / n)
        assert abs(share - p) <= 5 * sigma + 1e-9, (
            f"{call}: over {n} calls, action {a} came {share:.1%} of the time, too far from its probability "
            "under the contract's rule (1 - epsilon + epsilon/|A| split among tied greedy actions, epsilon/|A| each)"
        )


def test_epsilon_greedy_frequencies(epsilon_greedy):
    """Action frequencies 1 - eps + eps/|A| and eps/|A|, random tie-breaking, and the rng as the only randomness."""
    np_s = student_module("numpy")
    Q = np.array([[0.0, 0.0, 0.0, 0.0], [0.1, 0.5, -0.2, 0.3], [1.0, 0.0, 1.0, 1.0]])
    for s, epsilon, probabilities in [
        (1, 0.4, [0.1, 0.7, 0.1, 0.1]),
        (1, 0.0, [0.0, 1.0, 0.0, 0.0]),
        (1, 1.0, [0.25, 0.25, 0.25, 0.25]),
        (2, 0.0, [1 / 3, 0.0, 1 / 3, 1 / 3]),
        (2, 0.2, [0.05 + 0.8 / 3, 0.05, 0.05 + 0.8 / 3, 0.05 + 0.8 / 3]),
        (0, 0.1, [0.25, 0.25, 0.25, 0.25]),
    ]:
        rng = np_s.random.default_rng(100 + s)
        call = f"epsilon_greedy(Q, s={s}, epsilon={epsilon}, rng) with Q[{s}] = {Q[s].tolist()}"
        actions = sample_actions(epsilon_greedy, Q, s, epsilon, rng, 2000)
        check_frequencies(actions, probabilities, call)
    first = sample_actions(epsilon_greedy, Q, 2, 0.3, np_s.random.default_rng(7), 200)
    second = sample_actions(epsilon_greedy, Q, 2, 0.3, np_s.random.default_rng(7), 200)
    assert first == second, "epsilon_greedy gave different actions for two generators with the same seed"


def test_greedy_policy_ties(greedy_policy):
    """One-hot rows, ties to the lowest action index, a float array of Q's shape."""
    rng = np.random.default_rng(41)
    for shape in [(1, 1), (7, 5), (30, 4)]:
        Q = rng.integers(-2, 2, size=shape).astype(float)  # many ties
        call = f"greedy_policy(Q) with Q of shape {shape} = {Q.tolist() if shape[0] <= 7 else '...'}"
        got = as_array(greedy_policy(Q), "the policy", shape, call)
        expected = np.eye(shape[1])[np.argmax(Q, axis=1)]
        rows = np.flatnonzero(~np.all(got == expected, axis=1))
        assert not len(rows), (
            f"{call}: row {rows[0]} is {got[rows[0]].tolist()} for Q[{rows[0]}] = {Q[rows[0]].tolist()}; "
            "put probability 1 on a greedy action, the lowest-numbered one among ties"
        )


def test_policy_return_rollouts(policy_return):
    """Deterministic rollouts from reset(seed=0): targets, truncation at max_steps, and the 10,000-step cap."""
    g = student_module("gridworld")
    rng = np.random.default_rng(51)
    layouts = [gw().SEED_WORLD, REPLAY_WORLD_WIDE, random_layout(rng, 4, 6)]
    for i, layout in enumerate(layouts):
        world = gw().GridWorld(list(layout), r_step=-0.05, max_steps=30)
        for gamma in (0.9, 1.0):
            logits = rng.random((world.n_states, world.n_actions))
            policy = np.exp(3 * logits) / np.exp(3 * logits).sum(axis=1, keepdims=True)
            call = f"policy_return(GridWorld({list(layout)}, r_step=-0.05, max_steps=30), <policy {i}>, gamma={gamma})"
            with time_limit(LEARN_SECONDS, call):
                got = policy_return(g.GridWorld(list(layout), r_step=-0.05, max_steps=30), policy, gamma)
            expected, _ = greedy_rollout(world, policy, gamma)
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), f"{call} returned {got!r}"
    nxt, reward, done = cliff_model()
    policy = np.zeros((48, 4))
    policy[:, 0] = 0.9  # up, forever: stuck against the top wall
    policy[:, 1:] = 0.1 / 3
    call = "policy_return(CliffWalking-v1, <always up>, gamma=1.0) (an environment with no step limit)"
    with time_limit(LEARN_SECONDS, call):
        got = policy_return(student_module("gymnasium").make("CliffWalking-v1"), policy, 1.0)
    assert got == -10_000.0, f"{call} returned {got!r}: stop after 10,000 steps when the environment never ends"


# ------------------------------------------------------------------ Part 5: Sarsa


def check_replay(fn, name, layout, n, rule, n_episodes=60, alpha=0.5, epsilon=0.2, seeds=(1, 2)):
    world = gw().GridWorld(list(layout), r_step=-0.1, max_steps=500)
    for seed in seeds:
        env = recorded_world(layout, r_step=-0.1, max_steps=500)
        args = (alpha, GAMMA, epsilon, n_episodes, seed) if n is None else (n, alpha, GAMMA, epsilon, n_episodes, seed)
        shown = f"n={n}, " if n is not None else ""
        call = (
            f"{name}(<GridWorld({list(layout)}, r_step=-0.1)>, {shown}alpha={alpha}, gamma={GAMMA}, "
            f"epsilon={epsilon}, n_episodes={n_episodes}, seed={seed})"
        )
        with time_limit(LEARN_SECONDS, call):
            Q, episode_returns = fn(env, *args)
        Q = as_array(Q, "Q", (world.n_states, world.n_actions), call)
        transitions = env.transitions()
        check_seeding(env, seed, n_episodes, call)
        check_returns(episode_returns, transitions, n_episodes, call)
        if rule == "sarsa":
            expected, explore = replay_n_step_sarsa(
                transitions, world.n_states, world.n_actions, n or 1, alpha, GAMMA, epsilon
            )
        else:
            expected, explore = replay_one_step(
                transitions, world.n_states, world.n_actions, alpha, GAMMA, epsilon, rule
            )
        assert_close(Q, expected, "Q", call)
        explore.check(call)
        if seed == seeds[0]:
            with time_limit(LEARN_SECONDS, call):
                Q2, _ = fn(recorded_world(layout, r_step=-0.1, max_steps=500), *args)
            assert np.array_equal(np.asarray(Q2), Q), f"{call} gave a different Q when called again with the same seed"


def test_sarsa_replay(sarsa):
    """Every Sarsa update, replayed on the agent's own trajectory, with epsilon-greedy exploration."""
    check_replay(sarsa, "sarsa", REPLAY_WORLD, None, "sarsa")
    check_replay(sarsa, "sarsa", REPLAY_WORLD_WIDE, None, "sarsa", epsilon=0.1, alpha=0.3, seeds=(3,))


CLIFF_EPISODES, CLIFF_LAST = 200, 50
CLIFF_EDGE_LIMIT = 0.3  # Sarsa measured 0.001-0.143 over 100 seeds; Q-learning 0.642-0.715


def cliff_run(fn, name, seed):
    g = student_module("gridworld")
    env = g.Recorder(student_module("gymnasium").make("CliffWalking-v1"))
    call = f"{name}(CliffWalking-v1, alpha=0.5, gamma=1.0, epsilon=0.1, n_episodes={CLIFF_EPISODES}, seed={seed})"
    with time_limit(LEARN_SECONDS, call):
        Q, episode_returns = fn(env, 0.5, 1.0, 0.1, CLIFF_EPISODES, seed)
    Q = as_array(Q, "Q", (48, 4), call)
    transitions = env.transitions()
    check_returns(episode_returns, transitions, CLIFF_EPISODES, call)
    late = transitions[transitions[:, 0] >= CLIFF_EPISODES - CLIFF_LAST]
    landed = late[:, 4].astype(int)
    edge = float(np.mean((landed // 12 == 2) & (landed % 12 >= 1) & (landed % 12 <= 10)))
    return Q, edge, call


def test_sarsa_cliff_safe_path(sarsa):
    """Example 6.6: with epsilon = 0.1 Sarsa learns to walk away from the cliff's edge."""
    for seed in (0,):
        _, edge, call = cliff_run(sarsa, "sarsa", seed)
        assert edge < CLIFF_EDGE_LIMIT, (
            f"{call}: in the last {CLIFF_LAST} episodes {edge:.0%} of the agent's steps ran along the row next to "
            "the cliff; Sarsa, learning the value of the epsilon-greedy policy it follows, should learn the safer "
            "path further up (Sutton and Barto, Example 6.6). Does the update use the next action actually taken?"
        )


# ------------------------------------------------------------------ Expected Sarsa and Q-learning


def check_optimal(fn, name):
    for layout, r_step in optimal_worlds():
        world = gw().GridWorld(list(layout), r_step=r_step)
        P, R = world.transition_model()
        best = value_iteration(P, R, GAMMA)[world.start_state]
        for seed in (0,):
            env = student_module("gridworld").GridWorld(list(layout), r_step=r_step)
            call = f"{name}(GridWorld({list(layout)}, r_step={r_step}), alpha=0.5, gamma=0.9, epsilon=0.1, n_episodes=200, seed={seed})"
            with time_limit(LEARN_SECONDS, call):
                Q, _ = fn(env, 0.5, GAMMA, 0.1, 200, seed)
            Q = as_array(Q, "Q", (world.n_states, world.n_actions), call)
            got, reached = greedy_rollout(world, Q, GAMMA)
            assert reached and got >= best - 1e-9, (
                f"{call}: the greedy policy of the Q you returned "
                + ("earns" if reached else "never reaches the target; it earns")
                + f" {got:.4f} from the start, less than the optimal return (from value iteration)"
            )


def test_expected_sarsa_replay(expected_sarsa):
    """Every Expected Sarsa update: the target averages Q[s'] under the epsilon-greedy policy."""
    check_replay(expected_sarsa, "expected_sarsa", REPLAY_WORLD, None, "expected")
    check_replay(expected_sarsa, "expected_sarsa", REPLAY_WORLD_WIDE, None, "expected", epsilon=0.3, seeds=(3,))


def test_expected_sarsa_optimal(expected_sarsa):
    """Expected Sarsa's greedy policy reaches the optimal return on the seed's world and on random worlds."""
    check_optimal(expected_sarsa, "expected_sarsa")


def test_q_learning_replay(q_learning):
    """Every Q-learning update bootstraps from max_a Q[s', a], whatever the agent does next."""
    check_replay(q_learning, "q_learning", REPLAY_WORLD, None, "max")
    check_replay(q_learning, "q_learning", REPLAY_WORLD_WIDE, None, "max", epsilon=0.3, seeds=(3,))


def test_q_learning_optimal(q_learning):
    """Q-learning's greedy policy reaches the optimal return on the seed's world and on random worlds."""
    check_optimal(q_learning, "q_learning")


def test_q_learning_cliff_optimal_path(q_learning):
    """Example 6.6: Q-learning's greedy path runs along the cliff's edge, return -13."""
    nxt, reward, done = cliff_model()
    for seed in (0,):
        Q, edge, call = cliff_run(q_learning, "q_learning", seed)
        state, total = 36, 0.0
        for _ in range(100):
            a = int(np.argmax(Q[state]))
            total += reward[state, a]
            state, finished = nxt[state, a], done[state, a]
            if finished:
                break
        assert finished and total == -13, (
            f"{call}: the greedy path of the Q you returned "
            + ("earns" if finished else "never reaches the goal (100 steps); it earns")
            + f" {total:g}, not the optimal -13"
        )


# ------------------------------------------------------------------ n-step Sarsa


def test_n_step_sarsa_replay(n_step_sarsa):
    """n-step returns with exactly n rewards (n = 1 is Sarsa), replayed on the agent's own episodes."""
    for n in (1, 2, 4):
        check_replay(n_step_sarsa, "n_step_sarsa", REPLAY_WORLD, n, "sarsa", seeds=(1,))
    check_replay(n_step_sarsa, "n_step_sarsa", REPLAY_WORLD_WIDE, 3, "sarsa", seeds=(2,), epsilon=0.1)
    with expect_raises(ValueError, "n_step_sarsa(env, n=0, ...)"):
        n_step_sarsa(student_module("gridworld").GridWorld(list(REPLAY_WORLD)), 0, 0.5, GAMMA, 0.1, 1, 0)


# ------------------------------------------------------------------ actor-critic


def test_actor_critic_replay(actor_critic):
    """The critic's TD error drives both updates: replayed on the agent's own trajectory."""
    layout, n_episodes = REPLAY_WORLD_WIDE, 30
    world = gw().GridWorld(list(layout), r_step=-0.1)
    for alpha_actor, alpha_critic, seed in [(0.5, 0.3, 1), (0.2, 0.6, 2)]:
        env = recorded_world(layout, r_step=-0.1, max_steps=40)
        call = f"actor_critic(<GridWorld({list(layout)}, r_step=-0.1, max_steps=40)>, alpha_actor={alpha_actor}, alpha_critic={alpha_critic}, gamma=0.9, n_episodes={n_episodes}, seed={seed})"
        with time_limit(LEARN_SECONDS, call):
            theta, V, episode_returns = actor_critic(env, alpha_actor, alpha_critic, GAMMA, n_episodes, seed)
        theta = as_array(theta, "theta", (world.n_states, world.n_actions), call)
        V = as_array(V, "V", (world.n_states,), call)
        transitions = env.transitions()
        check_seeding(env, seed, n_episodes, call)
        check_returns(episode_returns, transitions, n_episodes, call)
        expected_theta, expected_V = replay_actor_critic(
            transitions, world.n_states, world.n_actions, alpha_actor, alpha_critic, GAMMA
        )
        assert_close(V, expected_V, "V (the critic)", call)
        assert_close(theta, expected_theta, "theta (the actor)", call)


def test_actor_critic_reaches_target(actor_critic):
    """On the seed's world with r_step = -0.1, the greedy actor walks from the start to the target."""
    layout = gw().SEED_WORLD
    world = gw().GridWorld(list(layout), r_step=-0.1)
    for seed in (0,):
        env = student_module("gridworld").GridWorld(list(layout), r_step=-0.1)
        call = f"actor_critic(GridWorld(SEED_WORLD, r_step=-0.1), alpha_actor=0.2, alpha_critic=0.2, gamma=0.9, n_episodes=100, seed={seed})"
        with time_limit(LEARN_SECONDS, call):
            theta, _, _ = actor_critic(env, 0.2, 0.2, GAMMA, 100, seed)
        theta = as_array(theta, "theta", (world.n_states, world.n_actions), call)
        _, reached = greedy_rollout(world, theta, GAMMA, limit=20)
        assert reached, f"{call}: following argmax theta from the start does not reach the target within 20 steps"
