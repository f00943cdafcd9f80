# cell: max_sliding_window
# loses: test_max_sliding_window_large
"""Keeps only the index of the current maximum and rescans the whole window when it leaves: fast on random input, O(n·k) on a decreasing one."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums); got k={k}, len(nums)={len(nums)}")
    best = max(range(k), key=nums.__getitem__)
    maxima = [nums[best]]
    for i in range(k, len(nums)):
        if nums[i] >= nums[best]:
            best = i
        elif best <= i - k:
            best = max(range(i - k + 1, i + 1), key=nums.__getitem__)
        maxima.append(nums[best])
    return maxima
