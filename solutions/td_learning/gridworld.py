"""Environments for the temporal-difference assignment (provided, not a task).

* :class:`GridWorld`: a grid of cells read from a list of strings, with forbidden cells and
  a target, as in the grid world of Shiyu Zhao's *Mathematical Foundations of Reinforcement
  Learning*; :data:`SEED_WORLD` is that book's 5 x 5 world.
* :class:`RandomWalk`: Sutton and Barto's random walk (Example 6.2), whose true values under
  the uniform policy are 1/6, 2/6, ..., 5/6.
* :func:`cliff_walking`: gymnasium's own CliffWalking-v1.
* :class:`Recorder`: a wrapper that keeps every transition an agent makes, for debugging (the
  grader uses it to replay your updates).

States are integers; in a grid world, the cell in row ``r`` and column ``c`` is state
``r * n_cols + c``. Both environments expose ``transition_model() -> (P, R)`` for exact
dynamic programming: ``P[s, a, s2]`` is the probability of moving from ``s`` to ``s2`` under
action ``a`` and ``R[s, a]`` the expected immediate reward; terminal states are absorbing with
zero reward.

Example::

    env = GridWorld(SEED_WORLD)
    state, info = env.reset(seed=0)
    state, reward, terminated, truncated, info = env.step(RIGHT)
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

UP, RIGHT, DOWN, LEFT, STAY = range(5)
ACTION_NAMES = ("up", "right", "down", "left", "stay")
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1), (0, 0))  # (row, column) change of each action
CELL_TYPES = "s.#T"

# The 5 x 5 world of the seed text: start top left, target in row 3, six forbidden cells.
SEED_WORLD = (
    "s....",
    ".##..",
    "..#..",
    ".#T#.",
    ".#...",
)


def parse_layout(layout) -> tuple[list[str], tuple[int, int]]:
    """Check a layout; returns its rows and the start cell. Raises ValueError naming the bad cell."""
    if isinstance(layout, str):
        raise ValueError("layout must be a list of strings, one per row, not one string")
    rows = [str(row) for row in layout]
    if not rows or not rows[0]:
        raise ValueError("layout is empty: it needs at least one row of at least one cell")
    starts, targets = [], 0
    for r, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"row {r} has {len(row)} cells, but row 0 has {len(rows[0])}: rows must be equally long")
        for c, char in enumerate(row):
            if char not in CELL_TYPES:
                raise ValueError(f"unknown cell {char!r} at row {r}, column {c}: use one of {CELL_TYPES!r}")
            if char == "s":
                starts.append((r, c))
            targets += char == "T"
    if len(starts) != 1:
        where = ", ".join(f"row {r}, column {c}" for r, c in starts)
        raise ValueError(f"layout needs exactly one start 's', found {len(starts)}" + (f" ({where})" if where else ""))
    if targets == 0:
        raise ValueError("layout has no target 'T'")
    return rows, starts[0]


class GridWorld(gym.Env):
    """A deterministic grid world with forbidden cells and targets.

    Five actions: 0 up, 1 right, 2 down, 3 left, 4 stay. Moving off the grid leaves the agent
    where it is and gives ``r_boundary``. Any other move lands on a cell: a forbidden cell
    ``#`` can be entered (or stayed in) and gives ``r_forbidden``; entering a target ``T`` gives
    ``r_target`` and terminates the episode; any other cell gives ``r_step``. After
    ``max_steps`` steps an episode is truncated (``max_steps=None``: never).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        layout=SEED_WORLD,
        r_boundary: float = -1.0,
        r_forbidden: float = -1.0,
        r_target: float = 1.0,
        r_step: float = 0.0,
        max_steps: int | None = 100,
    ):
        self.rows, self.start = parse_layout(layout)
        self.n_rows, self.n_cols = len(self.rows), len(self.rows[0])
        self.r_boundary, self.r_forbidden = float(r_boundary), float(r_forbidden)
        self.r_target, self.r_step = float(r_target), float(r_step)
        self.max_steps = max_steps
        self.n_states, self.n_actions = self.n_rows * self.n_cols, len(MOVES)
        self.observation_space = gym.spaces.Discrete(self.n_states)
        self.action_space = gym.spaces.Discrete(self.n_actions)
        self.start_state = self.state_of(*self.start)
        self.state, self.steps = self.start_state, 0

    def state_of(self, row: int, col: int) -> int:
        return row * self.n_cols + col

    def cell_of(self, state: int) -> tuple[int, int]:
        return divmod(int(state), self.n_cols)

    def is_target(self, state: int) -> bool:
        r, c = self.cell_of(state)
        return self.rows[r][c] == "T"

    def outcome(self, state: int, action: int) -> tuple[int, float, bool]:
        """(next state, reward, terminated) of one step; the target itself is absorbing."""
        if self.is_target(state):
            return state, 0.0, True
        r, c = self.cell_of(state)
        dr, dc = MOVES[action]
        r2, c2 = r + dr, c + dc
        if not (0 <= r2 < self.n_rows and 0 <= c2 < self.n_cols):
            return state, self.r_boundary, False
        cell = self.rows[r2][c2]
        if cell == "T":
            return self.state_of(r2, c2), self.r_target, True
        return self.state_of(r2, c2), (self.r_forbidden if cell == "#" else self.r_step), False

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.state, self.steps = self.start_state, 0
        return self.state, {}

    def step(self, action):
        action = int(action)
        if not 0 <= action < self.n_actions:
            raise ValueError(f"action must be 0 (up), 1 (right), 2 (down), 3 (left) or 4 (stay), got {action}")
        self.state, reward, terminated = self.outcome(self.state, action)
        self.steps += 1
        truncated = not terminated and self.max_steps is not None and self.steps >= self.max_steps
        return self.state, reward, terminated, truncated, {}

    def transition_model(self) -> tuple[np.ndarray, np.ndarray]:
        """P of shape (n_states, n_actions, n_states) and R of shape (n_states, n_actions)."""
        P = np.zeros((self.n_states, self.n_actions, self.n_states))
        R = np.zeros((self.n_states, self.n_actions))
        for s in range(self.n_states):
            for a in range(self.n_actions):
                s2, R[s, a], _ = self.outcome(s, a)
                P[s, a, s2] = 1.0
        return P, R

    def render_text(self, values=None) -> str:
        """The layout as text; with ``values`` (one per state), those numbers in place of free cells."""
        lines = []
        for r, row in enumerate(self.rows):
            if values is None:
                lines.append(" ".join(row))
            else:
                lines.append(
                    " ".join(
                        f"{values[self.state_of(r, c)]:6.2f}{ch if ch != '.' else ' '}" for c, ch in enumerate(row)
                    )
                )
        return "\n".join(lines)


class RandomWalk(gym.Env):
    """Sutton and Barto's random walk: states 1..n_states in a row, terminal states 0 and n_states + 1.

    Episodes start in the middle state. Action 0 moves left, action 1 right; entering the
    right end gives +1, every other step 0, and either end terminates the episode. Under the
    uniform policy the true values of states 1..n are 1/(n + 1), ..., n/(n + 1).
    """

    metadata = {"render_modes": []}

    def __init__(self, n_states: int = 5):
        if n_states < 1:
            raise ValueError(f"n_states must be at least 1, got {n_states}")
        self.n_inner = int(n_states)
        self.n_states, self.n_actions = self.n_inner + 2, 2
        self.observation_space = gym.spaces.Discrete(self.n_states)
        self.action_space = gym.spaces.Discrete(2)
        self.start_state = (self.n_inner + 1) // 2
        self.state = self.start_state

    def outcome(self, state: int, action: int) -> tuple[int, float, bool]:
        if state in (0, self.n_states - 1):
            return state, 0.0, True
        s2 = state + (1 if action == 1 else -1)
        return s2, float(s2 == self.n_states - 1), s2 in (0, self.n_states - 1)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.state = self.start_state
        return self.state, {}

    def step(self, action):
        action = int(action)
        if action not in (0, 1):
            raise ValueError(f"action must be 0 (left) or 1 (right), got {action}")
        self.state, reward, terminated = self.outcome(self.state, action)
        return self.state, reward, terminated, False, {}

    def transition_model(self) -> tuple[np.ndarray, np.ndarray]:
        P = np.zeros((self.n_states, 2, self.n_states))
        R = np.zeros((self.n_states, 2))
        for s in range(self.n_states):
            for a in range(2):
                s2, R[s, a], _ = self.outcome(s, a)
                P[s, a, s2] = 1.0
        return P, R

    def true_values(self) -> np.ndarray:
        """v of the uniform random policy: k / (n + 1) in state k, 0 at both ends."""
        v = np.arange(self.n_states) / (self.n_inner + 1)
        v[-1] = 0.0
        return v


def make_rng(seed: int) -> np.random.Generator:
    """``np.random.default_rng(seed)``, made here: at grading time, in the process that runs your code.

    The visible tests use it to hand ``epsilon_greedy`` a generator that lives next to it.
    """
    return np.random.default_rng(seed)


def cliff_walking() -> gym.Env:
    """Gymnasium's CliffWalking (Sutton and Barto, Example 6.6): 4 x 12 cells, start 36, goal 47.

    Actions 0 up, 1 right, 2 down, 3 left; every step gives -1, stepping into the cliff -100
    and a return to the start. It has no step limit: an episode ends only at the goal.
    """
    return gym.make("CliffWalking-v1")


class Recorder(gym.Wrapper):
    """Keeps every transition made through it: ``transitions()`` returns them as one array.

    Row layout: ``episode, state, action, reward, next_state, terminated, truncated``, where
    ``episode`` counts calls to ``reset`` (from 0). ``reset_seeds`` lists the seed given to each
    ``reset`` (None when none was given).
    """

    COLUMNS = ("episode", "state", "action", "reward", "next_state", "terminated", "truncated")

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.rows: list[tuple] = []
        self.reset_seeds: list[int | None] = []
        self.state = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.reset_seeds.append(seed)
        self.state, info = self.env.reset(seed=seed, options=options)
        return self.state, info

    def step(self, action):
        state, reward, terminated, truncated, info = self.env.step(action)
        episode = len(self.reset_seeds) - 1
        self.rows.append((episode, self.state, int(action), reward, state, terminated, truncated))
        self.state = state
        return state, reward, terminated, truncated, info

    def transitions(self) -> np.ndarray:
        return np.array(self.rows, dtype=float).reshape(-1, len(self.COLUMNS))
