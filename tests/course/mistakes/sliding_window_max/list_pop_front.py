# cell: max_sliding_window
# loses: test_max_sliding_window_large
"""The monotonic queue is a Python list, and expiring its front with list.pop(0) shifts every other entry: O(k) per step once the queue is long."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums); got k={k}, len(nums)={len(nums)}")
    window = []  # indices; their values strictly decrease from front to back
    maxima = []
    for i, x in enumerate(nums):
        while window and nums[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.pop(0)
        if i >= k - 1:
            maxima.append(nums[window[0]])
    return maxima
