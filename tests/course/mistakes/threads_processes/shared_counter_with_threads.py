# cell: shared_counter_processes
# loses: test_shared_counter_processes
"""Shares the Value between threads instead of processes: the total is right, but nothing crossed a process boundary."""


def shared_counter_processes(n_workers: int, n_increments: int) -> int:
    total = mp.get_context("fork").Value("i", 0)

    def add():
        for _ in range(n_increments):
            with total.get_lock():
                total.value += 1

    workers = [threading.Thread(target=add) for _ in range(n_workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return total.value
