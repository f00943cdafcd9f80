# cell: gradient_descent
# loses: test_gradient_descent_errors
"""A fixed step above 2 / lambda_max is taken max_iter times without complaint: f runs off to infinity silently."""


def gradient_descent(A, b, x0, step=None, tol=1e-10, max_iter=10_000):
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    x = np.array(x0, dtype=float)
    H = A + A.T
    g = H @ x + b
    stop = tol * max(1.0, np.linalg.norm(g))
    history = [float(x @ A @ x + b @ x)]
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            if np.linalg.norm(g) <= stop:
                break
            if step is None:
                curvature = g @ H @ g
                if curvature <= 0:
                    raise ValueError("f is unbounded below along -g")
                alpha = (g @ g) / curvature
            else:
                alpha = step
            x = x - alpha * g
            g = H @ x + b
            history.append(float(x @ A @ x + b @ x))
    return x, history
