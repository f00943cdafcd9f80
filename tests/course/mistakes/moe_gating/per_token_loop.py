# cell: MoELayer
# loses: test_moe_layer_cost
"""Correct, but loops over tokens in Python: thousands of tiny operations, far too slow at 8192 tokens."""


class MoELayer(nn.Module):
    """A sparse Mixture-of-Experts feed-forward layer: top-k routing, optional noise and capacity, auxiliary losses."""

    def __init__(
        self,
        d_model: int,
        d_hidden: int,
        num_experts: int,
        k: int,
        capacity_factor: float | None = None,
        noisy: bool = False,
    ):
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= num_experts:
            raise ValueError(f"k must be an integer with 1 <= k <= num_experts = {num_experts}, got {k!r}")
        self.num_experts, self.k = num_experts, k
        self.capacity_factor, self.noisy = capacity_factor, noisy
        self.w_gate = nn.Parameter(torch.zeros(d_model, num_experts))
        if noisy:
            self.w_noise = nn.Parameter(torch.zeros(d_model, num_experts))
        else:
            self.register_parameter("w_noise", None)
        self.w1 = nn.Parameter(torch.randn(num_experts, d_model, d_hidden) / math.sqrt(d_model))
        self.b1 = nn.Parameter(torch.zeros(num_experts, d_hidden))
        self.w2 = nn.Parameter(torch.randn(num_experts, d_hidden, d_model) / math.sqrt(d_hidden))
        self.b2 = nn.Parameter(torch.zeros(num_experts, d_model))

    def forward(self, x: torch.Tensor, generator=None) -> tuple[torch.Tensor, dict]:
        """Route every token of x (..., d_model) to its experts; returns (y like x, aux dict)."""
        shape = x.shape
        x = x.reshape(-1, shape[-1])  # (T, d)
        num_tokens, num_experts, k = x.shape[0], self.num_experts, self.k
        logits = x @ self.w_gate  # (T, E)
        if self.noisy and self.training:
            noise = torch.randn(num_tokens, num_experts, generator=generator, dtype=x.dtype)
            logits = logits + noise * F.softplus(x @ self.w_noise)
        weights, indices = top_k_gating(logits, k)  # (T, k) each
        aux = {
            "load_balancing_loss": load_balancing_loss(torch.softmax(logits, dim=-1), indices, num_experts),
            "router_z_loss": router_z_loss(logits),
        }

        # One row per assignment, token-major: assignment a belongs to token a // k.
        experts = indices.reshape(-1)  # (T * k,)
        gates = weights.reshape(-1)
        assignments = torch.arange(num_tokens * k)
        aux["expert_load"] = torch.bincount(experts, minlength=num_experts)
        if self.capacity_factor is not None:
            capacity = expert_capacity(num_tokens, num_experts, self.capacity_factor, k)
            kept = slot_positions(experts, num_experts) < capacity
            experts, gates, assignments = experts[kept], gates[kept], assignments[kept]
        aux["dropped_fraction"] = 1.0 - experts.numel() / (num_tokens * k)

        # One assignment at a time: correct, but thousands of tiny operations.
        rows = [x.new_zeros(shape[-1]) for _ in range(num_tokens * k)]
        for a, expert, gate in zip(assignments.tolist(), experts.tolist(), gates, strict=True):
            hidden = torch.relu(x[a // k] @ self.w1[expert] + self.b1[expert])
            rows[a] = gate * (hidden @ self.w2[expert] + self.b2[expert])
        y = torch.stack(rows)
        return y.view(num_tokens, k, -1).sum(dim=1).reshape(shape), aux
