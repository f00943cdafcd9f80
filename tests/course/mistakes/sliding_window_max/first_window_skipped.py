# cell: max_sliding_window
# loses: test_max_sliding_window, test_max_sliding_window_large
"""Off by one: maxima are recorded from i >= k instead of i >= k - 1, so the first window is lost."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums), got k={k}")
    window = deque()
    maxima = []
    for i, x in enumerate(nums):
        while window and nums[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k:
            maxima.append(nums[window[0]])
    return maxima
