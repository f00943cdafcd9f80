# cell: bernoulli_log_likelihood
# loses: test_bernoulli_log_likelihood, test_fvsbn, test_nade, test_train, test_quality
"""log(sigmoid(l)) and log(1 - sigmoid(l)) computed literally: -inf once logits pass about +-17, and training then blows up to inf and NaN."""


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum_i [x_i log sigmoid(l_i) + (1 - x_i) log sigmoid(-l_i)] over the last axis, stable for any logit."""
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(-1)
