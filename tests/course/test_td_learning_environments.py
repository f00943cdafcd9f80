"""Do the td_learning environments keep the contract the notebook states (fast, no notebooks)?"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from conftest import REPO_ROOT

FOLDER = REPO_ROOT / "solutions" / "td_learning"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"td_learning_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gw = load("gridworld")


@pytest.mark.parametrize(
    ("layout", "words"),
    [
        (["s.", ".x"], ["row 1", "column 1"]),
        (["s..", ".T"], ["row 1"]),
        ([".T", ".."], ["start"]),
        (["s.", ".."], ["target"]),
        (["sT", "s."], ["row 0, column 0", "row 1, column 0"]),
        ("s.T", ["list of strings"]),
    ],
)
def test_bad_layouts_raise_value_error_naming_the_cell(layout, words):
    with pytest.raises(ValueError) as info:
        gw.GridWorld(layout)
    assert all(word in str(info.value) for word in words), str(info.value)


def test_transition_model_agrees_with_step():
    """Does every (state, action) of P and R match what step() does, for the seed's world?"""
    env = gw.GridWorld(gw.SEED_WORLD, r_step=-0.1)
    P, R = env.transition_model()
    assert P.shape == (25, 5, 25) and R.shape == (25, 5)
    assert np.allclose(P.sum(axis=2), 1.0)
    for s in range(25):
        for a in range(5):
            env.state, env.steps = s, 0
            s2, r, terminated, truncated, _ = env.step(a)
            if env.is_target(s):
                assert P[s, a, s] == 1.0 and R[s, a] == 0.0  # absorbing at zero reward
                continue
            assert P[s, a, s2] == 1.0 and R[s, a] == r and not truncated
            assert terminated == env.is_target(s2)


def test_seed_world_rewards_and_truncation():
    env = gw.GridWorld(gw.SEED_WORLD, max_steps=3)
    assert env.reset(seed=0) == (0, {})
    assert env.step(gw.UP)[:4] == (0, -1.0, False, False)  # off the grid: stay, r_boundary
    assert env.step(gw.DOWN)[:4] == (5, 0.0, False, False)
    assert env.step(gw.RIGHT)[:4] == (6, -1.0, False, True)  # forbidden cell entered; 3 steps: truncated
    env = gw.GridWorld(["sT"])
    env.reset()
    assert env.step(gw.RIGHT)[:4] == (1, 1.0, True, False)


def test_random_walk_true_values_solve_the_bellman_equation():
    env = gw.RandomWalk(5)
    P, R = env.transition_model()
    uniform = np.full((7, 2), 0.5)
    P_pi, r_pi = np.einsum("sa,sat->st", uniform, P), np.einsum("sa,sa->s", uniform, R)
    v = np.linalg.solve(np.eye(7) - 0.999999 * P_pi, r_pi)
    assert np.allclose(v, env.true_values(), atol=1e-4)
    assert np.allclose(env.true_values()[1:6], np.arange(1, 6) / 6)


def test_recorder_logs_transitions_and_seeds():
    env = gw.Recorder(gw.GridWorld(["s.T"]))
    env.reset(seed=3)
    env.step(gw.RIGHT)
    env.step(gw.RIGHT)
    env.reset()
    env.step(gw.LEFT)
    assert env.reset_seeds == [3, None]
    assert env.transitions().tolist() == [
        [0, 0, 1, 0.0, 1, 0, 0],
        [0, 1, 1, 1.0, 2, 1, 0],
        [1, 0, 3, -1.0, 0, 0, 0],
    ]
