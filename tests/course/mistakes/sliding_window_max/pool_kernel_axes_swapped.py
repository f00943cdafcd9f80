# cell: max_pool2d
# loses: test_max_pool2d
"""Slides the width kw down the columns and the height kh along the rows: right only for square kernels."""


def max_pool2d(image: np.ndarray, kh: int, kw: int) -> np.ndarray:
    rows = np.array([sliding_window_max_vectorized(row, kh) for row in image])
    return np.array([sliding_window_max_vectorized(col, kw) for col in rows.T]).T
