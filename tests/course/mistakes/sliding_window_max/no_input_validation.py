# cell: max_sliding_window
# loses: test_max_sliding_window_invalid
"""Invalid input is not refused: k = 0 crashes with IndexError and k > len(nums) quietly returns []."""


def max_sliding_window(nums: list[int], k: int) -> list[int]:
    window = deque()
    maxima = []
    for i, x in enumerate(nums):
        while window and nums[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            maxima.append(nums[window[0]])
    return maxima
