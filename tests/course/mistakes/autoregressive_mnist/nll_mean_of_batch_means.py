# cell: nll_nats
# loses: test_nll_nats
"""nll_nats averages the batch means, which is wrong when the last batch is smaller."""


def nll_nats(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> float:
    """Mean over images of -log p(x), in nats, evaluated in batches."""
    check_images(x)
    means = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            means.append(-model.log_prob(x[start : start + batch_size]).mean().item())
    return sum(means) / len(means)
