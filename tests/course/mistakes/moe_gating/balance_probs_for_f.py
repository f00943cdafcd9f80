# cell: load_balancing_loss
# loses: test_load_balancing_loss, test_moe_layer_forward, test_moe_layer_capacity, test_moe_layer_gradients, test_moe_layer_noisy
"""Uses the mean router probability for f as well as P (E * sum P_i^2): right at the two extremes, wrong in between."""


def load_balancing_loss(router_probs: torch.Tensor, expert_indices: torch.Tensor, num_experts: int) -> torch.Tensor:
    """Switch Transformer's auxiliary loss E * sum_i f_i * P_i; f counts all k choices; gradient through P only."""
    num_tokens, k = expert_indices.shape
    fraction = router_probs.mean(dim=0)
    return num_experts * torch.sum(fraction * router_probs.mean(dim=0))
