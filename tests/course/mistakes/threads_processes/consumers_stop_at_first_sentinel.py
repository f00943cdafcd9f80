# cell: producer_consumer
# loses: test_producer_consumer
"""Each producer sends a sentinel when it finishes, and a consumer stops at the first it sees: with several producers, consumers quit while items remain."""


def producer_consumer(items: list, n_producers: int, n_consumers: int, mode: str) -> list:
    if mode == "thread":
        work, results, worker = queue.Queue(maxsize=8), queue.Queue(), threading.Thread
    else:
        context = mp.get_context("fork")
        work, results, worker = context.Queue(maxsize=8), context.Queue(), context.Process

    def produce(share):
        for item in share:
            work.put(("item", item))
        work.put(("stop", None))

    def consume():
        while True:
            kind, item = work.get()
            if kind == "stop":
                return
            results.put(item)

    producers = [worker(target=produce, args=(items[i::n_producers],)) for i in range(n_producers)]
    consumers = [worker(target=consume) for _ in range(n_consumers)]
    for w in producers + consumers:
        w.start()
    for w in producers:
        w.join()
    collected = [results.get() for _ in items]
    for w in consumers:
        w.join()
    return collected
