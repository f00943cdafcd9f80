# cell: sliding_window_max_vectorized
# loses: test_sliding_window_max_vectorized_large, test_max_pool2d
"""No Python loop, but still O(n·k): a strided view of every window, each reduced in full."""


def sliding_window_max_vectorized(a: np.ndarray, k: int) -> np.ndarray:
    a = np.asarray(a)
    if not 1 <= k <= len(a):
        raise ValueError(f"need 1 <= k <= len(a), got k={k}")
    return np.lib.stride_tricks.sliding_window_view(a, k).max(axis=1)
