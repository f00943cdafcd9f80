# cell: locked_counter
# loses: test_locked_counter
"""No lock around counter = bump(counter): another thread runs between the read and the write, and updates vanish."""


def locked_counter(n_threads: int, n_increments: int) -> int:
    counter = 0

    def work():
        nonlocal counter
        for _ in range(n_increments):
            counter = bump(counter)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter
