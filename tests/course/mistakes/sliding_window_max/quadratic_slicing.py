# cell: max_sliding_window
# loses: test_max_sliding_window_large
"""Correct but O(n·k): it takes the maximum of every slice, so n = 3 * 10^5, k = 3 * 10^4 does not finish in time."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    if not nums or not 1 <= k <= len(nums):
        raise ValueError(f"need 1 <= k <= len(nums), got k={k}")
    return [max(nums[i : i + k]) for i in range(len(nums) - k + 1)]
