"""Time the reference MoE layer against a per-token loop and a dense FFN with the same active parameters.

    .venv/bin/python benchmarks/moe_gating.py [--tokens 8192] [--d-model 512] [--d-hidden 512] [--repeat 3]
                                              [--loop-tokens 1024] [--threads 1]

One batch of T tokens (float32, CPU, E = 8 experts, k = 2, no capacity limit) through:

- the reference ``MoELayer`` from the source notebook (tokens grouped by expert, one loop over experts);
- a per-token loop with the same parameters and the same routing (one Python step per token and choice);
- a dense FFN ``d -> k * d_hidden -> d``: the same active parameters and FLOPs per token as the MoE layer.

Each is timed forward (under ``torch.no_grad``) and forward + backward, best of ``--repeat``
(the per-token loop once, on the first ``--loop-tokens`` tokens, its time scaled up to T: its work per
token is fixed, and its backward pass over all 8192 tokens takes minutes; pass ``--loop-tokens 8192``
for the full run). One PyTorch thread by default, as in the grader's sandbox and so that timings on a
shared machine are not dominated by threads waiting for each other; pass ``--threads N`` on an idle
machine. The per-token loop is checked against the layer first.
The last line states the headline figures beside their goals.
"""

from __future__ import annotations

import argparse
import platform
import sys
import types

import nbformat
import torch
from common import SOLUTIONS, best_time
from nbgrader.utils import is_grade

NUM_EXPERTS, K = 8, 2


def load_moe_reference() -> dict:
    """The notebook's imports and reference solutions, without its (slow, printing) training run."""
    folder = SOLUTIONS / "moe_gating"
    sys.path.insert(0, str(folder))
    module = types.ModuleType("reference_moe_gating")
    sys.modules[module.__name__] = module
    for cell in nbformat.read(folder / "moe_gating.ipynb", as_version=4).cells:
        if cell.cell_type == "code" and not is_grade(cell) and cell.metadata.nbgrader["grade_id"] != "training_run":
            exec(cell.source, module.__dict__)
    return module.__dict__


def per_token_forward(layer, top_k_gating, x: torch.Tensor) -> torch.Tensor:
    """The same layer, one token and one choice at a time (routing vectorized, as it is cheap)."""
    weights, indices = top_k_gating(x @ layer.w_gate, layer.k)
    rows = []
    for t, (token_weights, token_experts) in enumerate(zip(weights, indices.tolist(), strict=True)):
        out = 0
        for w, e in zip(token_weights, token_experts, strict=True):
            hidden = torch.relu(x[t] @ layer.w1[e] + layer.b1[e])
            out = out + w * (hidden @ layer.w2[e] + layer.b2[e])
        rows.append(out)
    return torch.stack(rows)


def forward_backward(run):
    def action():
        run().sum().backward()

    return action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--d-hidden", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ref = load_moe_reference()
    torch.manual_seed(0)
    d, h, T = args.d_model, args.d_hidden, args.tokens
    layer = ref["MoELayer"](d, h, NUM_EXPERTS, K)
    with torch.no_grad():
        layer.w_gate.normal_(0, d**-0.5)  # a trained-looking router: tokens spread over the experts
    dense = torch.nn.Sequential(torch.nn.Linear(d, K * h), torch.nn.ReLU(), torch.nn.Linear(K * h, d))
    x = torch.randn(T, d)
    moe = lambda: layer(x)[0]  # noqa: E731
    loop_tokens = min(args.loop_tokens, T)
    loop = lambda: per_token_forward(layer, ref["top_k_gating"], x[:loop_tokens])  # noqa: E731
    ffn = lambda: dense(x)  # noqa: E731

    with torch.no_grad():
        sample = slice(0, 256)
        got = per_token_forward(layer, ref["top_k_gating"], x[sample])
        assert torch.allclose(got, layer(x[sample])[0], atol=1e-4), "the per-token loop disagrees with the layer"
        load = layer(x)[1]["expert_load"].tolist()
    print(
        f"T = {T}, d = {d}, d_hidden = {h}, E = {NUM_EXPERTS}, k = {K}, float32; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}; expert load {load}"
    )
    print(f"{'':<28} {'forward (s)':>12} {'fwd+bwd (s)':>12}")
    times = {}
    for name, run, repeat in [
        ("MoE, vectorized", moe, args.repeat),
        ("MoE, per-token loop", loop, 1),
        (f"dense FFN {d}->{K * h}->{d}", ffn, args.repeat),
    ]:
        with torch.no_grad():
            forward = best_time(run, repeat)
        both = best_time(forward_backward(run), repeat)
        if run is loop:
            forward, both = forward * T / loop_tokens, both * T / loop_tokens
            name += f" (x{T / loop_tokens:g})" if loop_tokens < T else ""
        times[name] = (forward, both)
        print(f"{name:<28} {forward:12.3f} {both:12.3f}")
    (moe_f, moe_b), (loop_f, loop_b), (ffn_f, ffn_b) = times.values()
    print(f"forward: vectorized {loop_f / moe_f:.0f}x a per-token loop, {moe_f / ffn_f:.2f}x a dense FFN")
    print(
        f"forward+backward: vectorized {loop_b / moe_b:.0f}x a per-token loop (goal >= 20x), "
        f"{moe_b / ffn_b:.2f}x a dense FFN (goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
