"""Hidden tests for the quadratic-forms assignment.

Never released to students. Each test is a plain function that takes the student's
functions as arguments and looks only at what they return, so the same test runs in the
student's kernel (stock nbgrader), in the trusted grader against a sandbox proxy, or
against the reference in pytest.

Expected values come from oracles defined here: ``numpy.linalg`` (solve, eigvalsh,
lstsq, svd), ``torch.autograd`` for gradients and Hessians, central finite differences for
directional derivatives, ``scipy.sparse.linalg.cg`` on a 2-D Poisson problem, a null-space
solution for the constrained problem and the normal equations (or their 200 x 200 dual)
for ridge regression. Random matrices come from NumPy generators with fixed seeds; where
hypothesis draws the cases, it is derandomized, keeps no database and does not shrink (each
example costs a call into the sandbox), so every run sees the same few dozen examples.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograder.testing import student_module, time_limit

# Hypothesis settings for every property below: the same examples on every run, no files written.
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
SEEDS = st.integers(0, 2**32 - 1)
LAB = "quadratic_lab"  # the helper module beside the notebook; tests ask it to build large inputs in the student's process


@functools.cache
def trusted_lab():
    """Our own copy of the helper module, loaded from this folder: it rebuilds the inputs the student's copy built."""
    spec = importlib.util.spec_from_file_location("quadratic_lab_trusted", Path(__file__).with_name(f"{LAB}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------- helpers


def show(a, precision: int = 4) -> str:
    """A matrix or vector as the failure message prints it (the input, never the expected value)."""
    a = np.asarray(a)
    if a.size > 64:
        return f"<{' x '.join(map(str, a.shape))} array>"
    return np.array2string(a, precision=precision, max_line_width=110, separator=", ").replace("\n", "\n    ")


def as_array(got, shape: tuple, call: str) -> np.ndarray:
    """The student's answer as a float array of the contract's shape, or a failure that says why."""
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{call} returned {got!r}, which is not an array of numbers") from None
    assert array.shape == shape, f"{call} returned shape {array.shape}, expected shape {shape}"
    assert np.all(np.isfinite(array)), f"{call} returned non-finite values: {show(array)}"
    return array


def check_value_error(fn, args: tuple, call: str, why: str, words: tuple[str, ...] = ()) -> None:
    """The call must raise ValueError whose message says what was wrong (and holds one of ``words``)."""
    try:
        result = fn(*args)
    except ValueError as exc:
        message = str(exc)
        assert message.strip(), f"{call} raised ValueError without a message; say what was wrong ({why})"
        if words:
            assert any(w in message.lower() for w in words), (
                f"{call} raised ValueError({message!r}); for {why} the message should say "
                + " or ".join(repr(w) for w in words)
            )
    else:
        raise AssertionError(f"{call} returned {result!r}; {why} must raise ValueError with a message")


def orthogonal(rng, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def with_hessian(rng, eigenvalues, skew: float = 0.0) -> np.ndarray:
    """A matrix A whose Hessian A + A^T has the given eigenvalues; ``skew`` adds A - A^T, which f ignores."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    n = eigenvalues.size
    q = orthogonal(rng, n)
    a = (q * (eigenvalues / 2)) @ q.T
    a = (a + a.T) / 2
    if skew:
        m = rng.standard_normal((n, n))
        a = a + skew * (m - m.T)
    return a


def f_value(A, b, c, x) -> float:
    return float(x @ A @ x + b @ x + c)


def hessian_eigenvalues(A) -> np.ndarray:
    return np.linalg.eigvalsh(A + A.T)


def relative_gap(got, expected) -> float:
    return float(np.linalg.norm(np.asarray(got) - expected) / max(np.linalg.norm(expected), 1e-300))


# ------------------------------------------------------------- symmetrize


def test_symmetrize(symmetrize):
    """Is the result (A + A^T)/2, symmetric, with the same quadratic form, the input untouched?"""
    rng = np.random.default_rng(11)
    for n in (1, 2, 5, 17):
        for A in (rng.standard_normal((n, n)) * 10, rng.integers(-9, 10, (n, n))):
            before = np.array(A, copy=True)
            call = f"symmetrize({show(A) if n <= 5 else f'<{n} x {n} random matrix>'})"
            got = symmetrize(A)
            assert isinstance(got, np.ndarray), f"{call} returned {type(got).__name__}, expected np.ndarray"
            got = as_array(got, (n, n), call)
            assert np.array_equal(A, before), f"{call} modified its argument"
            assert np.allclose(got, got.T, rtol=0, atol=1e-12 * max(1, np.abs(A).max())), (
                f"{call} returned a matrix that is not symmetric:\n    {show(got)}"
            )
            expected = (np.asarray(A, float) + np.asarray(A, float).T) / 2
            assert np.allclose(got, expected, rtol=1e-12, atol=1e-12), (
                f"{call} returned\n    {show(got)}\nwhich is not (A + A^T) / 2"
            )
    for A, why in [
        (np.ones((2, 3)), "a 2 x 3 (non-square) matrix"),
        (np.ones(4), "a 1-D array"),
        (np.ones((2, 2, 2)), "a 3-D array"),
    ]:
        check_value_error(symmetrize, (A,), f"symmetrize(<array of shape {A.shape}>)", why)


# ---------------------------------------------------------- quadratic_form


def test_quadratic_form(quadratic_form):
    """Does f(x) match the double sum sum_ij a_ij x_i x_j + b.x + c, for one point and for rows of points?"""
    rng = np.random.default_rng(12)
    for n in (1, 2, 3, 6):
        A = rng.integers(-5, 6, (n, n)).astype(float)  # not symmetric: x^T A x still counts a_ij + a_ji
        b = rng.integers(-5, 6, n).astype(float)
        c = float(rng.integers(-5, 6))
        for _ in range(3):
            x = rng.integers(-4, 5, n).astype(float)
            expected = sum(A[i, j] * x[i] * x[j] for i in range(n) for j in range(n)) + b @ x + c
            call = f"quadratic_form(A={show(A)}, b={show(b)}, c={c:g}, x={show(x)})"
            got = quadratic_form(A, b, c, x)
            assert isinstance(got, float) and not isinstance(got, bool), (
                f"{call} returned {got!r} of type {type(got).__name__}; a 1-D x gives a Python float"
            )
            assert abs(got - expected) <= 1e-9 * (1 + abs(expected)), f"{call} returned {got!r}"
        points = rng.standard_normal((7, n))
        call = f"quadratic_form(A={show(A)}, b={show(b)}, c={c:g}, x=<7 x {n} array>)"
        got = as_array(quadratic_form(A, b, c, points), (7,), call)
        expected = np.array([p @ A @ p + b @ p + c for p in points])
        bad = np.flatnonzero(np.abs(got - expected) > 1e-9 * (1 + np.abs(expected)))
        assert bad.size == 0, f"{call}: the value for row {bad[0]}, x = {show(points[bad[0]])}, was {got[bad[0]]!r}"
        got = as_array(quadratic_form(A, b, c, points[:1]), (1,), call.replace("<7 x", "<1 x"))
    A, b = np.eye(3), np.zeros(3)
    for args, why in [
        ((A, b, 0.0, np.zeros(2)), "x of shape (2,) with A of shape (3, 3)"),
        ((A, np.zeros(4), 0.0, np.zeros(3)), "b of shape (4,) with A of shape (3, 3)"),
        ((np.ones((2, 3)), np.zeros(2), 0.0, np.zeros(3)), "a non-square A of shape (2, 3)"),
        ((A, b, 0.0, np.zeros((5, 2))), "x of shape (5, 2) with A of shape (3, 3)"),
    ]:
        shapes = ", ".join(f"<shape {np.shape(a)}>" if np.ndim(a) else repr(a) for a in args)
        check_value_error(quadratic_form, args, f"quadratic_form({shapes})", why)


def test_quadratic_form_vectorized(quadratic_form):
    """Do 6 x 10^6 points take the time whole-array operations need (~0.5 s), not a Python loop (~30 s)?"""
    rng = np.random.default_rng(13)
    A, b, c = rng.standard_normal((2, 2)), rng.standard_normal(2), 0.5
    seed, m, every = 14, 6_000_000, 997
    call = "quadratic_form(<2 x 2 A>, b, c, x=<6 x 10^6 x 2 array of normals>)"
    with time_limit(10.0, call, "is there a Python loop over the rows? Use x @ A, elementwise products, sums"):
        # The points are built in the student's process (sending 96 MB would take longer than the work).
        shape, sample = student_module(LAB).quadratic_form_on_random_points(quadratic_form, A, b, c, seed, m, every)
    assert tuple(shape) == (m,), f"{call} returned shape {tuple(shape)}, expected ({m},)"
    points = trusted_lab().random_points(seed, m, 2)[::every]
    got = as_array(sample, (points.shape[0],), call)
    expected = np.einsum("ij,ij->i", points @ A, points) + points @ b + c
    bad = np.flatnonzero(np.abs(got - expected) > 1e-9 * (1 + np.abs(expected)))
    assert bad.size == 0, f"{call}: the value for row {bad[0] * every}, x = {show(points[bad[0]])}, was {got[bad[0]]!r}"


# -------------------------------------------------------- gradient, hessian


def random_form(seed: int, kind: str, n: int):
    """(A, b, c, x) for one of several shapes of form, symmetric or not, some badly scaled."""
    rng = np.random.default_rng(seed)
    magnitudes = np.exp(rng.uniform(0, np.log(100), n))
    signs = {
        "spd": np.ones(n),
        "negative definite": -np.ones(n),
        "indefinite": rng.choice([-1.0, 1.0], n),
        "singular": np.where(np.arange(n) == 0, 0.0, rng.choice([-1.0, 1.0], n)),
    }[kind]
    A = with_hessian(rng, signs * magnitudes, skew=rng.choice([0.0, 1.0, 30.0]))
    scale = 10.0 ** rng.integers(-6, 7)
    x = rng.standard_normal(n) * rng.choice([1.0, 100.0])
    return A * scale, rng.standard_normal(n) * scale, float(rng.standard_normal()), x


def torch_gradient_and_hessian(A, b, c, x):
    import torch  # only these oracles need it, and it takes seconds to import

    At, bt = torch.from_numpy(A), torch.from_numpy(b)

    def f(v):
        return v @ At @ v + bt @ v + c

    point = torch.from_numpy(x.copy()).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(point), point)
    hess = torch.autograd.functional.hessian(f, torch.from_numpy(x.copy()))
    return grad.numpy(), hess.numpy()


FORM_KINDS = st.sampled_from(["spd", "negative definite", "indefinite", "singular"])


def test_gradient(gradient):
    """Does the gradient match torch.autograd on symmetric, non-symmetric and badly scaled forms?"""

    @PROPERTY
    @given(seed=SEEDS, kind=FORM_KINDS, n=st.integers(1, 8))
    def agrees_with_autograd(seed, kind, n):
        A, b, c, x = random_form(seed, kind, n)
        expected, _ = torch_gradient_and_hessian(A, b, c, x)
        call = f"gradient(A={show(A, 3)}, b={show(b, 3)}, x={show(x, 3)})"
        got = as_array(gradient(A, b, x), (n,), call)
        scale = np.linalg.norm(A) * np.linalg.norm(x) + np.linalg.norm(b)
        assert np.linalg.norm(got - expected) <= 1e-9 * scale, (
            f"{call} returned {show(got)}, which is not the gradient (A + A^T) x + b"
        )

    agrees_with_autograd()


def test_hessian(hessian):
    """Does the Hessian match torch.autograd's, for non-symmetric A too?"""
    for seed, kind, n in [(21, "spd", 1), (22, "indefinite", 3), (23, "singular", 4), (24, "negative definite", 6)]:
        A, b, c, x = random_form(seed, kind, n)
        _, expected = torch_gradient_and_hessian(A, b, c, x)
        call = f"hessian({show(A, 3)})"
        got = as_array(hessian(A), (n, n), call)
        assert np.linalg.norm(got - expected) <= 1e-12 * np.linalg.norm(A) * n, (
            f"{call} returned\n    {show(got, 3)}\nwhich is not A + A^T"
        )


# --------------------------------------------------- directional_derivative


def central_difference(A, b, x, v) -> float:
    """(f(x + h u) - f(x - h u)) / 2h with u = v / |v|: exact for a quadratic up to rounding."""
    u = v / np.linalg.norm(v)
    h = 1e-2 * (1 + np.linalg.norm(x))
    return (f_value(A, b, 0.0, x + h * u) - f_value(A, b, 0.0, x - h * u)) / (2 * h)


def test_directional_derivative(directional_derivative):
    """Is it the rate along the unit vector v/|v| (the seed's example, finite differences), and v = 0 refused?"""
    A, b = np.eye(2), np.zeros(2)  # f = x^2 + y^2
    for v, expected in [([3.0, 4.0], 22 / 5), ([1.0, 0.0], 2.0), ([-3.0, -4.0], -22 / 5), ([0.0, 0.5], 4.0)]:
        call = f"directional_derivative(I, 0, x=[1, 2], v={v}) for f = x^2 + y^2"
        got = directional_derivative(A, b, np.array([1.0, 2.0]), np.array(v))
        assert isinstance(got, float | int) and abs(got - expected) <= 1e-12, f"{call} returned {got!r}"
    rng = np.random.default_rng(31)
    for n in (1, 2, 5, 9):
        for scale in (1e-3, 1.0, 1e3):
            A = rng.standard_normal((n, n)) * scale
            b, x = rng.standard_normal(n) * scale, rng.standard_normal(n)
            v = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 50.0])
            expected = central_difference(A, b, x, v)
            call = f"directional_derivative(A={show(A, 3)}, b={show(b, 3)}, x={show(x, 3)}, v={show(v, 3)})"
            got = directional_derivative(A, b, x, v)
            assert isinstance(got, float | int), f"{call} returned {got!r}; expected a float"
            tolerance = 1e-7 * (np.linalg.norm(A) * (1 + np.linalg.norm(x)) ** 2 + np.linalg.norm(b))
            assert abs(got - expected) <= tolerance, (
                f"{call} returned {got!r}, which is not the rate of change of f along v / |v| "
                "(checked by central finite differences)"
            )
    for n in (1, 3):
        args = (np.eye(n), np.zeros(n), np.ones(n), np.zeros(n))
        check_value_error(directional_derivative, args, f"directional_derivative(I, 0, x=ones, v=zeros({n}))", "v = 0")


# ------------------------------------------------ classify_stationary_point

CLASS_KINDS = {
    # kind: (signs drawn for the nonzero eigenvalues, how many zero eigenvalues)
    "minimum": ("+", 0),
    "maximum": ("-", 0),
    "saddle": ("+-", 0),
    "degenerate, trough": ("+", 1),
    "degenerate, ridge": ("-", 2),
    "saddle with a zero": ("+-", 1),
}


def classification_case(seed: int, kind: str, n: int):
    """A matrix of the given shape of eigenvalues: rotated, maybe non-symmetric, scaled by 10^-12..10^12."""
    rng = np.random.default_rng(seed)
    signs, zeros = CLASS_KINDS[kind]
    zeros = min(zeros, n - 1)
    if signs == "+-":
        n = max(n, 2 + zeros)
        nonzero = np.r_[1.0, -1.0, rng.choice([-1.0, 1.0], n - 2 - zeros)]
    else:
        nonzero = np.full(n - zeros, 1.0 if signs == "+" else -1.0)
    eigenvalues = np.r_[nonzero * np.exp(rng.uniform(0, np.log(1e4), nonzero.size)), np.zeros(zeros)]
    A = with_hessian(rng, rng.permutation(eigenvalues), skew=rng.choice([0.0, 1.0, 100.0]))
    if rng.random() < 0.5:  # congruence D H D keeps the signs of the eigenvalues (Sylvester's law of inertia)
        d = np.exp(rng.uniform(-1, 1, n))
        A = d[:, None] * A * d[None, :]
    return A * 10.0 ** rng.uniform(-12, 12)


def expected_class(A, tol: float = 1e-9) -> str | None:
    """The contract's answer from eigvalsh, or None when an eigenvalue is too near the threshold to judge."""
    eigenvalues = hessian_eigenvalues(A)
    top = np.abs(eigenvalues).max()
    ratio = np.abs(eigenvalues) / top if top > 0 else np.zeros_like(eigenvalues)
    if np.any((ratio > tol * 1e-3) & (ratio < tol * 1e3)):
        return None
    zero = ratio <= tol
    if zero.all():
        return "degenerate"
    positive, negative = (eigenvalues > 0) & ~zero, (eigenvalues < 0) & ~zero
    if positive.any() and negative.any():
        return "saddle"
    if zero.any():
        return "degenerate"
    return "minimum" if positive.all() else "maximum"


def check_class(classify_stationary_point, A, expected: str, why: str, **kwargs) -> None:
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    call = f"classify_stationary_point({show(A, 3)}{extra})"
    got = classify_stationary_point(A, **kwargs)
    assert got in ("minimum", "maximum", "saddle", "degenerate"), (
        f'{call} returned {got!r}; the answer is one of "minimum", "maximum", "saddle", "degenerate"'
    )
    assert got == expected, f"{call} returned {got!r}, which is wrong for {why}"


def test_classify_stationary_point(classify_stationary_point):
    """Bowl, dome, saddle, trough: from the eigenvalues of A + A^T, zero relative to the largest?"""
    for A, expected, why in [
        (np.diag([1.0, 3.0]), "minimum", "a bowl (both eigenvalues positive)"),
        (np.diag([-1.0, -3.0]), "maximum", "a dome"),
        (np.diag([1.0, -1.0]), "saddle", "a saddle"),
        (np.diag([2.0, 0.0]), "degenerate", "a trough (an eigenvalue is zero: positive semidefinite)"),
        (np.diag([2.0, -1.0, 0.0]), "saddle", "eigenvalues of both signs, even with a zero one"),
        (np.zeros((3, 3)), "degenerate", "the zero matrix (every eigenvalue is zero)"),
        (np.array([[0.0, 5.0], [-5.0, 0.0]]), "degenerate", "a skew-symmetric A, whose form x^T A x is 0"),
        (np.array([[1.0, 10.0], [-10.0, 1.0]]), "minimum", "A whose symmetric part is I (use A + A^T)"),
        (np.array([[1.0, 4.0], [0.0, 1.0]]), "saddle", "A whose symmetric part [[1, 2], [2, 1]] is indefinite"),
        (1e-12 * np.diag([1.0, 2.0, 3.0]), "minimum", "tiny positive eigenvalues (the tolerance is relative)"),
        (-1e-12 * np.diag([1.0, 2.0]), "maximum", "tiny negative eigenvalues (the tolerance is relative)"),
        (np.diag([1e12, 0.5]), "degenerate", "eigenvalue 0.5 next to 10^12: zero relative to the largest"),
        (np.diag([1e12, -0.5]), "degenerate", "eigenvalue -0.5 next to 10^12: zero relative to the largest"),
    ]:
        check_class(classify_stationary_point, A, expected, why)
    check_class(classify_stationary_point, np.diag([1.0, 1e-6]), "degenerate", "tol=1e-3 (1e-6 counts as 0)", tol=1e-3)
    check_class(classify_stationary_point, np.diag([1.0, 1e-6]), "minimum", "the default tol=1e-9")

    @PROPERTY
    @given(seed=SEEDS, kind=st.sampled_from(sorted(CLASS_KINDS)), n=st.integers(1, 7))
    def agrees_with_eigvalsh(seed, kind, n):
        A = classification_case(seed, kind, n)
        expected = expected_class(A)
        if expected is not None:
            why = "this matrix: look at the signs of the eigenvalues of A + A^T, zero relative to the largest"
            check_class(classify_stationary_point, A, expected, why)

    agrees_with_eigvalsh()


# ------------------------------------------------------- stationary_point


def test_stationary_point(stationary_point):
    """Is the gradient zero at the returned point, non-symmetric A included (checked with numpy.linalg.solve)?"""
    rng = np.random.default_rng(41)
    cases = [(np.diag([2.0, 3.0]), np.array([4.0, -6.0]))]
    for n in (1, 2, 4, 8, 15):
        for signs in (np.ones(n), -np.ones(n), rng.choice([-1.0, 1.0], n)):
            eigenvalues = signs * np.exp(rng.uniform(0, np.log(1e4), n))
            cases.append((with_hessian(rng, eigenvalues, skew=rng.choice([0.0, 3.0])), rng.standard_normal(n) * 10))
    for A, b in cases:
        n = b.size
        call = f"stationary_point(A={show(A, 3)}, b={show(b, 3)})"
        got = as_array(stationary_point(A, b), (n,), call)
        expected = np.linalg.solve(A + A.T, -b)
        assert relative_gap(got, expected) <= 1e-8, (
            f"{call} returned {show(got)}, where the gradient (A + A^T) x + b is {show((A + A.T) @ got + b)}, not 0"
        )


def singular_form(seed: int, n: int, rank: int):
    """(A, null vector) with H = A + A^T = 2 B^T B exactly singular: B has integer entries and ``rank`` rows."""
    rng = np.random.default_rng(seed)
    while True:
        B = rng.integers(-3, 4, (rank, n)).astype(float)
        if np.linalg.matrix_rank(B) == rank:
            break
    skew = rng.integers(-3, 4, (n, n)).astype(float)
    A = B.T @ B + np.triu(skew, 1) - np.triu(skew, 1).T
    null = np.linalg.svd(B)[2][-1]
    return A, null


def test_stationary_point_singular(stationary_point):
    """With a singular Hessian, does it say "no stationary point" or "infinitely many", rightly?"""
    rng = np.random.default_rng(42)
    cases = [
        (np.diag([1.0, 0.0]), np.array([2.0, 0.0]), "infinitely many"),  # a trough with a valley floor
        (np.diag([1.0, 0.0]), np.array([2.0, 1.0]), "no stationary point"),  # a tilted trough
        (np.zeros((2, 2)), np.zeros(2), "infinitely many"),
        (np.array([[0.0, 1.0], [-1.0, 0.0]]), np.array([1.0, 0.0]), "no stationary point"),
    ]
    for seed, n, rank in [(1, 3, 1), (2, 4, 2), (3, 5, 3), (4, 6, 5), (5, 8, 4)]:
        A, null = singular_form(seed, n, rank)
        H = A + A.T
        inside = H @ rng.integers(-3, 4, n).astype(float)  # exactly in the range of H
        cases.append((A, inside, "infinitely many"))
        cases.append((A, inside + null * max(1.0, np.linalg.norm(inside)), "no stationary point"))
    for A, b, words in cases:
        why = f"a singular A + A^T with b {'in' if words == 'infinitely many' else 'outside'} its range"
        call = f"stationary_point(A={show(A, 3)}, b={show(b, 3)})"
        check_value_error(stationary_point, (A, b), call, why, (words,))


# ------------------------------------------------------- gradient_descent


def descent_path(A, b, x0, step, steps: int) -> list[float]:
    """f along the first ``steps`` steps of x <- x - alpha g (exact line search when step is None)."""
    H = A + A.T
    x = np.array(x0, dtype=float)
    values = [f_value(A, b, 0.0, x)]
    for _ in range(steps):
        g = H @ x + b
        if not np.any(g):
            break
        x = x - (step if step is not None else (g @ g) / (g @ H @ g)) * g
        values.append(f_value(A, b, 0.0, x))
    return values


def check_descent(gradient_descent, A, b, x0, step=None, label=None) -> tuple[np.ndarray, list]:
    n = b.size
    extra = "" if step is None else f", step={step:.6g}"
    call = f"gradient_descent(A={label or show(A, 3)}, b={show(b, 3)}, x0={show(x0, 3)}{extra})"
    x, history = gradient_descent(A, b, np.array(x0, dtype=float), step)
    x = as_array(x, (n,), call + "[0] (x)")
    history = as_array(history, (len(history),), call + "[1] (history)")
    H = A + A.T
    g0 = np.linalg.norm(H @ x0 + b)
    assert np.linalg.norm(H @ x + b) <= 1e-9 * max(1.0, g0), (
        f"{call} returned x = {show(x)}, where the gradient is {show(H @ x + b)}; it should stop only when "
        "|g| <= tol * max(1, |g0|)"
    )
    first = f_value(A, b, 0.0, np.asarray(x0, float))
    assert history.size >= 1 and abs(history[0] - first) <= 1e-9 * (1 + abs(first)), (
        f"{call}: history[0] is {history[0] if history.size else 'missing'}; it should be f(x0)"
    )
    assert abs(history[-1] - f_value(A, b, 0.0, x)) <= 1e-9 * (1 + abs(history[-1])), (
        f"{call}: history[-1] = {history[-1]!r} is not f at the returned x"
    )
    path = descent_path(A, b, x0, step, min(5, history.size - 1))
    gap = np.abs(history[: len(path)] - path) > 1e-8 * (1 + np.abs(path))
    assert not gap.any(), (
        f"{call}: history[{int(np.argmax(gap))}] = {history[int(np.argmax(gap))]!r} is not f after that many steps "
        f"of x <- x - alpha * g with {'exact line search' if step is None else 'the fixed step'} "
        f"(the first values were {show(history[:5], 6)})"
    )
    return x, history


def test_gradient_descent(gradient_descent):
    """Does it follow x <- x - alpha g, converge, keep history right, and obey the rate bound per step?"""
    rng = np.random.default_rng(51)
    cases = [(np.diag([1.0, 10.0]), np.zeros(2), np.array([10.0, 1.0]))]  # the zig-zag from the notebook
    for n, kappa in [(2, 3.0), (5, 20.0), (10, 50.0), (30, 10.0)]:
        eigenvalues = np.r_[1.0, kappa, np.exp(rng.uniform(0, np.log(kappa), n - 2))]
        A = with_hessian(rng, eigenvalues * 3.0, skew=rng.choice([0.0, 2.0]))
        cases.append((A, rng.standard_normal(n) * 5, rng.standard_normal(n) * 5))
    for A, b, x0 in cases:
        x, history = check_descent(gradient_descent, A, b, x0)
        eigenvalues = hessian_eigenvalues(A)
        kappa = eigenvalues[-1] / eigenvalues[0]
        rate = ((kappa - 1) / (kappa + 1)) ** 2
        x_star = np.linalg.solve(A + A.T, -b)
        f_star = f_value(A, b, 0.0, x_star)
        excess = history - f_star
        slack = 1e-12 * (abs(f_star) + abs(history[0]) + 1)
        for k in range(history.size - 1):
            if excess[k] > 1e6 * slack:
                assert excess[k + 1] <= rate * excess[k] + slack, (
                    f"gradient_descent(A={show(A, 3)}, b={show(b, 3)}, x0={show(x0, 3)}) with exact line search: "
                    f"f - f* went from {excess[k]:.6g} to {excess[k + 1]:.6g} at step {k + 1}, shrinking by less than "
                    f"((kappa - 1)/(kappa + 1))^2 = {rate:.4g} (kappa = {kappa:.4g}), which no exact step can"
                )
    A, b = cases[1][0], cases[1][1]
    lam_max = hessian_eigenvalues(A)[-1]
    for fraction in (0.5, 1.0, 1.9):
        check_descent(gradient_descent, A, b, np.ones(b.size), step=fraction / lam_max)

    A, b = np.diag([1.0, 10.0]), np.array([2.0, -20.0])  # the minimizer (-1, 1) is the starting point
    x, history = gradient_descent(A, b, np.array([-1.0, 1.0]))
    call = "gradient_descent(diag(1, 10), b=[2, -20], x0=[-1, 1]) (x0 is already the minimizer)"
    assert len(history) == 1, f"{call} returned a history of length {len(history)}; no steps means [f(x0)]"
    x, history = gradient_descent(cases[3][0], cases[3][1], cases[3][2], max_iter=3)
    call = "gradient_descent(<10 x 10 A, kappa 50>, b, x0, max_iter=3)"
    assert len(history) == 4, f"{call} returned a history of length {len(history)}; 3 steps give 4 values"


def test_gradient_descent_errors(gradient_descent):
    """Is divergence reported, not silent: unbounded directions and fixed steps above 2 / lambda_max?"""
    rng = np.random.default_rng(52)
    cases = [
        (-np.eye(2), np.zeros(2), np.array([1.0, 2.0]), "a dome: every direction goes down forever"),
        (np.diag([1.0, -1.0]), np.zeros(2), np.array([0.0, 1.0]), "a saddle, starting on its downhill axis"),
        (np.diag([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0, 0.0]), "a tilted trough: g^T H g = 0"),
    ]
    for n in (3, 6):
        A = with_hessian(rng, -np.exp(rng.uniform(0, 2, n)), skew=1.0)
        cases.append((A, rng.standard_normal(n), rng.standard_normal(n), "a negative definite form"))
    for A, b, x0, why in cases:
        call = f"gradient_descent(A={show(A, 3)}, b={show(b, 3)}, x0={show(x0, 3)})"
        check_value_error(gradient_descent, (A, b, x0), call, why, ("unbounded",))
    for n, factor in [(2, 1.2), (5, 1.05), (8, 3.0)]:
        A = with_hessian(rng, np.exp(rng.uniform(0, 3, n)), skew=rng.choice([0.0, 1.0]))
        step = factor * 2 / hessian_eigenvalues(A)[-1]
        b, x0 = rng.standard_normal(n), rng.standard_normal(n)
        call = f"gradient_descent(A={show(A, 3)}, b={show(b, 3)}, x0={show(x0, 3)}, step={step:.6g})"
        why = f"a fixed step {factor:g} times 2 / lambda_max(H), where f grows without bound"
        check_value_error(lambda *a, step=step: gradient_descent(*a, step=step), (A, b, x0), call, why, ("too large",))


# ------------------------------------------------------------------ gd_rate


def test_gd_rate(gd_rate):
    """Is it ((kappa - 1)/(kappa + 1))^2 with kappa from the eigenvalues of A + A^T, and non-SPD refused?"""
    rng = np.random.default_rng(61)
    cases = [(np.eye(3), 0.0), (np.diag([1.0, 3.0]), 0.25), (np.diag([2.0, 2.0, 18.0]), 0.64)]
    for n, kappa in [(2, 10.0), (5, 1e3), (12, 1e6), (4, 1.5)]:
        eigenvalues = np.r_[1.0, kappa, np.exp(rng.uniform(0, np.log(kappa), n - 2))] * 10.0 ** rng.integers(-3, 4)
        A = with_hessian(rng, eigenvalues)
        ratio = hessian_eigenvalues(A)[-1] / hessian_eigenvalues(A)[0]
        cases.append((A, ((ratio - 1) / (ratio + 1)) ** 2))
    for A, expected in cases:
        call = f"gd_rate({show(A, 3)})"
        got = gd_rate(A)
        assert isinstance(got, float | int) and abs(got - expected) <= 1e-9, (
            f"{call} returned {got!r}; kappa here is {hessian_eigenvalues(A)[-1] / hessian_eigenvalues(A)[0]:.6g}"
        )
    for A, why in [(np.diag([1.0, -1.0]), "an indefinite matrix"), (np.diag([1.0, 0.0]), "a singular matrix")]:
        check_value_error(gd_rate, (A,), f"gd_rate({show(A)})", why, ("positive definite",))


# -------------------------------------------------------------- newton_step


def test_newton_step(newton_step):
    """Does one step land on the stationary point from anywhere (returning the point, not the increment)?"""
    rng = np.random.default_rng(71)
    for n in (1, 2, 5, 12):
        for signs in (np.ones(n), rng.choice([-1.0, 1.0], n)):
            A = with_hessian(rng, signs * np.exp(rng.uniform(0, np.log(1e3), n)), skew=rng.choice([0.0, 5.0]))
            b = rng.standard_normal(n) * 10
            expected = np.linalg.solve(A + A.T, -b)
            for x in (rng.standard_normal(n) * 100, expected + 1.0):
                call = f"newton_step(A={show(A, 3)}, b={show(b, 3)}, x={show(x, 3)})"
                got = as_array(newton_step(A, b, x), (n,), call)
                assert relative_gap(got, expected) <= 1e-8, (
                    f"{call} returned {show(got)}, where the gradient is {show((A + A.T) @ got + b)}, not 0 "
                    "(return the new point x - H^-1 grad f(x), not the increment)"
                )


# ------------------------------------------------------- conjugate_gradient


def spd_matrix(rng, n: int, kappa: float) -> np.ndarray:
    eigenvalues = np.r_[1.0, kappa, np.exp(rng.uniform(0, np.log(kappa), max(n - 2, 0)))][:n]
    q = orthogonal(rng, n)
    A = (q * eigenvalues) @ q.T
    return (A + A.T) / 2


def check_solution(conjugate_gradient, A, b, call: str, tol: float = 1e-10, max_iterations=None, **kwargs):
    result = conjugate_gradient(A, b, tol=tol, **kwargs) if kwargs or tol != 1e-10 else conjugate_gradient(A, b)
    b = np.asarray(b, dtype=float)
    n = b.size
    assert isinstance(result, tuple | list) and len(result) == 2, f"{call} returned {result!r}; expected (x, n_iter)"
    x = as_array(result[0], (n,), f"{call}[0] (x)")
    n_iter = result[1]
    assert isinstance(n_iter, int | np.integer) and not isinstance(n_iter, bool), (
        f"{call} returned n_iter = {n_iter!r}; expected an int"
    )
    matrix = np.asarray(A)
    residual = np.linalg.norm(b - matrix @ x)
    assert residual <= 10 * tol * np.linalg.norm(b), (
        f"{call} returned x with relative residual |b - A x| / |b| = {residual / np.linalg.norm(b):.3g} "
        f"after {n_iter} iterations; it should stop only when that is <= tol = {tol:g}"
    )
    if max_iterations is not None:
        assert n_iter <= max_iterations, (
            f"{call} took {n_iter} iterations; conjugate gradients needs at most {max_iterations} here"
        )
    return x, int(n_iter)


def test_conjugate_gradient(conjugate_gradient):
    """Does it solve SPD systems in at most n + 2 iterations, and as few as the distinct eigenvalues?"""

    @PROPERTY
    @given(seed=SEEDS, n=st.integers(1, 50), kappa=st.sampled_from([1.0, 2.0, 10.0]))
    def solves_in_n_steps(seed, n, kappa):
        rng = np.random.default_rng(seed)
        A, b = spd_matrix(rng, n, kappa) * 10.0 ** rng.integers(-4, 5), rng.standard_normal(n)
        check_solution(
            conjugate_gradient, A, b, f"conjugate_gradient(<{n} x {n} SPD, kappa {kappa:g}>, b)", 1e-10, n + 2
        )

    solves_in_n_steps()
    rng = np.random.default_rng(81)
    for n, distinct in [(40, 3), (30, 1), (25, 5)]:
        values = rng.uniform(1, 10, distinct)
        q = orthogonal(rng, n)
        A = (q * values[np.arange(n) % distinct]) @ q.T
        A, b = (A + A.T) / 2, rng.standard_normal(n)
        call = f"conjugate_gradient(<{n} x {n} SPD with only {distinct} distinct eigenvalues>, b)"
        check_solution(conjugate_gradient, A, b, call, 1e-10, distinct + 2)

    A, b = spd_matrix(rng, 6, 5.0), rng.standard_normal(6)
    x, _ = check_solution(conjugate_gradient, A.tolist(), b.tolist(), "conjugate_gradient(A.tolist(), b.tolist())")
    check_solution(conjugate_gradient, A, b, "conjugate_gradient(A, b, tol=1e-4)", 1e-4)
    x_star = np.linalg.solve(A, b)
    result = conjugate_gradient(A, b, x0=x_star)
    assert int(result[1]) == 0, f"conjugate_gradient(A, b, x0=<the exact solution>) took {result[1]} iterations, not 0"
    A, b = spd_matrix(rng, 20, 100.0), rng.standard_normal(20)
    result = conjugate_gradient(A, b, max_iter=3)
    assert int(result[1]) == 3, f"conjugate_gradient(<20 x 20 SPD>, b, max_iter=3) reported {result[1]} iterations"
    x, n_iter = conjugate_gradient(A, np.zeros(20))
    x = as_array(x, (20,), "conjugate_gradient(A, zeros(20))")
    assert not x.any() and int(n_iter) == 0, (
        f"conjugate_gradient(A, zeros(20)) returned x = {show(x)} after {n_iter} iterations; b = 0 gives zeros, 0"
    )


@functools.cache
def poisson_reference(m: int, tol: float):
    """The CSR matrix, right-hand side and scipy's iteration count for the Poisson problem on an m x m grid."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import cg

    one_d = sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1])
    matrix = (sp.kronsum(one_d, one_d)).tocsr()
    grid = np.linspace(0, 1, m + 2)[1:-1]
    b = (np.sin(np.pi * grid)[:, None] * np.sin(2 * np.pi * grid)[None, :] + 0.1).ravel()
    b += np.random.default_rng(91).standard_normal(b.size) * 0.01
    iterations = []
    x, info = cg(matrix, b, rtol=tol, atol=0.0, maxiter=10 * m * m, callback=lambda _: iterations.append(1))
    assert info == 0
    return matrix, b, len(iterations)


def test_conjugate_gradient_matvec(conjugate_gradient):
    """Given only a function p -> A p, does it solve, and match scipy's cg on a 64 x 64 Poisson problem?"""
    rng = np.random.default_rng(82)
    A, b = spd_matrix(rng, 30, 50.0), rng.standard_normal(30)
    calls = []

    def matvec(p):
        calls.append(1)
        p = np.asarray(p, dtype=float)
        assert p.shape == (30,), f"the matvec was called with shape {p.shape}; it takes vectors of shape (30,)"
        return A @ p

    x, n_iter = conjugate_gradient(matvec, b)
    call = "conjugate_gradient(<a function p -> A @ p, 30 x 30 SPD, kappa 50>, b)"
    x = as_array(x, (30,), call)
    assert np.linalg.norm(b - A @ x) <= 1e-9 * np.linalg.norm(b), (
        f"{call} returned x with relative residual {np.linalg.norm(b - A @ x) / np.linalg.norm(b):.3g}"
    )
    assert calls, f"{call} never called the function"

    m, tol = 64, 1e-8
    matrix, b, scipy_iterations = poisson_reference(m, tol)
    call = f"conjugate_gradient(<5-point Laplacian matvec on a {m} x {m} grid>, b, tol={tol:g})"
    with time_limit(30, call):
        # The matvec is built in the student's process, so its ~200 products cost no round trips.
        x, n_iter = conjugate_gradient(student_module(LAB).poisson_matvec(m), b, tol=tol)
    x = as_array(x, (m * m,), call)
    residual = np.linalg.norm(b - matrix @ x) / np.linalg.norm(b)
    assert residual <= 2 * tol, f"{call} returned x with relative residual {residual:.3g} after {n_iter} iterations"
    assert int(n_iter) <= scipy_iterations + 5, (
        f"{call} took {n_iter} iterations; scipy.sparse.linalg.cg needs {scipy_iterations} for the same tolerance"
    )


def test_conjugate_gradient_errors(conjugate_gradient):
    """Are matrices that are not positive definite, and mismatched shapes, refused with ValueError?"""
    words = ("not positive definite",)
    for A, b, why in [
        (np.diag([1.0, -1.0, 2.0]), np.array([0.0, 1.0, 0.0]), "an indefinite A (p^T A p < 0 at the first step)"),
        (-np.eye(4), np.ones(4), "a negative definite A"),
        (np.zeros((3, 3)), np.ones(3), "the zero matrix (p^T A p = 0)"),
    ]:
        check_value_error(conjugate_gradient, (A, b), f"conjugate_gradient({show(A)}, {show(b)})", why, words)
    negative = lambda p: -2.0 * np.asarray(p, dtype=float)  # noqa: E731
    check_value_error(
        conjugate_gradient,
        (negative, np.ones(5)),
        "conjugate_gradient(<p -> -2 p>, ones(5))",
        "a matvec of -2 I",
        words,
    )
    check_value_error(
        conjugate_gradient, (np.eye(3), np.ones(4)), "conjugate_gradient(eye(3), ones(4))", "A of shape (3, 3), b (4,)"
    )


# ------------------------------------------------------ constrained_minimum


def null_space_solution(A, b, C, d):
    """Minimize over x = x_p + Z z, Z an orthonormal basis of C's null space; lam from H x + b + C^T lam = 0."""
    H = A + A.T
    x_p = np.linalg.lstsq(C, d, rcond=None)[0]
    Z = np.linalg.svd(C)[2][C.shape[0] :].T
    z = np.linalg.solve(Z.T @ H @ Z, -Z.T @ (H @ x_p + b))
    return x_p + Z @ z


def test_constrained_minimum(constrained_minimum):
    """Does it match a null-space solution, with multipliers that make H x + b + C^T lam zero?"""
    rng = np.random.default_rng(91)
    cases = [
        # minimize x^2 + y^2 on x + y = 1: the point (1/2, 1/2)
        (np.eye(2), np.zeros(2), np.array([[1.0, 1.0]]), np.array([1.0])),
        # x^2 - y^2 is a saddle, but on the line y = 1 it is a bowl in x
        (np.diag([1.0, -1.0]), np.array([2.0, 0.0]), np.array([[0.0, 1.0]]), np.array([1.0])),
    ]
    for n, p in [(3, 1), (5, 2), (8, 3), (10, 9), (4, 4)]:
        A = with_hessian(rng, np.exp(rng.uniform(0, np.log(100), n)), skew=rng.choice([0.0, 2.0]))
        cases.append((A, rng.standard_normal(n), rng.standard_normal((p, n)), rng.standard_normal(p)))
    for n, p in [(4, 2), (6, 3)]:  # indefinite H, but positive definite on the feasible directions
        C = rng.standard_normal((p, n))
        Q = np.linalg.svd(C)[2].T  # the first p columns span C's row space, the rest its null space
        H = (Q * np.r_[-np.ones(p), np.ones(n - p)] * 3) @ Q.T
        cases.append(((H + H.T) / 4, rng.standard_normal(n), C, rng.standard_normal(p)))
    for A, b, C, d in cases:
        n, p = b.size, d.size
        call = f"constrained_minimum(A={show(A, 3)}, b={show(b, 3)}, C={show(C, 3)}, d={show(d, 3)})"
        result = constrained_minimum(A, b, C, d)
        assert isinstance(result, tuple | list) and len(result) == 2, f"{call} returned {result!r}; expected (x, lam)"
        x, lam = as_array(result[0], (n,), call + "[0] (x)"), as_array(result[1], (p,), call + "[1] (lam)")
        scale = np.linalg.norm(A) * (1 + np.linalg.norm(x)) + np.linalg.norm(b) + 1
        assert np.linalg.norm(C @ x - d) <= 1e-8 * (1 + np.linalg.norm(d)), (
            f"{call} returned x = {show(x)}, which breaks the constraints: C x - d = {show(C @ x - d)}"
        )
        assert relative_gap(x, null_space_solution(A, b, C, d)) <= 1e-7, (
            f"{call} returned x = {show(x)}, which is feasible but not the constrained minimizer"
        )
        stationarity = (A + A.T) @ x + b + C.T @ lam
        assert np.linalg.norm(stationarity) <= 1e-8 * scale, (
            f"{call} returned lam = {show(lam)}, but (A + A^T) x + b + C^T lam = {show(stationarity)}, not 0"
        )
    for A, b, C, d, why, words in [
        (np.eye(3), np.zeros(3), np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]]), np.array([1.0, 3.0]),
         "inconsistent constraints (x + y = 1 and 2x + 2y = 3)", ("inconsistent",)),
        (np.eye(2), np.zeros(2), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 1.0, 0.0]),
         "three inconsistent constraints on two unknowns", ("inconsistent",)),
        (np.diag([1.0, -1.0, 1.0]), np.zeros(3), np.array([[1.0, 0.0, 0.0]]), np.array([1.0]),
         "a form that curves down along a feasible direction (y)", ("unbounded",)),
        (np.diag([1.0, 0.0, 0.0]), np.zeros(3), np.array([[1.0, 1.0, 0.0]]), np.array([1.0]),
         "a form that is flat along the feasible direction z (the minimizer is not unique)", ()),
    ]:  # fmt: skip
        call = f"constrained_minimum(A={show(A)}, b={show(b)}, C={show(C)}, d={show(d)})"
        check_value_error(constrained_minimum, (A, b, C, d), call, why, words)


# ---------------------------------------------------------------- fit_ridge


def ridge_normal_equations(X, y, lam):
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def test_fit_ridge(fit_ridge):
    """Does it match the normal equations (X^T X + lam I) w = X^T y, tall and wide?"""
    rng = np.random.default_rng(101)
    for n_samples, n_features, lam in [(50, 8, 0.1), (50, 8, 100.0), (20, 60, 1.0), (200, 40, 1e-3), (1, 3, 2.0)]:
        X = rng.standard_normal((n_samples, n_features)) * np.exp(rng.uniform(-1, 1, n_features))
        y = X @ rng.standard_normal(n_features) + 0.1 * rng.standard_normal(n_samples)
        call = f"fit_ridge(<{n_samples} x {n_features} X>, y, lam={lam:g})"
        w = as_array(fit_ridge(X, y, lam), (n_features,), call)
        expected = ridge_normal_equations(X, y, lam)
        assert relative_gap(w, expected) <= 1e-6, (
            f"{call} returned w with |X^T (X w - y) + lam w| = {np.linalg.norm(X.T @ (X @ w - y) + lam * w):.3g}; "
            "the minimizer makes it 0"
        )
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    for args, why in [((X, y, 0.0), "lam = 0"), ((X, y, -1.0), "a negative lam"), ((X, y[:9], 1.0), "y of shape (9,)")]:
        check_value_error(fit_ridge, args, f"fit_ridge(<10 x 3 X>, <y of shape {args[1].shape}>, lam={args[2]:g})", why)


@functools.cache
def wide_ridge_problem():
    """200 samples, 30,000 features: X^T X would be 30,000 x 30,000 (7.2 GB), past the sandbox's memory."""
    seed, n_samples, n_features, lam = 102, 200, 30_000, 50.0
    X, y = trusted_lab().wide_regression(seed, n_samples, n_features)
    dual = np.linalg.solve(X @ X.T + lam * np.eye(n_samples), y)  # w = X^T (X X^T + lam I)^-1 y, the same minimizer
    return (seed, n_samples, n_features, lam), X, y, X.T @ dual


def test_fit_ridge_wide(fit_ridge):
    """Does a 200 x 30,000 problem fit in memory and time, i.e. with a matvec instead of X^T X?"""
    (seed, n_samples, n_features, lam), X, y, expected = wide_ridge_problem()
    call = f"fit_ridge(<{n_samples} x {n_features} X>, y, lam={lam:g})"
    try:
        with time_limit(
            15,
            call,
            "CG with the matvec w -> X^T (X w) + lam w needs a few dozen iterations here; "
            "check that conjugate_gradient converges, and never form X^T X",
        ):
            # X is built in the student's process from the same seed (sending 48 MB would dominate the test).
            w = student_module(LAB).fit_ridge_on_wide_regression(fit_ridge, seed, n_samples, n_features, lam)
    except MemoryError:
        raise AssertionError(
            f"{call} ran out of memory: X^T X has 30,000 x 30,000 entries (7.2 GB). Give conjugate_gradient "
            "the function w -> X^T (X w) + lam w instead"
        ) from None
    w = as_array(w, (n_features,), call)
    assert relative_gap(w, expected) <= 1e-6, (
        f"{call} returned w with |X^T (X w - y) + lam w| = {np.linalg.norm(X.T @ (X @ w - y) + lam * w):.3g}; "
        "the minimizer makes it 0"
    )
