# cell: transfer
# loses: test_transfer
"""Locks src, then dst: transfer(a, b) and transfer(b, a) at once each hold one lock and wait for the other."""


class Account:
    """A bank account with a balance and its own lock."""

    def __init__(self, balance: int):
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src: Account, dst: Account, amount: int) -> None:
    if src is dst or amount <= 0:
        raise ValueError("bad transfer")
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                raise ValueError("insufficient funds")
            src.balance -= amount
            dst.balance += amount
