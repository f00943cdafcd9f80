# cell: stream_window_max
# loses: test_stream_window_max
"""The list version ported to a stream: it appends every item to a history list so the deque can hold indices into it, so memory grows with the stream, not with k."""


def stream_window_max(stream: Iterable[float], k: int) -> Iterator[float]:
    if k < 1:
        raise ValueError(f"window size k must be at least 1, got k = {k}")
    history = []
    window = deque()  # indices into history; their values strictly decrease
    for i, x in enumerate(stream):
        history.append(x)
        while window and history[window[-1]] <= x:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            yield history[window[0]]
