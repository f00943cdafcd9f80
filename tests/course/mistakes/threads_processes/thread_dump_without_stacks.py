# cell: thread_dump
# loses: test_thread_dump
"""Lists the threads but leaves every stack empty: a JMX-style listing without the jstack half."""


def thread_dump() -> list[dict]:
    return [
        {"name": t.name, "ident": t.ident, "native_id": t.native_id, "daemon": t.daemon, "stack": []}
        for t in threading.enumerate()
    ]
