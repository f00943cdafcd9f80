# cell: producer_consumer
# loses: test_producer_consumer
"""Ignores the mode and always uses queue.Queue and threads: every item arrives, but no process was ever started."""


def producer_consumer(items: list, n_producers: int, n_consumers: int, mode: str) -> list:
    if mode not in ("thread", "process"):
        raise ValueError(f"unknown mode {mode!r}")
    work, results = queue.Queue(maxsize=8), queue.Queue()

    def produce(share):
        for item in share:
            work.put(("item", item))

    def consume():
        while True:
            kind, item = work.get()
            if kind == "stop":
                return
            results.put(item)

    producers = [threading.Thread(target=produce, args=(items[i::n_producers],)) for i in range(n_producers)]
    consumers = [threading.Thread(target=consume) for _ in range(n_consumers)]
    for w in producers + consumers:
        w.start()
    for w in producers:
        w.join()
    for _ in consumers:
        work.put(("stop", None))
    for w in consumers:
        w.join()
    return [results.get() for _ in items]
