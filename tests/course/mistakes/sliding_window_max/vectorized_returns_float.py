# cell: sliding_window_max_vectorized
# loses: test_sliding_window_max_vectorized, test_max_pool2d
"""Doubling done right, but the result starts as a float array, so integer inputs come back as float64."""


def sliding_window_max_vectorized(a: np.ndarray, k: int) -> np.ndarray:
    a = np.asarray(a)
    if not 1 <= k <= len(a):
        raise ValueError(f"need 1 <= k <= len(a), got k={k}")
    current = a.astype(np.float64)
    width = 1
    while 2 * width <= k:
        current = np.maximum(current[:-width], current[width:])
        width *= 2
    count = len(a) - k + 1
    return np.maximum(current[:count], current[k - width : k - width + count])
