# cell: shared_counter_processes
# loses: test_shared_counter_processes
"""Shares a Value but updates it without value.get_lock(): two processes read the same number and one increment is lost."""


def shared_counter_processes(n_workers: int, n_increments: int) -> int:
    context = mp.get_context("fork")
    total = context.Value("i", 0)

    def add():
        for _ in range(n_increments):
            total.value += 1

    workers = [context.Process(target=add) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return total.value
