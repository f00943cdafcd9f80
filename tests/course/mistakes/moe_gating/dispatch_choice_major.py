# cell: dispatch
# loses: test_dispatch
"""Slots handed out choice-major (all first choices, then all second choices, as GShard does) instead of token-major."""


def dispatch(
    indices: torch.Tensor, weights: torch.Tensor, num_experts: int, capacity: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token-major first come, first served: (dispatch_mask (T, E, C) bool, combine_weights (T, E, C), dropped (T, k) bool)."""
    num_tokens, k = indices.shape
    experts = indices.t().reshape(-1)  # choice-major: every token's first choice, then every second choice
    slots = slot_positions(experts, num_experts)
    kept = slots < capacity
    tokens = torch.arange(num_tokens).repeat(k)
    where = (tokens[kept], experts[kept], slots[kept])
    dispatch_mask = torch.zeros(num_tokens, num_experts, capacity, dtype=torch.bool)
    dispatch_mask[where] = True
    combine_weights = torch.zeros(num_tokens, num_experts, capacity, dtype=weights.dtype)
    combine_weights = combine_weights.index_put(where, weights.t().reshape(-1)[kept])
    return dispatch_mask, combine_weights, ~kept.reshape(k, num_tokens).t()


def slot_positions(experts: torch.Tensor, num_experts: int) -> torch.Tensor:
    """For a flat, token-major list of assignments, how many earlier assignments went to the same expert."""
    order = torch.argsort(experts, stable=True)  # grouped by expert, token order kept inside each group
    load = torch.bincount(experts, minlength=num_experts)
    first = torch.cumsum(load, dim=0) - load  # where each expert's group starts in `order`
    slots = torch.empty_like(experts)
    slots[order] = torch.arange(experts.numel()) - first[experts[order]]
    return slots
