# cell: thread_dump
# loses: test_thread_dump
"""Builds each stack with traceback.extract_stack, which lists the outermost frame first: the order jstack uses is the reverse."""

import traceback


def thread_dump() -> list[dict]:
    frames = sys._current_frames()
    return [
        {
            "name": t.name,
            "ident": t.ident,
            "native_id": t.native_id,
            "daemon": t.daemon,
            "stack": [entry.name for entry in traceback.extract_stack(frames[t.ident])] if t.ident in frames else [],
        }
        for t in threading.enumerate()
    ]
