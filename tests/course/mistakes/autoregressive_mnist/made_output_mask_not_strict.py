# cell: made
# loses: test_made, test_sampling, test_quality
"""MADE's output mask uses >= instead of >, so output i sees hidden units of degree i + 1, which see x_i."""


class MADE(AutoregressiveModel):
    """A masked MLP: output i sees inputs < i only, through units whose degrees say what they may see."""

    def __init__(self, n: int, hidden_sizes: list[int], seed: int = 0):
        super().__init__()
        self.n = n
        rng = np.random.RandomState(seed)
        degrees = [np.arange(1, n + 1)]  # inputs: 1..n
        for size in hidden_sizes:
            low = min(int(degrees[-1].min()), n - 1)
            degrees.append(rng.randint(low, n, size=size))  # uniform on {low, ..., n - 1}
        layers = []
        for previous, current in zip(degrees[:-1], degrees[1:], strict=True):
            layers += [MaskedLinear(torch.from_numpy(current[:, None] >= previous[None, :])), nn.ReLU()]
        outputs = np.arange(1, n + 1)
        layers.append(MaskedLinear(torch.from_numpy(outputs[:, None] >= degrees[-1][None, :])))  # strict
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.n)
        return self.net(x)
