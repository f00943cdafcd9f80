# cell: increment_shared
# loses: test_increment_shared
"""Starts every worker but joins none, so the parent reads COUNTER while the threads are still adding."""

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

    if mode == "thread":
        workers = [threading.Thread(target=add) for _ in range(n_workers)]
    else:
        workers = [mp.get_context("fork").Process(target=add) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    return COUNTER
