# cell: transfer
# loses: test_transfer
"""Checks and updates the balances without taking either lock: CPython rarely switches threads inside it, so it seems to work, but nothing makes it atomic."""


class Account:
    """A bank account with a balance and its own lock."""

    def __init__(self, balance: int):
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src: Account, dst: Account, amount: int) -> None:
    if src is dst or amount <= 0:
        raise ValueError("bad transfer")
    if src.balance < amount:
        raise ValueError("insufficient funds")
    src.balance -= amount
    dst.balance += amount
