# cell: expert_capacity
# loses: test_expert_capacity, test_moe_layer_capacity, test_moe_layer_noisy
"""Capacity rounded down with int(), so an expert takes one token fewer than ceil(k * T * cf / E)."""


def expert_capacity(num_tokens: int, num_experts: int, capacity_factor: float, k: int = 1) -> int:
    """ceil(k * num_tokens * capacity_factor / num_experts), as an int."""
    return int(k * num_tokens * capacity_factor / num_experts)
