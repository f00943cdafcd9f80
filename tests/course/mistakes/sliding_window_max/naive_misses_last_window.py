# cell: max_sliding_window_naive
# loses: test_max_sliding_window_naive
"""Off by one in the warm-up: range(len(nums) - k) stops one window early."""


def max_sliding_window_naive(nums: list[int], k: int) -> list[int]:
    return [max(nums[i : i + k]) for i in range(len(nums) - k)]
