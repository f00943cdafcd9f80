# cell: autoregressive_model
# loses: test_fvsbn, test_nade, test_made, test_nll_nats, test_train, test_quality
"""log_prob sums the per-pixel probabilities instead of their logarithms."""


class AutoregressiveModel(nn.Module):
    """Subclasses set self.n and define forward(x) -> logits of shape (N, n), logit i depending on x[:, :i] only."""

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) of shape (N,): the Bernoulli log-likelihood of x under forward(x)'s logits."""
        p = torch.sigmoid(self.forward(x))
        return (x * p + (1 - x) * (1 - p)).sum(-1)

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """num samples, float32 of shape (num, n) in {0, 1}, drawn pixel by pixel with the generator."""
        x = torch.zeros(num, self.n)
        for i in range(self.n):
            p = torch.sigmoid(self.forward(x)[:, i])
            x[:, i] = torch.bernoulli(p, generator=generator)
        return x
