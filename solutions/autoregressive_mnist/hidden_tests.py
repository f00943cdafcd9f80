"""Hidden tests for the autoregressive-models assignment (FVSBN, NADE, MADE on binarized MNIST).

Never released. The student's models live in the sandbox; these tests only ask them for
logits (``model(x)``), samples, histories and a float, and compute every verdict here:

* weights the contract names (FVSBN ``W``/``b``, NADE ``W``/``c``/``V``/``b``) are set with
  ``load_state_dict`` and the logits compared with a float64 oracle written here;
* the autoregressive property is checked black-box, with one batched ``forward`` call on
  inputs chosen here: flipping x_j for j >= i must leave logit_i unchanged;
* normalization sums exp(log_prob) over all 2**10 patterns, and ``log_prob`` must equal the
  Bernoulli log-likelihood computed here from ``forward``'s logits;
* samples are compared with the model's exact distribution over 2**6 patterns (chi-square);
* quality is the test NLL computed here from the logits of a model the student's ``train``
  trained in the sandbox on data loaded here (never a number the student's code reports).

Data is read by this process from ``mnist_data.py`` beside this file, not through the student's
process, so a student cannot change the images a verdict is computed on. Torch generators and
global seeds that the student's code must see are made in the student's process
(``student_module("torch")``).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import time
from pathlib import Path

import torch
from scipy import stats

from autograder.testing import expect_raises, student_module, time_limit

TRAIN_SECONDS = 40.0  # wall-time bound per training run in a test (the reference needs about 2-5 s)
CALL_SECONDS = 20.0
AR_TOLERANCE = 1e-5  # floating-point noise allowed in the autoregressive check (real leaks are far larger)

# Quality budget: every model trains on the first 1,000 bundled training images for 5 epochs of
# minibatches of 50 (seed 0, no patience), and the test NLL on the 500 test images must be at most
# the threshold. Measured with the reference (default PyTorch initialization, two seeds and two
# other initializations): FVSBN 117.6-118.0, NADE(hidden=32) 139.9-146.2, MADE([256]) 150.6-154.0;
# an independent-Bernoulli model trained the same way reaches 223. Thresholds leave about 20-25 nats.
QUALITY_SUBSET = 1000
QUALITY = {
    "FVSBN": {"args": (784,), "kwargs": {}, "lr": 0.05, "threshold": 140.0},
    "NADE": {"args": (784, 32), "kwargs": {}, "lr": 0.05, "threshold": 170.0},
    "MADE": {"args": (784, [256]), "kwargs": {"seed": 0}, "lr": 0.02, "threshold": 180.0},
}
QUALITY_EPOCHS, QUALITY_BATCH = 5, 50

# The final part: the student's configuration, trained here for a short fixed budget (its own lr,
# batch size and any other settings, 1 epoch on 500 images); the test NLL must drop by BEST_MIN_GAIN.
BEST_SUBSET, BEST_EPOCHS, BEST_MIN_GAIN = 500, 1, 5.0

_data_cache: dict[str, torch.Tensor] = {}


def mnist(split: str) -> torch.Tensor:
    """The bundled binarized MNIST split, read in this (trusted) process."""
    if split not in _data_cache:
        path = Path(__file__).resolve().parent / "mnist_data.py"
        spec = importlib.util.spec_from_file_location("mnist_data_for_hidden_tests", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _data_cache[split] = module.load_binarized_mnist(split)
    return _data_cache[split].clone()


# ------------------------------------------------------------------ oracles


def oracle_bernoulli_ll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum_i log p(x_i | logit_i) in float64, stable for any logit."""
    logits, x = logits.double(), x.double()
    return (x * torch.nn.functional.logsigmoid(logits) + (1 - x) * torch.nn.functional.logsigmoid(-logits)).sum(-1)


def oracle_fvsbn_logits(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return x.double() @ torch.tril(W.double(), diagonal=-1).T + b.double()


def oracle_nade_logits(W, c, V, b, x):
    """NADE by its definition, one pixel at a time, in float64."""
    W, c, V, b, x = (t.double() for t in (W, c, V, b, x))
    a = c.expand(x.shape[0], -1).clone()
    out = torch.empty(x.shape, dtype=torch.float64)
    for i in range(x.shape[1]):
        out[:, i] = torch.sigmoid(a) @ V[i] + b[i]
        a = a + x[:, i : i + 1] * W[:, i]
    return out


def all_patterns(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float32)


def random_binary(rows: int, n: int, seed: int, density: float = 0.3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(rows, n, generator=g) < density).float()


def as_float_tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), f"{what} returned a {type(value).__name__}, expected a torch.Tensor"
    return value.detach().double()


def logits_of(model, x: torch.Tensor, what: str) -> torch.Tensor:
    with time_limit(CALL_SECONDS, what):
        out = model(x)
    out = as_float_tensor(out, what)
    assert tuple(out.shape) == tuple(x.shape), (
        f"{what} returned logits of shape {tuple(out.shape)}, expected {tuple(x.shape)}"
    )
    assert torch.isfinite(out).all(), f"{what} returned non-finite logits"
    return out


def set_weights(model, weights: dict, what: str) -> None:
    """Set named parameters in the student's process; fail clearly if a name is missing."""
    try:
        result = model.load_state_dict(weights, strict=False)
    except RuntimeError as exc:
        shapes = {k: tuple(v.shape) for k, v in weights.items()}
        raise AssertionError(f"{what}.load_state_dict({shapes}) failed: {exc}") from None
    unknown = list(result.unexpected_keys)
    assert not unknown, (
        f"{what} has no parameters named {unknown}: the contract names them "
        f"{sorted(weights)} with shapes { {k: tuple(v.shape) for k, v in weights.items()} }"
    )


def random_weights(shapes: dict, seed: int, scale: float = 1.0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {name: torch.randn(*shape, generator=g) * scale for name, shape in shapes.items()}


def fvsbn_weights(n: int, seed: int, scale: float = 0.5) -> dict:
    return random_weights({"W": (n, n), "b": (n,)}, seed, scale)


def nade_weights(n: int, hidden: int, seed: int, scale: float = 1.0) -> dict:
    return random_weights({"W": (hidden, n), "c": (hidden,), "V": (n, hidden), "b": (n,)}, seed, scale)


# ------------------------------------------------------------------ shared checks


def check_autoregressive(model, x: torch.Tensor, what: str, indices=None, seed: int = 0) -> None:
    """Flipping x_j for j >= i must not move logit_i: one forward call on perturbed copies of x."""
    n = x.shape[0]
    indices = list(range(n)) if indices is None else list(indices)
    rows = [x.clone()]
    for i in indices:
        single = x.clone()
        single[i] = 1 - single[i]  # flip x_i alone
        suffix = x.clone()
        suffix[i:] = 1 - suffix[i:]  # flip every x_j with j >= i
        rows += [single, suffix]
    batch = torch.stack(rows)
    logits = logits_of(model, batch, f"{what}(batch of {len(rows)} perturbed images)")
    base = logits[0]
    for k, i in enumerate(indices):
        for row, change in ((1 + 2 * k, f"flipping x[{i}]"), (2 + 2 * k, f"flipping x[{i}:]")):
            moved = abs(logits[row, i] - base[i]).item()
            assert moved <= AR_TOLERANCE * max(1.0, abs(base[i].item())), (
                f"{what}: {change} changed logit {i} by {moved:.3g}; logit i may depend only on x[:i] "
                "(check the mask: output i must not see x_i or anything after it)"
            )


def check_normalized(model, what: str, n: int = 10) -> None:
    """exp(log_prob) sums to 1 over all 2**n patterns, and log_prob matches forward's logits."""
    x = all_patterns(n)
    with time_limit(CALL_SECONDS, f"{what}.log_prob(all {2**n} patterns)"):
        lp = model.log_prob(x)
    lp = as_float_tensor(lp, f"{what}.log_prob")
    assert tuple(lp.shape) == (2**n,), f"{what}.log_prob(x of shape {tuple(x.shape)}) has shape {tuple(lp.shape)}"
    expected = oracle_bernoulli_ll(logits_of(model, x, f"{what}(all patterns)"), x)
    worst = (lp - expected).abs().max().item()
    assert worst <= 1e-4, (
        f"{what}.log_prob differs by up to {worst:.3g} from sum_i log p(x_i | logit_i) computed from "
        f"{what}.forward's logits; log_prob must be that sum"
    )
    total = torch.exp(lp).sum().item()
    assert abs(total - 1) <= 1e-5, (
        f"{what}: exp(log_prob) summed over all {2**n} binary patterns is {total:.7f}, not 1; "
        "a product of conditionals p(x_i | x_<i) must be normalized"
    )


def check_rejects_bad_input(model, n: int, what: str) -> None:
    good = random_binary(3, n, seed=1)
    half = good.clone()
    half[0, 0] = 0.5
    for bad, description in (
        (random_binary(3, n + 1, seed=2), f"x of shape (3, {n + 1})"),
        (good[0], f"x of shape ({n},)"),
        (half, "x containing 0.5"),
        (good * 2, "x containing 2.0"),
    ):
        for method in ("forward", "log_prob"):
            with expect_raises(ValueError, f"{what}.{method}({description})"):
                getattr(model, method)(bad)


# ------------------------------------------------------------------ part 1


def test_bernoulli_log_likelihood_values(bernoulli_log_likelihood):
    g = torch.Generator().manual_seed(0)
    for shape in [(5,), (4, 7), (2, 3, 6)]:
        logits = torch.randn(*shape, generator=g) * 4
        x = (torch.rand(*shape, generator=g) < 0.5).float()
        got = as_float_tensor(bernoulli_log_likelihood(logits, x), f"bernoulli_log_likelihood(shape {shape})")
        expected = oracle_bernoulli_ll(logits, x)
        assert tuple(got.shape) == shape[:-1], (
            f"bernoulli_log_likelihood on logits of shape {shape} returned shape {tuple(got.shape)}: sum over the last axis"
        )
        worst = (got - expected).abs().max().item()
        assert worst <= 1e-4 * (1 + expected.abs().max().item()), (
            f"bernoulli_log_likelihood(logits={logits.tolist()}, x={x.tolist()}) returned {got.tolist()}"
        )
    logits = torch.tensor([[100.0, -100.0, 100.0, -100.0, 0.0], [30.0, -30.0, 60.0, -60.0, 0.0]])
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0]])
    got = as_float_tensor(bernoulli_log_likelihood(logits, x), "bernoulli_log_likelihood")
    expected = oracle_bernoulli_ll(logits, x)
    assert torch.isfinite(got).all() and (got - expected).abs().max().item() <= 1e-3, (
        f"bernoulli_log_likelihood(logits={logits.tolist()}, x={x.tolist()}) returned {got.tolist()}: "
        "with logits of +-100 the result must be finite and exact (log(1 - sigmoid(100)) is -100, not -inf); "
        "use log-sigmoid, not log(sigmoid(...))"
    )


# ------------------------------------------------------------------ part 2: FVSBN


def test_fvsbn_logits_and_contract(FVSBN):  # noqa: N803 (the student's class, by its name)
    n = 40
    model = FVSBN(n)
    weights = fvsbn_weights(n, seed=3)
    set_weights(model, weights, f"FVSBN({n})")
    x = random_binary(32, n, seed=4)
    got = logits_of(model, x, f"FVSBN({n})(x)")
    expected = oracle_fvsbn_logits(weights["W"], weights["b"], x)
    worst = (got - expected).abs().max().item()
    assert worst <= 1e-4 * (1 + expected.abs().max().item()), (
        f"FVSBN({n}) with W and b set by load_state_dict gives logits off by up to {worst:.3g}: logit_i must be "
        "b_i + sum_{j<i} W[i, j] x_j (the strictly lower triangle of W, applied inside forward)"
    )
    check_rejects_bad_input(model, n, f"FVSBN({n})")

    small = FVSBN(10)
    set_weights(small, fvsbn_weights(10, seed=5, scale=3.0), "FVSBN(10)")  # logits up to about +-20
    check_normalized(small, "FVSBN(10)")

    big = FVSBN(784)
    set_weights(big, fvsbn_weights(784, seed=6, scale=0.1), "FVSBN(784)")
    check_autoregressive(big, mnist("test")[0], "FVSBN(784) with random weights")


# ------------------------------------------------------------------ part 3: NADE


def test_nade_logits_parameters_and_cost(NADE):  # noqa: N803
    n, hidden = 20, 7
    model = NADE(n, hidden)
    weights = nade_weights(n, hidden, seed=7)
    set_weights(model, weights, f"NADE({n}, {hidden})")
    x = random_binary(16, n, seed=8, density=0.5)
    got = logits_of(model, x, f"NADE({n}, {hidden})(x)")
    expected = oracle_nade_logits(weights["W"], weights["c"], weights["V"], weights["b"], x)
    worst = (got - expected).abs().max().item()
    assert worst <= 1e-4 * (1 + expected.abs().max().item()), (
        f"NADE({n}, {hidden}) with W, c, V, b set by load_state_dict gives logits off by up to {worst:.3g}: "
        "logit_i = b_i + V[i] . sigmoid(c + W[:, :i] x[:i]); add x_i's column to the running sum only after "
        "computing logit_i"
    )
    check_rejects_bad_input(model, n, f"NADE({n}, {hidden})")

    count_model = NADE(784, 50)
    with time_limit(CALL_SECONDS, "NADE(784, 50).parameters()"):
        count = sum(int(p.numel()) for p in count_model.parameters())
    assert count == 2 * 784 * 50 + 784 + 50, (
        f"NADE(784, 50) has {count} parameters; NADE shares W, c, V, b across pixels: 2*n*hidden + n + hidden"
    )

    small = NADE(10, 5)
    set_weights(small, nade_weights(10, 5, seed=9, scale=4.0), "NADE(10, 5)")  # logits up to about +-20
    check_normalized(small, "NADE(10, 5)")

    big = NADE(784, 16)
    set_weights(big, nade_weights(784, 16, seed=10, scale=0.3), "NADE(784, 16)")
    check_autoregressive(big, mnist("test")[1], "NADE(784, 16) with random weights")

    # Cost: O(n * hidden) per image. Going from n to 16n pixels should cost about 16x, not 256x (the
    # masked O(n^2 * hidden) version). The bound is generous: 64x, plus 20 ms of slack for overheads;
    # the two sizes are timed alternately and the fastest of five runs of each is kept.
    hidden, rows, sizes = 32, 4, (250, 4000)
    models = {size: NADE(size, hidden) for size in sizes}
    inputs = {size: random_binary(rows, size, seed=11) for size in sizes}
    times = dict.fromkeys(sizes, math.inf)
    with time_limit(CALL_SECONDS * 2, f"NADE(n, {hidden}) forward on {rows} images, n in {sizes}, 5 times each"):
        for _ in range(5):
            for size in sizes:
                start = time.perf_counter()
                models[size](inputs[size])
                times[size] = min(times[size], time.perf_counter() - start)
    small, big = times[sizes[0]], times[sizes[1]]
    assert big <= 64 * small + 0.02, (
        f"NADE forward on {rows} images with hidden={hidden} took {small * 1e3:.1f} ms at n={sizes[0]} and "
        f"{big * 1e3:.1f} ms at n={sizes[1]} (x{big / small:.0f} for 16x the pixels): that grows like n^2. "
        "Accumulate the hidden pre-activation one pixel at a time (a running sum or cumsum), O(n * hidden)"
    )


# ------------------------------------------------------------------ part 4: MADE


def test_made_masks(MADE):  # noqa: N803
    torch_s = student_module("torch")
    torch_s.manual_seed(0)
    x = mnist("test")[2]
    for hidden_sizes, seed in (([512], 0), ([256, 256], 1), ([100, 300], 2)):
        what = f"MADE(784, {hidden_sizes}, seed={seed})"
        model = MADE(784, hidden_sizes, seed=seed)
        check_autoregressive(model, x, what)
        batch = random_binary(16, 784, seed=12, density=0.5)
        logits = logits_of(model, batch, f"{what}(x)")
        varies = (logits.max(0).values - logits.min(0).values) > 1e-6
        share = varies[392:].float().mean().item()
        assert share >= 0.9, (
            f"{what}: only {share:.0%} of the logits 392..783 change at all across 16 different inputs; "
            "output i should see every input j < i through the hidden layers"
        )
    small = MADE(10, [32, 32], seed=0)
    check_normalized(small, "MADE(10, [32, 32])")
    model = MADE(12, [20])
    check_rejects_bad_input(model, 12, "MADE(12, [20])")


# ------------------------------------------------------------------ part 5: sampling


def exact_distribution(logits: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    return torch.exp(oracle_bernoulli_ll(logits, patterns))


def check_sampler(model, probabilities: torch.Tensor, what: str) -> None:
    """20,000 samples against the exact distribution over the 2**n patterns; reproducible per generator."""
    torch_s = student_module("torch")
    n = int(math.log2(len(probabilities)))
    draws = 20000
    generator = torch_s.Generator()
    generator.manual_seed(1234)
    with time_limit(CALL_SECONDS, f"{what}.sample({draws})"):
        samples = model.sample(draws, generator=generator)
    assert isinstance(samples, torch.Tensor), f"{what}.sample returned a {type(samples).__name__}, not a tensor"
    assert samples.dtype == torch.float32 and tuple(samples.shape) == (draws, n), (
        f"{what}.sample({draws}) returned {samples.dtype} of shape {tuple(samples.shape)}; expected float32 ({draws}, {n})"
    )
    assert ((samples == 0) | (samples == 1)).all(), f"{what}.sample returned values other than 0 and 1"
    codes = (samples.long() * (2 ** torch.arange(n - 1, -1, -1))).sum(1)
    observed = torch.bincount(codes, minlength=2**n).double()
    expected = probabilities.double() * draws
    keep = expected >= 5  # pool the rare patterns into one bin
    obs = torch.cat([observed[keep], observed[~keep].sum().reshape(1)])
    exp = torch.cat([expected[keep], expected[~keep].sum().reshape(1)])
    if exp[-1] < 1:
        obs, exp = obs[:-1], exp[:-1]
        exp = exp * obs.sum() / exp.sum()
    p_value = stats.chisquare(obs.numpy(), exp.numpy()).pvalue
    assert p_value > 1e-6, (
        f"{what}: {draws} samples do not follow the model's distribution (chi-square p = {p_value:.2g}); sample "
        "pixel by pixel, x_i from p(x_i | the x_<i already sampled)"
    )
    runs = []
    for seed in (7, 7, 8):
        generator = torch_s.Generator()
        generator.manual_seed(seed)
        with time_limit(CALL_SECONDS, f"{what}.sample(300, generator)"):
            runs.append(model.sample(300, generator=generator))
    assert torch.equal(runs[0], runs[1]), f"{what}.sample(300, generator) differs for two generators seeded 7"
    assert not torch.equal(runs[0], runs[2]), (
        f"{what}.sample(300, generator) gives the same samples for generators seeded 7 and 8: draw from the generator"
    )


def test_sampling_matches_distribution(FVSBN, NADE, MADE):  # noqa: N803
    n = 6
    patterns = all_patterns(n)

    fvsbn = FVSBN(n)
    weights = fvsbn_weights(n, seed=13, scale=3.0)
    set_weights(fvsbn, weights, f"FVSBN({n})")
    check_sampler(
        fvsbn, exact_distribution(oracle_fvsbn_logits(weights["W"], weights["b"], patterns), patterns), f"FVSBN({n})"
    )

    nade = NADE(n, 4)
    weights = nade_weights(n, 4, seed=14, scale=2.5)
    set_weights(nade, weights, f"NADE({n}, 4)")
    logits = oracle_nade_logits(weights["W"], weights["c"], weights["V"], weights["b"], patterns)
    check_sampler(nade, exact_distribution(logits, patterns), f"NADE({n}, 4)")

    student_module("torch").manual_seed(3)
    made = MADE(n, [32, 32], seed=0)
    check_autoregressive(made, torch.tensor([1.0, 0, 1, 1, 0, 1]), f"MADE({n}, [32, 32])")
    logits = logits_of(made, patterns, f"MADE({n}, [32, 32])(all patterns)")
    check_sampler(made, exact_distribution(logits, patterns), f"MADE({n}, [32, 32])")

    big = FVSBN(200)
    generator = student_module("torch").Generator()
    generator.manual_seed(0)
    with time_limit(CALL_SECONDS, "FVSBN(200).sample(4)"):
        samples = big.sample(4, generator=generator)
    assert tuple(samples.shape) == (4, 200) and ((samples == 0) | (samples == 1)).all(), (
        f"FVSBN(200).sample(4) returned shape {tuple(samples.shape)}; expected (4, 200) of 0s and 1s"
    )


# ------------------------------------------------------------------ part 6: nll_nats


def test_nll_nats_exact(FVSBN, nll_nats):  # noqa: N803
    """The mean over images of -log p(x), checked against this file's sum over forward's logits."""
    n = 30
    model = FVSBN(n)
    try:  # weights that make images differ; the expected value comes from forward's logits either way
        model.load_state_dict(fvsbn_weights(n, seed=15, scale=0.8), strict=False)
    except RuntimeError:
        pass
    # batches that differ: a mean of batch means would be visibly wrong
    x = torch.cat([random_binary(1000, n, seed=16, density=0.2), random_binary(234, n, seed=17, density=0.9)])
    expected = -oracle_bernoulli_ll(logits_of(model, x, f"FVSBN({n})(x)"), x).mean().item()
    for batch_size in (500, 7, 5000):
        with time_limit(CALL_SECONDS, f"nll_nats(model, x, batch_size={batch_size})"):
            got = nll_nats(model, x, batch_size=batch_size)
        assert isinstance(got, float), f"nll_nats returned a {type(got).__name__}; return a Python float"
        assert abs(got - expected) <= 1e-4 * (1 + abs(expected)), (
            f"nll_nats(FVSBN({n}), x of 1,234 images, batch_size={batch_size}) returned {got:.4f}: "
            "the mean over images of -log p(x) in nats (not a mean of batch means)"
        )
    half = x[:4].clone()
    half[1, 2] = 0.5
    with expect_raises(ValueError, "nll_nats(model, x containing 0.5)"):
        nll_nats(model, half)
    with expect_raises(ValueError, f"nll_nats(model, x of shape (4, {n + 2}))"):
        nll_nats(model, random_binary(4, n + 2, seed=18))


# ------------------------------------------------------------------ part 7: train


def grader_nll(model, x: torch.Tensor, what: str) -> float:
    return -oracle_bernoulli_ll(logits_of(model, x, what), x).mean().item()


def expected_stop(val: list[float], patience: int, epochs: int) -> int:
    """How many epochs the contract's early-stopping rule runs, given the validation curve."""
    best, waited = math.inf, 0
    for epoch, value in enumerate(val):
        if value < best:
            best, waited = value, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch + 1
    return epochs


def check_history(history, epochs_at_most: int, what: str) -> tuple[list[float], list[float]]:
    assert isinstance(history, dict) and {"train_nll", "val_nll"} <= set(history), (
        f"{what} returned {type(history).__name__} {sorted(history) if isinstance(history, dict) else ''}; "
        "expected a dict with 'train_nll' and 'val_nll'"
    )
    train_nll, val_nll = list(history["train_nll"]), list(history["val_nll"])
    assert len(train_nll) == len(val_nll) and 1 <= len(val_nll) <= epochs_at_most, (
        f"{what}: {len(train_nll)} train_nll and {len(val_nll)} val_nll values; expected one per epoch run"
    )
    assert all(isinstance(v, float) and math.isfinite(v) for v in train_nll + val_nll), (
        f"{what}: history values must be finite Python floats; got {train_nll[:3]}, {val_nll[:3]}"
    )
    return train_nll, val_nll


def test_train_history_determinism_and_early_stopping(FVSBN, train):  # noqa: N803
    torch_s = student_module("torch")
    train_x, val_x = mnist("train")[:200], mnist("val")[:100]
    first, second = FVSBN(784), FVSBN(784)
    second.load_state_dict(first.state_dict())
    kwargs = {"epochs": 3, "lr": 0.01, "batch_size": 50, "seed": 3}
    what = "train(FVSBN(784), 200 images, epochs=3, lr=0.01, batch_size=50, seed=3)"
    torch_s.manual_seed(1)
    with time_limit(TRAIN_SECONDS, what):
        history_1 = train(first, train_x, val_x, **kwargs)
    train_nll, val_nll = check_history(history_1, 3, what)
    assert len(val_nll) == 3, f"{what}: without patience it runs all 3 epochs; history has {len(val_nll)}"
    assert train_nll[-1] < train_nll[0], f"{what}: train_nll {train_nll} does not go down"
    measured = grader_nll(first, val_x, "the trained model")
    assert abs(val_nll[-1] - measured) <= 1e-3 * (1 + measured), (
        f"{what}: history['val_nll'][-1] is {val_nll[-1]:.4f}, but the returned model's NLL on val_x is "
        f"{measured:.4f}: record nll_nats(model, val_x) after each epoch, and keep the last weights without patience"
    )
    torch_s.manual_seed(2)
    torch_s.rand(17)  # disturb the global random state: the seed argument alone must decide
    with time_limit(TRAIN_SECONDS, what):
        history_2 = train(second, train_x, val_x, **kwargs)
    assert history_2 == history_1, (
        f"{what} twice on copies of one model gave different histories ({history_1['val_nll']} vs "
        f"{history_2['val_nll']}): shuffle with a torch.Generator seeded with `seed`, not the global RNG"
    )
    assert torch.equal(first(val_x), second(val_x)), f"{what} twice on copies of one model gave different weights"

    # Early stopping on a tiny training set, which overfits within a few epochs.
    tiny = mnist("train")[:48]
    for patience, epochs in ((2, 40), (100, 14)):
        model = FVSBN(784)
        what = f"train(FVSBN(784), 48 images, epochs={epochs}, lr=0.05, batch_size=16, seed=0, patience={patience})"
        with time_limit(TRAIN_SECONDS, what):
            history = train(model, tiny, val_x, epochs=epochs, lr=0.05, batch_size=16, seed=0, patience=patience)
        _, val_nll = check_history(history, epochs, what)
        stop = expected_stop(val_nll, patience, epochs)
        assert len(val_nll) == stop, (
            f"{what} ran {len(val_nll)} epochs with val_nll {[round(v, 2) for v in val_nll]}; the rule (stop after "
            f"{patience} epochs in a row without a strict improvement) stops after {stop}"
        )
        measured = grader_nll(model, val_x, "the model train returned")
        assert abs(measured - min(val_nll)) <= 1e-3 * (1 + measured), (
            f"{what}: the returned model's NLL on val_x is {measured:.3f}, but the best val_nll in the history is "
            f"{min(val_nll):.3f}; with patience, restore the weights of the best epoch (also when no early stop happens)"
        )

    bad = train_x[:10].clone()
    bad[0, 0] = 0.5
    with expect_raises(ValueError, "train(model, train_x containing 0.5, ...)"):
        train(FVSBN(784), bad, val_x, epochs=1, lr=0.01, batch_size=5, seed=0)
    with expect_raises(ValueError, "train(model, train_x of shape (10, 783), ...)"):
        train(FVSBN(784), train_x[:10, :783], val_x, epochs=1, lr=0.01, batch_size=5, seed=0)


# ------------------------------------------------------------------ part 8: quality


def test_quality_after_short_training(FVSBN, NADE, MADE, train):  # noqa: N803
    torch_s = student_module("torch")
    classes = {"FVSBN": FVSBN, "NADE": NADE, "MADE": MADE}
    train_x, val_x, test_x = mnist("train")[:QUALITY_SUBSET], mnist("val"), mnist("test")
    results = {}
    for name, setup in QUALITY.items():
        torch_s.manual_seed(0)
        model = classes[name](*setup["args"], **setup["kwargs"])
        call = (
            f"train({name}{setup['args']}, {QUALITY_SUBSET} images, epochs={QUALITY_EPOCHS}, lr={setup['lr']}, "
            f"batch_size={QUALITY_BATCH}, seed=0)"
        )
        with time_limit(TRAIN_SECONDS, call):
            train(model, train_x, val_x, epochs=QUALITY_EPOCHS, lr=setup["lr"], batch_size=QUALITY_BATCH, seed=0)
        check_autoregressive(model, test_x[3], f"{name} after {call}")
        results[name] = grader_nll(model, test_x, f"{name} after training")
    for name, nll in results.items():
        assert nll <= QUALITY[name]["threshold"], (
            f"after the same short training, test NLLs are { ({k: round(v, 1) for k, v in results.items()}) }; "
            f"{name} must reach {QUALITY[name]['threshold']} nats or less"
        )


# ------------------------------------------------------------------ part 9: the best model


def test_best_model_config(BEST_MODEL, FVSBN, NADE, MADE, train):  # noqa: N803
    """The configuration builds one of the three models, autoregressive, and a short run of it learns."""
    classes = {"FVSBN": FVSBN, "NADE": NADE, "MADE": MADE}
    config = BEST_MODEL
    assert isinstance(config, dict) and {"model", "args", "train"} <= set(config), (
        f"BEST_MODEL is {config!r}; expected a dict with keys 'model', 'args' and 'train'"
    )
    assert config["model"] in classes, f"BEST_MODEL['model'] is {config['model']!r}; choose 'FVSBN', 'NADE' or 'MADE'"
    args, settings = config["args"], dict(config["train"])
    assert isinstance(args, dict) and args.get("n") == 784, f"BEST_MODEL['args'] is {args!r}; it must include n=784"
    assert {"epochs", "lr", "batch_size"} <= set(settings), (
        f"BEST_MODEL['train'] is {settings!r}; it needs at least epochs, lr and batch_size"
    )
    for key in ("epochs", "seed", "patience"):
        settings.pop(key, None)
    student_module("torch").manual_seed(0)
    model = classes[config["model"]](**args)
    test_x = mnist("test")[:200]
    g = torch.Generator().manual_seed(19)
    check_autoregressive(model, test_x[4], "BEST_MODEL", indices=torch.randperm(784, generator=g)[:64].tolist())
    before = grader_nll(model, test_x, "BEST_MODEL before training")
    call = f"train({config['model']}(**{args}), {BEST_SUBSET} images, epochs={BEST_EPOCHS}, seed=0, **{settings})"
    with time_limit(TRAIN_SECONDS, call):
        train(model, mnist("train")[:BEST_SUBSET], mnist("val")[:100], epochs=BEST_EPOCHS, seed=0, **settings)
    after = grader_nll(model, test_x, "BEST_MODEL after training")
    assert after <= before - BEST_MIN_GAIN, (
        f"{call} moved the test NLL from {before:.1f} to {after:.1f} nats; a configuration that learns "
        f"improves by more than {BEST_MIN_GAIN:g} nats in this short run"
    )
