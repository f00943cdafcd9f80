"""Reproduce Sutton and Barto's Figure 6.2 and Example 6.6, and time a plain-Python Q-learning loop.

    .venv/bin/python benchmarks/td_learning.py [--runs 100] [--cliff-runs 10]

1. Figure 6.2 (random walk, 5 states, values start at 0.5, constant alpha): RMS error
   after 0, 10, 25, 50 and 100 episodes, averaged over ``--runs`` runs, for TD(0) with
   alpha in {0.05, 0.1, 0.15} and constant-alpha MC with alpha in {0.01, 0.02, 0.03, 0.04}.
   The contract's functions start at V = 0, so this part writes the two updates out (they
   see the same walks); the reference ``td0_prediction`` and ``mc_prediction`` (V = 0,
   sample-average MC) follow as a second table.
2. Example 6.6 (CliffWalking-v1, alpha 0.5, epsilon 0.1, 500 episodes): the reference
   ``sarsa`` and ``q_learning``'s mean return per episode over episodes 400-500, averaged
   over ``--cliff-runs`` seeds, next to the book's.
3. Environment steps per second of the reference ``q_learning`` on CliffWalking, and where
   the time of one step goes (gymnasium's step with its wrappers, epsilon_greedy, the update).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import time

import gymnasium as gym
import numpy as np
from common import load_reference

TRUE = np.arange(1, 6) / 6


def walks(rng, count):
    """Random-walk episodes as (states visited, final reward); states 1..5, start 3."""
    episodes = []
    for _ in range(count):
        s, states = 3, []
        while 0 < s < 6:
            states.append(s)
            s += 1 if rng.random() < 0.5 else -1
        episodes.append((states, 1.0 if s == 6 else 0.0))
    return episodes


def rms_curve(episodes, alpha, method):
    """RMS error after 0, 1, ..., len(episodes) episodes; V starts at 0.5 as in the book."""
    V = np.full(7, 0.5)
    V[0] = V[6] = 0.0
    errors = [np.sqrt(np.mean((V[1:6] - TRUE) ** 2))]
    for states, reward in episodes:
        for i, s in enumerate(states):
            if method == "TD":
                target = reward if i + 1 == len(states) else V[states[i + 1]]  # gamma = 1, rewards 0 until the end
            else:
                target = reward  # every return equals the final reward
            V[s] += alpha * (target - V[s])
        errors.append(np.sqrt(np.mean((V[1:6] - TRUE) ** 2)))
    return np.array(errors)


def figure_6_2(runs: int, reference: dict) -> None:
    rng = np.random.default_rng(62)
    all_walks = [walks(rng, 100) for _ in range(runs)]
    marks = [0, 10, 25, 50, 100]
    print(f"Figure 6.2: RMS error on the random walk, V = 0.5 at the start, mean of {runs} runs")
    print(f"  {'method':<16}" + "".join(f"{'ep ' + str(m):>9}" for m in marks))
    for method, alphas in [("TD", (0.05, 0.1, 0.15)), ("MC", (0.01, 0.02, 0.03, 0.04))]:
        for alpha in alphas:
            curve = np.mean([rms_curve(w, alpha, method) for w in all_walks], axis=0)
            print(f"  {method + ' alpha=' + str(alpha):<16}" + "".join(f"{curve[m]:9.3f}" for m in marks))
    print(
        "  book (read off Figure 6.2, approximate): from 0.24 at the start, every TD curve ends below every MC curve;\n"
        "  TD alpha 0.05 lowest by 100 episodes, TD alpha 0.15 fastest early then flattening; MC near 0.1 or above."
    )
    walk = reference["RandomWalk"]
    uniform = np.full((7, 2), 0.5)
    seeds = range(min(runs, 30))
    td = np.mean(
        [
            np.sqrt(np.mean((reference["td0_prediction"](walk(5), uniform, 0.1, 1.0, 100, s)[1:6] - TRUE) ** 2))
            for s in seeds
        ]
    )
    mc = np.mean(
        [np.sqrt(np.mean((reference["mc_prediction"](walk(5), uniform, 1.0, 100, s)[1:6] - TRUE) ** 2)) for s in seeds]
    )
    print(
        f"  the contract's setting (V = 0; {len(seeds)} seeds, 100 episodes): td0_prediction alpha 0.1 {td:.3f}, "
        f"mc_prediction (first-visit sample average) {mc:.3f}: from 0, sample-average MC wins"
    )


def example_6_6(runs: int, reference: dict) -> tuple[float, float]:
    late = {}
    for name in ("sarsa", "q_learning"):
        returns = [reference[name](gym.make("CliffWalking-v1"), 0.5, 1.0, 0.1, 500, seed)[1] for seed in range(runs)]
        late[name] = float(np.mean([r[400:].mean() for r in returns]))
    print(f"Example 6.6: CliffWalking-v1, alpha 0.5, epsilon 0.1, 500 episodes, mean of {runs} seeds")
    print(
        f"  mean return per episode over episodes 400-500: Sarsa {late['sarsa']:.1f}, Q-learning {late['q_learning']:.1f}"
    )
    print("  book (Figure in Example 6.6): Sarsa about -25, Q-learning about -50")
    return late["sarsa"], late["q_learning"]


class StepCounter(gym.Wrapper):
    def __init__(self, env):
        super().__init__(env)
        self.steps = 0

    def step(self, action):
        self.steps += 1
        return self.env.step(action)


def steps_per_second(reference: dict) -> None:
    q_learning, epsilon_greedy = reference["q_learning"], reference["epsilon_greedy"]
    counter = StepCounter(gym.make("CliffWalking-v1"))
    q_learning(counter, 0.5, 1.0, 0.1, 500, 0)
    steps = counter.steps
    start = time.perf_counter()
    q_learning(gym.make("CliffWalking-v1"), 0.5, 1.0, 0.1, 500, 0)
    total = time.perf_counter() - start

    env, raw = gym.make("CliffWalking-v1"), gym.make("CliffWalking-v1").unwrapped
    rng = np.random.default_rng(0)
    actions = rng.integers(4, size=steps)
    timings = {}
    for name, e in [("env.step (gym.make, with wrappers)", env), ("env.step (unwrapped)", raw)]:
        e.reset(seed=0)
        start = time.perf_counter()
        for a in actions:
            if e.step(int(a))[2]:
                e.reset()
        timings[name] = (time.perf_counter() - start) / steps
    Q = np.zeros((48, 4))
    start = time.perf_counter()
    for _ in range(steps):
        epsilon_greedy(Q, 36, 0.1, rng)
    timings["epsilon_greedy"] = (time.perf_counter() - start) / steps
    start = time.perf_counter()
    for _ in range(steps):
        Q[36, 1] += 0.5 * (-1.0 + Q[24].max() - Q[36, 1])
    timings["the update (max over 4 actions)"] = (time.perf_counter() - start) / steps

    print(
        f"Q-learning on CliffWalking-v1, 500 episodes: {steps:,} steps in {total:.2f} s = {steps / total:,.0f} steps/s"
    )
    print(f"  per step {total / steps * 1e6:.1f} us, of which (timed alone):")
    for name, seconds in timings.items():
        print(f"    {name:<36} {seconds * 1e6:6.1f} us")
    print(
        "  Every piece is interpreted Python: a NumPy call on a 4-element row costs about a microsecond of call\n"
        "  overhead however little arithmetic it does, and CliffWalking's step is Python code too; the rest is the\n"
        "  loop itself (unpacking the step's 5-tuple, bookkeeping). A vectorized or compiled agent would be bound by env.step."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--cliff-runs", type=int, default=10)
    args = parser.parse_args()
    with contextlib.redirect_stdout(io.StringIO()):  # the notebook's demo cell prints
        reference = load_reference("td_learning")
    print(f"numpy {np.__version__}, gymnasium {gym.__version__}, {platform.processor() or platform.machine()}")
    figure_6_2(args.runs, reference)
    sarsa, q = example_6_6(args.cliff_runs, reference)
    steps_per_second(reference)
    print(f"Sarsa {sarsa:.1f} vs Q-learning {q:.1f} per episode over episodes 400-500 (book: about -25 vs -50)")


if __name__ == "__main__":
    main()
