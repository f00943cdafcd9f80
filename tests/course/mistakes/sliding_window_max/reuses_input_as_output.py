# cell: max_sliding_window
# loses: test_max_sliding_window
"""Writes the maxima over the front of nums to save memory: the answer is right, but the caller's list is destroyed."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums), got k={k}")
    window = deque()
    for i, x in enumerate(nums):
        while window and nums[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            nums[i - k + 1] = nums[window[0]]
    return nums[: len(nums) - k + 1]
