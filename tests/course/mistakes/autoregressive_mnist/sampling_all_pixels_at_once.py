# cell: autoregressive_model
# loses: test_sampling
"""sample draws every pixel from one forward pass on zeros, as if the pixels were independent given nothing."""


class AutoregressiveModel(nn.Module):
    """Subclasses set self.n and define forward(x) -> logits of shape (N, n), logit i depending on x[:, :i] only."""

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) of shape (N,): the Bernoulli log-likelihood of x under forward(x)'s logits."""
        return bernoulli_log_likelihood(self.forward(x), x)

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """num samples, float32 of shape (num, n) in {0, 1}, drawn pixel by pixel with the generator."""
        p = torch.sigmoid(self.forward(torch.zeros(num, self.n)))
        return torch.bernoulli(p, generator=generator)
