"""Hidden tests for the sliding-window maximum assignment.

Never released to students. Each test is a plain function that takes the
student's functions as arguments and looks only at what they return, so the
same test runs in the student's kernel (stock nbgrader), in a trusted grader
process that calls into a sandbox, or straight against the reference in pytest.

Expected values come from oracles defined here (a slicing one-liner for small
inputs, repeated doubling in NumPy for large ones,
``torch.nn.functional.max_pool2d`` for images), never from the
student's own naive version.
"""

from __future__ import annotations

import itertools
import random

import numpy as np

from autograder.testing import consume, expect_raises, student_rss_bytes, time_limit

# Generous bounds: the reference takes well under a tenth of each, while an
# O(n·k) solution needs minutes. They separate complexities, not fast code.
LARGE_LIST_SECONDS = 10.0
LARGE_ARRAY_SECONDS = 6.0
COMPLEXITY_HINT = "is it O(n·k) instead of O(n)?"


# ----------------------------------------------------------------- oracles


def expected_small(nums, k: int) -> list:
    """The definition itself: the maximum of every window of length k."""
    return [max(nums[i : i + k]) for i in range(len(nums) - k + 1)]


def expected_large(values: np.ndarray, k: int) -> np.ndarray:
    """Window maxima of a 1-D array by repeated doubling: M_2w[i] = max(M_w[i], M_w[i + w])."""
    maxima, width = np.asarray(values), 1
    while 2 * width <= k:
        maxima = np.maximum(maxima[:-width], maxima[width:])
        width *= 2
    count = len(values) - k + 1
    return np.maximum(maxima[:count], maxima[k - width : k - width + count])


def short(seq, limit: int = 12) -> str:
    """A printable prefix of a sequence, for failure messages."""
    seq = list(seq)
    if len(seq) <= limit:
        return repr(seq)
    return repr(seq[:limit])[:-1] + f", ... ({len(seq)} items)]"


def window_text(values, i: int, k: int) -> str:
    """Names window i of the input; shows it when it is short enough to read."""
    if k <= 12:
        return f"window {i}, {list(values[i : i + k])}"
    return f"window {i} (positions {i} to {i + k - 1})"


def assert_windows_equal(got, expected, call: str, values) -> None:
    """Compare window maxima; the message names the input window and the student's answer.

    Hidden tests never print their expected values, only inputs and what came back.
    """
    got = list(got)
    count = len(expected)
    assert len(got) == count, (
        f"{call} returned {len(got)} window maxima, but there are len(nums) - k + 1 = {count} windows.\n"
        f"  you returned: {short(got)}"
    )
    k = len(values) - count + 1
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"{call}: for {window_text(values, i, k)} you returned {g!r}, which is not its maximum"


def random_cases(seed: int, count: int):
    """Small random inputs with duplicates and negatives, k from 1 to n."""
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(1, 40)
        spread = rng.choice([2, 5, 100])  # small spreads force many duplicates
        nums = [rng.randint(-spread, spread) for _ in range(n)]
        yield nums, rng.randint(1, n)
    for n in (1, 2, 7, 30):
        for k in {1, (n + 1) // 2, n}:
            yield list(range(n)), k  # strictly increasing
            yield list(range(n, 0, -1)), k  # strictly decreasing
            yield [3] * n, k  # all equal


def check_list_function(fn, name: str, seed: int, count: int) -> None:
    for nums, k in random_cases(seed, count):
        original = list(nums)
        got = fn(nums, k)
        call = f"{name}({short(original)}, k={k})"
        assert nums == original, f"{call} modified its input list: afterwards it was {short(nums)}"
        assert_windows_equal(got, expected_small(original, k), call, original)


# ------------------------------------------------------ max_sliding_window


def test_max_sliding_window_naive_random(max_sliding_window_naive):
    """Does the warm-up agree with the definition on random small inputs?"""
    check_list_function(max_sliding_window_naive, "max_sliding_window_naive", seed=1, count=200)


def test_max_sliding_window_random(max_sliding_window):
    """Does the deque version agree with the definition, duplicates and all?"""
    check_list_function(max_sliding_window, "max_sliding_window", seed=2, count=500)
    floats = [0.5, -1.25, 0.5, 3.0, 3.0, -7.5, 2.25]
    call = f"max_sliding_window({floats}, k=2)"
    assert_windows_equal(max_sliding_window(list(floats), 2), expected_small(floats, 2), call, floats)


def test_max_sliding_window_invalid(max_sliding_window):
    """Is every invalid input refused with ValueError?"""
    for nums, k, why in [
        ([1, 2, 3], 0, "k = 0"),
        ([1, 2, 3], -2, "a negative k"),
        ([1, 2, 3], 4, "k larger than len(nums)"),
        ([], 1, "an empty list"),
        ([], 0, "an empty list and k = 0"),
    ]:
        try:
            result = max_sliding_window(nums, k)
        except ValueError as exc:
            assert str(exc), f"max_sliding_window({nums}, k={k}) raised ValueError without a message"
        else:
            raise AssertionError(
                f"max_sliding_window({nums}, k={k}) returned {result!r}; {why} "
                "must raise ValueError with a message that says what was wrong"
            )


def test_max_sliding_window_large(max_sliding_window):
    """Does the deque version finish long inputs, random and adversarial, in time an O(n) pass needs?"""
    # Random input first (n * k = 9 * 10^9 for a method that looks at every window in full).
    # Each list crosses the sandbox boundary as data, so n stays no larger than it needs to be.
    rng = np.random.default_rng(3)
    values = rng.integers(-(10**9), 10**9, size=3 * 10**5)
    nums = values.tolist()
    k = 3 * 10**4
    with time_limit(LARGE_LIST_SECONDS, f"max_sliding_window(n={len(nums)}, k={k})", COMPLEXITY_HINT):
        got = max_sliding_window(nums, k)
    expected = expected_large(values, k).tolist()
    assert_windows_equal(got, expected, f"max_sliding_window(<{len(nums):,} random ints>, k={k:,})", nums)

    # The deque's worst case: on a strictly decreasing input every index stays in the deque
    # until it expires, so the deque holds k entries and its maximum leaves at every step.
    # Rescanning the window when the maximum leaves, or expiring with list.pop(0), costs O(k)
    # per step here (2.5 * 10^11 element visits or moves in all), while random input hides both.
    n, k = 10**6, 5 * 10**5
    values = np.arange(n, 0, -1) * 3 - 7 * 10**5
    nums = values.tolist()
    call = f"max_sliding_window(<{n:,} strictly decreasing ints>, k={k:,})"
    with time_limit(LARGE_LIST_SECONDS, call, COMPLEXITY_HINT + " (a decreasing input is the deque's worst case)"):
        got = max_sliding_window(nums, k)
    assert_windows_equal(got, expected_large(values, k).tolist(), call, nums)


# ------------------------------------------------------- stream_window_max


class CountingStream:
    """An iterator over ``source`` that counts how many items were taken."""

    def __init__(self, source, limit: int | None = None):
        self.source = iter(source)
        self.taken = 0
        self.limit = limit

    def __iter__(self):
        return self

    def __next__(self):
        if self.limit is not None and self.taken >= self.limit:
            raise AssertionError(
                f"stream_window_max read {self.taken} items without yielding enough: "
                "it must yield each maximum as soon as its window is full, "
                "not read the whole (endless) stream first"
            )
        self.taken += 1
        return next(self.source)


def test_stream_window_max_lazy(stream_window_max):
    """Is each maximum yielded as soon as its window is full, and no later?"""
    k = 4
    items = [2.0, 1.0, 5.0, 3.0, 4.0, 0.0, -1.0, 6.0]
    stream = CountingStream(items)
    gen = stream_window_max(stream, k)
    for i in range(len(items) - k + 1):
        got = next(gen, "<exhausted>")
        assert got == max(items[i : i + k]), (
            f"stream_window_max(iter({items}), k={k}): for {window_text(items, i, k)} you yielded {got!r}, "
            "which is not its maximum"
        )
        assert stream.taken == k + i, (
            f"stream_window_max(..., k={k}) had read {stream.taken} items when it yielded "
            f"output {i}; it should have read exactly {k + i} (yield as soon as a window is full)"
        )
    assert next(gen, "<exhausted>") == "<exhausted>", "the generator should stop when the stream ends"

    for items, k in [([], 1), ([1.0, 2.0], 3)]:
        got = list(stream_window_max(iter(items), k))
        assert got == [], f"stream_window_max(iter({items}), k={k}) has no full window, yet yielded {got}"


def test_stream_window_max_endless(stream_window_max):
    """Does it work on an endless iterator, matching the definition?"""
    rng = random.Random(4)
    for k in (1, 3, 50):
        seen = []

        def endless(seen=seen):
            while True:
                seen.append(rng.randint(-20, 20))
                yield seen[-1]

        outputs = 300
        stream = CountingStream(endless(), limit=outputs + k)
        got = list(itertools.islice(stream_window_max(stream, k), outputs))
        assert len(got) == outputs, f"stream_window_max(<endless stream>, k={k}) stopped after {len(got)} maxima"
        call = f"stream_window_max(<endless stream of ints>, k={k})"
        assert_windows_equal(got, expected_small(seen, k)[:outputs], call, seen)


def test_stream_window_max_memory(stream_window_max):
    """Does it hold O(k) items, even on a long decreasing stream (the deque's worst case)?"""
    k, n = 5, 2_000_000
    gen = stream_window_max(range(n, 0, -1), k)
    consume(gen, 1000)
    before = student_rss_bytes()
    # Stop one maximum short of the end: a finished generator has already freed what it held.
    taken = consume(gen, n - k - 1000)
    grown = student_rss_bytes() - before
    taken += consume(gen, n)
    assert taken == n - k + 1 - 1000, f"stream_window_max(range({n}, 0, -1), k={k}) yielded {taken + 1000} maxima"
    assert grown < 40 * 2**20, (
        f"while streaming {n:,} decreasing numbers with k={k}, the process running stream_window_max grew "
        f"by {grown / 2**20:.0f} MiB; it should hold only O(k) items (drop items that left the window)"
    )
    with expect_raises(ValueError, "stream_window_max(iter([1.0]), k=0)"):
        next(stream_window_max(iter([1.0]), 0))


# ------------------------------------------ sliding_window_max_vectorized

DTYPES = [np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64]


def test_sliding_window_max_vectorized_random(sliding_window_max_vectorized):
    """Does the vectorized version agree with the definition for every dtype?"""
    rng = np.random.default_rng(5)
    for dtype in DTYPES:
        info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
        for n in (1, 2, 9, 64, 1000, 4097):
            if info is not None:
                a = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=dtype)
            else:
                a = (rng.standard_normal(n) * 100).astype(dtype)
            for k in sorted({1, 2, 3, 7, 31, 64, 100, n // 2 or 1, n}):
                if k > n:
                    continue
                a_before = a.copy()
                call = f"sliding_window_max_vectorized(<{n} random {np.dtype(dtype).name}>, k={k})"
                got = sliding_window_max_vectorized(a, k)
                assert isinstance(got, np.ndarray), f"{call} returned {type(got).__name__}, expected np.ndarray"
                assert got.dtype == a.dtype, f"{call} returned dtype {got.dtype}, expected {a.dtype} (the input's)"
                assert np.array_equal(a, a_before), f"{call} modified its input array"
                expected = np.lib.stride_tricks.sliding_window_view(a, k).max(axis=1)
                assert_windows_equal(got.tolist(), expected.tolist(), call, a)
    for k in (0, -1, 5):
        with expect_raises(ValueError, f"sliding_window_max_vectorized(np.arange(4), k={k})"):
            sliding_window_max_vectorized(np.arange(4), k)


def test_sliding_window_max_vectorized_large(sliding_window_max_vectorized):
    """Does n = 10^6, k = 10^5 finish in the time an O(n) method needs?"""
    a = np.random.default_rng(6).standard_normal(10**6)
    k = 10**5
    with time_limit(LARGE_ARRAY_SECONDS, f"sliding_window_max_vectorized(n={a.size}, k={k})", COMPLEXITY_HINT):
        got = sliding_window_max_vectorized(a, k)
    call = f"sliding_window_max_vectorized(<10^6 normals>, k={k})"
    assert isinstance(got, np.ndarray), f"{call} returned {type(got).__name__}, expected np.ndarray"
    assert_windows_equal(got.tolist(), expected_large(a, k).tolist(), call, a)


# ------------------------------------------------------------- max_pool2d


def expected_pool(image: np.ndarray, kh: int, kw: int) -> np.ndarray:
    import torch  # imported here: only this oracle needs it, and it takes seconds to load

    t = torch.from_numpy(image.astype(np.float64))[None, None]
    return torch.nn.functional.max_pool2d(t, (kh, kw), stride=1)[0, 0].numpy()


def test_max_pool2d_random(max_pool2d):
    """Does it agree with torch's max_pool2d(stride=1), non-square kernels included?"""
    rng = np.random.default_rng(7)
    for h, w, kh, kw in [
        (1, 1, 1, 1),
        (5, 7, 2, 3),
        (7, 5, 3, 2),
        (6, 6, 6, 1),
        (6, 6, 1, 6),
        (33, 20, 5, 9),
        (64, 64, 3, 3),
    ]:
        for dtype in (np.float32, np.float64, np.int64):
            image = (rng.standard_normal((h, w)) * 50).astype(dtype)
            call = f"max_pool2d(<{h}x{w} {np.dtype(dtype).name} image>, kh={kh}, kw={kw})"
            got = max_pool2d(image, kh, kw)
            assert isinstance(got, np.ndarray), f"{call} returned {type(got).__name__}, expected np.ndarray"
            expected = expected_pool(image, kh, kw)
            assert got.shape == expected.shape, (
                f"{call} has shape {got.shape}, but an {h}x{w} image pooled with a {kh}x{kw} window "
                "has shape (H - kh + 1, W - kw + 1)"
            )
            assert got.dtype == image.dtype, f"{call} returned dtype {got.dtype}; keep the image's dtype {image.dtype}"
            bad = np.argwhere(got.astype(np.float64) != expected)
            if bad.size:
                r, c = (int(x) for x in bad[0])
                raise AssertionError(
                    f"{call}: at output position ({r}, {c}) you returned {got[r, c]!r}, which is not the "
                    f"maximum of image[{r}:{r + kh}, {c}:{c + kw}] ({len(bad)} positions are wrong)"
                )
