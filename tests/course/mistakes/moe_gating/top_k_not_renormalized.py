# cell: top_k_gating
# loses: test_top_k_gating, test_noisy_top_k_gating, test_moe_layer_forward, test_moe_layer_capacity, test_moe_layer_gradients, test_moe_layer_noisy
"""Gate weights taken from the softmax over all E experts, so the k kept weights do not sum to 1."""


def top_k_gating(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest logits per token: (weights (T, k), indices (T, k)); weights are a softmax over those k.

    Columns are in descending order of logit, ties to the lower expert index. ValueError unless 1 <= k <= E.
    """
    num_experts = logits.shape[-1]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= num_experts:
        raise ValueError(f"k must be an integer with 1 <= k <= E = {num_experts}, got {k!r}")
    indices = torch.sort(logits, dim=-1, descending=True, stable=True).indices[:, :k]
    weights = torch.gather(torch.softmax(logits, dim=-1), -1, indices)
    return weights, indices
