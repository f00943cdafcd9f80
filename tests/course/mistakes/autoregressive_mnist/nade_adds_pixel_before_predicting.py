# cell: nade
# loses: test_nade, test_quality, test_best_model
"""NADE's running sum includes x_i before logit i is computed, so each conditional sees the pixel it predicts."""


class NADE(AutoregressiveModel):
    """a_i = c + W[:, :i] x[:i], logit_i = b_i + V[i] . sigmoid(a_i); O(n * hidden) per image."""

    def __init__(self, n: int, hidden: int):
        super().__init__()
        self.n, self.hidden = n, hidden
        self.W = nn.Parameter(torch.empty(hidden, n).uniform_(-1, 1) / math.sqrt(n))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.V = nn.Parameter(torch.empty(n, hidden).uniform_(-1, 1) / math.sqrt(hidden))
        self.b = nn.Parameter(torch.zeros(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.n)
        terms = x.unsqueeze(2) * self.W.T  # (N, n, hidden): x_j W[:, j]
        running = torch.cumsum(terms, dim=1)  # (N, n, hidden): sum over j <= i
        h = torch.sigmoid(self.c + running)
        return (h * self.V).sum(-1) + self.b  # (N, n)
