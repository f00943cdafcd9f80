# cell: directional_derivative
# loses: test_directional_derivative
"""grad f(x) . v without dividing by |v|: the answer changes when v is scaled, and (3, 4) gives 22, not 22/5."""


def directional_derivative(A, b, x, v):
    A, b, x, v = (np.asarray(w, dtype=float) for w in (A, b, x, v))
    if not np.any(v):
        raise ValueError("v is the zero vector, which has no direction")
    return float(((A + A.T) @ x + b) @ v)
