# cell: stream_window_max
# loses: test_stream_window_max
"""Turns the stream into a list first: fine for a short list, never yields anything on an endless stream."""


def stream_window_max(stream: Iterable[float], k: int) -> Iterator[float]:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    items = list(stream)
    for i in range(len(items) - k + 1):
        yield max(items[i : i + k])
