# cell: max_sliding_window
# loses: test_max_sliding_window, test_max_sliding_window_large
"""The front of the deque is never checked against the window's left edge, so an old maximum outlives its window."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums), got k={k}")
    window = deque()
    maxima = []
    for i, x in enumerate(nums):
        while window and nums[window[-1]] <= x:
            window.pop()
        window.append(i)
        if i >= k - 1:
            maxima.append(nums[window[0]])
    return maxima
