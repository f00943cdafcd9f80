"""Helpers for the Mixture-of-Experts assignment, imported by the notebook and by its tests.

``layer_gradients`` and ``gradient_of`` run a backward pass where the layer lives and hand
back plain gradient tensors, so a test can check gradients whether the layer sits in this
process or behind a sandbox. ``make_toy_task`` builds the data of Part 9.
"""

from __future__ import annotations

import torch


def layer_gradients(layer, x, upstream=None, lb_weight=0.0, z_weight=0.0, generator=None) -> dict:
    """Backpropagate through ``layer(x)``; return ``{parameter name: gradient or None}``.

    The loss is ``(y * upstream).sum()`` (``y.sum()`` when ``upstream`` is None), plus
    ``lb_weight * aux["load_balancing_loss"] + z_weight * aux["router_z_loss"]``.
    """
    layer.zero_grad(set_to_none=True)
    y, aux = layer(x, generator=generator) if generator is not None else layer(x)
    loss = y.sum() if upstream is None else (y * upstream).sum()
    if lb_weight:
        loss = loss + lb_weight * aux["load_balancing_loss"]
    if z_weight:
        loss = loss + z_weight * aux["router_z_loss"]
    if not loss.requires_grad:
        raise RuntimeError("the layer's output and auxiliary losses do not depend on any parameter")
    loss.backward()
    return {name: None if p.grad is None else p.grad.detach().clone() for name, p in layer.named_parameters()}


def gradient_of(fn, tensor, *args):
    """Call ``fn(tensor, *args)``, which must return a scalar; return (its value, its gradient w.r.t. tensor)."""
    leaf = tensor.detach().clone().requires_grad_(True)
    value = fn(leaf, *args)
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        raise RuntimeError("the result is not a tensor that depends on the input (no gradient can flow)")
    value.reshape(()).backward()
    return value.detach(), leaf.grad


def make_toy_task(num_clusters: int = 4, d_model: int = 8, generator=None):
    """A regression task where each input cluster has its own linear map: one expert per cluster fits it.

    Returns ``sample(n) -> (x (n, d_model), target (n, d_model), cluster (n,))``.
    """
    centers = 2.0 * torch.randn(num_clusters, d_model, generator=generator)
    maps = torch.randn(num_clusters, d_model, d_model, generator=generator) / d_model**0.5

    def sample(n: int):
        cluster = torch.randint(num_clusters, (n,), generator=generator)
        x = centers[cluster] + 0.5 * torch.randn(n, d_model, generator=generator)
        return x, torch.einsum("nd,nde->ne", x, maps[cluster]), cluster

    return sample
