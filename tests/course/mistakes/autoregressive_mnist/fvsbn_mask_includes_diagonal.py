# cell: fvsbn
# loses: test_fvsbn, test_quality
"""The FVSBN mask keeps the diagonal, so logit i sees x_i: the training NLL collapses, and only the autoregressive check notices."""


class FVSBN(AutoregressiveModel):
    """logit_i = b_i + sum_{j<i} W[i, j] x_j: logistic regression on the previous pixels."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.W = nn.Parameter(torch.zeros(n, n))
        self.b = nn.Parameter(torch.zeros(n))
        self.register_buffer("mask", torch.tril(torch.ones(n, n), diagonal=0), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.n)
        return x @ (self.W * self.mask).T + self.b  # (N, n)
