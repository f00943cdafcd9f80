# cell: top_k_gating
# loses: test_top_k_gating
"""torch.topk picks the right values but promises no order among ties, so tied experts are not lowest-index first."""


def top_k_gating(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest logits per token: (weights (T, k), indices (T, k)); weights are a softmax over those k.

    Columns are in descending order of logit, ties to the lower expert index. ValueError unless 1 <= k <= E.
    """
    num_experts = logits.shape[-1]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= num_experts:
        raise ValueError(f"k must be an integer with 1 <= k <= E = {num_experts}, got {k!r}")
    indices = torch.topk(logits, k, dim=-1).indices
    weights = torch.softmax(torch.gather(logits, -1, indices), dim=-1)
    return weights, indices
