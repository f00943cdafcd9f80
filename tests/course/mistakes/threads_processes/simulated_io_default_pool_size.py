# cell: simulated_io
# loses: test_simulated_io
"""Forgets to pass n_threads, so the pool has ThreadPoolExecutor's default size (at least 5 threads) whatever the caller asked for."""


def simulated_io(latencies: list[float], n_threads: int) -> list[float]:
    def request(latency: float) -> float:
        time.sleep(latency)
        return latency

    with ThreadPoolExecutor() as pool:
        return list(pool.map(request, latencies))
