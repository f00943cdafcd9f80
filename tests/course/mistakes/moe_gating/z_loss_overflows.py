# cell: router_z_loss
# loses: test_router_z_loss
"""logsumexp written as log(sum(exp)), which overflows to inf for large logits."""


def router_z_loss(logits: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of logsumexp(logits)^2."""
    return torch.log(torch.exp(logits).sum(dim=-1)).square().mean()
