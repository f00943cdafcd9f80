# cell: fvsbn
# loses: test_fvsbn, test_sampling, test_quality
"""FVSBN.forward returns probabilities, and log_prob then applies the sigmoid a second time."""


class FVSBN(AutoregressiveModel):
    """logit_i = b_i + sum_{j<i} W[i, j] x_j: logistic regression on the previous pixels."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.W = nn.Parameter(torch.zeros(n, n))
        self.b = nn.Parameter(torch.zeros(n))
        self.register_buffer("mask", torch.tril(torch.ones(n, n), diagonal=-1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.n)
        return torch.sigmoid(x @ (self.W * self.mask).T + self.b)  # probabilities
