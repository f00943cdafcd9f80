"""Property tests of the sliding-window reference: every version agrees with the definition."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import REPO_ROOT, reference_namespace

REF = reference_namespace(REPO_ROOT / "solutions/sliding_window_max/sliding_window_max.ipynb")


def definition(values, k):
    return [max(values[i : i + k]) for i in range(len(values) - k + 1)]


@st.composite
def list_and_window(draw):
    nums = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=60))
    return nums, draw(st.integers(1, len(nums)))


@given(list_and_window())
def test_list_versions_agree_with_the_definition(case):
    nums, k = case
    expected = definition(nums, k)
    assert REF["max_sliding_window_naive"](nums, k) == expected
    assert REF["max_sliding_window"](nums, k) == expected
    assert list(REF["stream_window_max"](iter(nums), k)) == expected


@st.composite
def array_and_window(draw):
    dtype = draw(st.sampled_from([np.int8, np.uint16, np.int64, np.float32, np.float64]))
    a = draw(hnp.arrays(dtype, st.integers(1, 300), elements=hnp.from_dtype(np.dtype(dtype), allow_nan=False)))
    return a, draw(st.integers(1, a.size))


@settings(max_examples=300)
@given(array_and_window())
def test_vectorized_agrees_with_the_definition_and_keeps_dtype(case):
    a, k = case
    got = REF["sliding_window_max_vectorized"](a, k)
    assert got.dtype == a.dtype
    assert got.tolist() == definition(a.tolist(), k)


@pytest.mark.parametrize("k", [1, 2, 511, 512, 513, 1000, 4096])
def test_vectorized_on_both_sides_of_the_method_crossover(k):
    a = np.random.default_rng(k).standard_normal(5000)
    expected = np.lib.stride_tricks.sliding_window_view(a, k).max(axis=1)
    assert np.array_equal(REF["sliding_window_max_vectorized"](a, k), expected)


@given(st.integers(1, 12), st.integers(1, 12), st.data())
def test_max_pool2d_agrees_with_torch(h, w, data):
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    image = data.draw(hnp.arrays(np.float64, (h, w), elements=st.floats(-1e6, 1e6)))
    expected = torch.nn.functional.max_pool2d(torch.from_numpy(image)[None, None], (kh, kw), stride=1)[0, 0]
    assert np.array_equal(REF["max_pool2d"](image, kh, kw), expected.numpy())


def test_stream_on_an_endless_iterator():
    got = list(itertools.islice(REF["stream_window_max"](itertools.count(), 3), 4))
    assert got == [2, 3, 4, 5]
