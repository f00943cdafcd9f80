# cell: increment_shared
# loses: test_increment_shared
"""mode="process" quietly starts threads, so the parent's counter changes: the difference the part is about is gone."""

COUNTER = 0
COUNTER_LOCK = threading.Lock()


def increment_shared(n_workers: int, n_increments: int, mode: str) -> int:
    global COUNTER
    if mode not in ("thread", "process"):
        raise ValueError(f"unknown mode {mode!r}")
    COUNTER = 0

    def add():
        global COUNTER
        for _ in range(n_increments):
            with COUNTER_LOCK:
                COUNTER += 1

    workers = [threading.Thread(target=add) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return COUNTER
