# cell: max_sliding_window
# loses: test_max_sliding_window, test_max_sliding_window_large
"""The deque stores values and pops equal ones from the back; with duplicates, expiring a value removes a copy still inside the window."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums), got k={k}")
    window = deque()
    maxima = []
    for i, x in enumerate(nums):
        if i >= k and window and window[0] == nums[i - k]:
            window.popleft()
        while window and window[-1] <= x:
            window.pop()
        window.append(x)
        if i >= k - 1:
            maxima.append(window[0])
    return maxima
