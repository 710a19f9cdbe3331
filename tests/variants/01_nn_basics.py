"""Other answers to 01_nn_basics's exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "sigmoid": {
        "two masks into a float64 array": """def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty(z.shape, dtype=np.float64)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out""",
        "a loop with math.exp, floats for numbers": """import math

def sigmoid(z):
    def one(v):
        v = float(v)
        if v >= 0:
            return 1.0 / (1.0 + math.exp(-v))
        e = math.exp(v)
        return e / (1.0 + e)

    if np.ndim(z) == 0:
        return one(z)
    z = np.asarray(z)
    return np.array([one(v) for v in z.ravel()], dtype=np.float64).reshape(z.shape)""",
        "scipy's expit": """from scipy.special import expit

def sigmoid(z):
    return expit(np.asarray(z, dtype=np.float64))""",
        "exponent clipped to ≤ 0 in both branches": """def sigmoid(z):
    z = np.array(z, dtype=np.float64)
    negative_part = np.minimum(z, 0.0)
    positive_part = np.maximum(z, 0.0)
    return np.exp(negative_part) / (np.exp(negative_part) + np.exp(-positive_part))""",
        "the tanh identity σ(z) = (1 + tanh(z/2)) / 2": """def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=np.float64) / 2.0))""",
        "1 − σ(−z) for negative z": """def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    safe = 1.0 / (1.0 + np.exp(-np.abs(z)))  # σ(|z|): the exponent is never positive
    return np.where(z >= 0, safe, 1.0 - safe)""",
    },
    "binary_cross_entropy": {
        "a loop with math.log, checks first": """import math

def binary_cross_entropy(y_true, p, eps=1e-7):
    if np.shape(y_true) != np.shape(p):
        raise ValueError("y_true and p must have the same shape")
    labels = np.ravel(y_true).tolist()
    probs = np.ravel(p).tolist()
    if not labels:
        raise ValueError("no examples")
    total = 0.0
    for t, q in zip(labels, probs):
        q = min(max(float(q), eps), 1.0 - eps)
        total += t * math.log(q) + (1 - t) * math.log(1 - q)
    return -total / len(labels)""",
        "np.where on labels, empty first": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y = np.asarray(y_true).astype(np.float64)
    q = np.asarray(p).astype(np.float64)
    if len(q.ravel()) == 0:
        raise ValueError("empty input")
    if y.shape != q.shape:
        raise ValueError(f"shape mismatch {y.shape} vs {q.shape}")
    q = np.clip(q, eps, 1 - eps)
    return float(np.mean(-np.where(y == 1, np.log(q), np.log(1 - q))))""",
        "sum over size, np.float64 back": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true, p = np.array(y_true, dtype=np.float64), np.array(p, dtype=np.float64)
    if y_true.shape != p.shape or y_true.size == 0:
        raise ValueError("need two non-empty arrays of one shape")
    p = np.minimum(np.maximum(p, eps), 1 - eps)
    return -np.sum(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)) / y_true.size""",
    },
    "gradient_descent_step": {
        "loops over examples and features": """def gradient_descent_step(w, b, x, y, lr):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    n, d = x.shape
    grad_w = np.zeros(d)
    grad_b = 0.0
    for i in range(n):
        err = float(np.dot(x[i], w)) + b - y[i]
        for j in range(d):
            grad_w[j] += 2 * err * x[i, j] / n
        grad_b += 2 * err / n
    return w - lr * grad_w, b - lr * grad_b""",
        "per-example mean, in place on a copy": """def gradient_descent_step(w, b, x, y, lr):
    x = np.array(x, dtype=np.float64)
    new_w = np.array(w, dtype=np.float64)  # a copy: safe to update in place
    e = x @ new_w + b - np.asarray(y, dtype=np.float64)
    new_w -= lr * 2 * np.mean(e[:, None] * x, axis=0)
    new_b = b - lr * 2 * np.mean(e)
    return new_w, float(new_b)""",
    },
    "mlp_gradients": {
        "a loop over examples, accumulating": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    W1, b1 = np.asarray(W1, dtype=float), np.asarray(b1, dtype=float)
    W2, b2 = np.asarray(W2, dtype=float), np.asarray(b2, dtype=float)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError("y must have shape (n,)")
    n = len(x)
    dW1, db1 = np.zeros_like(W1), np.zeros_like(b1)
    dW2, db2 = np.zeros_like(W2), np.zeros_like(b2)
    for i in range(n):
        h = np.tanh(x[i] @ W1 + b1)  # (m,)
        z = h @ W2[:, 0] + b2[0]
        p = 1 / (1 + np.exp(-z))
        g = (p - y[i]) / n
        dW2[:, 0] += g * h
        db2[0] += g
        ga = g * W2[:, 0] * (1 - h**2)
        dW1 += np.outer(x[i], ga)
        db1 += ga
    return dW1, db1, dW2, db2""",
        "column layout: examples as columns": """def mlp_gradients(x, y, W1, b1, W2, b2):
    X = np.asarray(x, dtype=np.float64).T  # (d, n)
    Y = np.asarray(y, dtype=np.float64)
    if Y.shape != (X.shape[1],):
        raise ValueError(f"expected labels of shape ({X.shape[1]},), got {Y.shape}")
    W1, W2 = np.asarray(W1, dtype=np.float64), np.asarray(W2, dtype=np.float64)
    b1, b2 = np.asarray(b1, dtype=np.float64), np.asarray(b2, dtype=np.float64)
    n = X.shape[1]
    A1 = W1.T @ X + b1[:, None]  # (m, n)
    H = np.tanh(A1)
    Z = W2.T @ H + b2[:, None]  # (1, n)
    P = 1 / (1 + np.exp(-Z))
    dZ = (P - Y[None, :]) / n
    dW2 = (dZ @ H.T).T
    db2 = dZ.sum(axis=1)
    dA1 = (W2 @ dZ) * (1 - H**2)
    dW1 = (dA1 @ X.T).T
    db1 = dA1.sum(axis=1)
    return dW1, db1, dW2, db2""",
        "einsum, Exercise 1's sigmoid": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = [np.asarray(a, dtype=np.float64) for a in (x, y, W1, b1, W2, b2)]
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError("labels must be a vector with one entry per row of x")
    h = np.tanh(np.einsum("nd,dm->nm", x, W1) + b1)
    p = sigmoid(np.einsum("nm,mk->nk", h, W2) + b2)
    dz = (p[:, 0] - y) / len(y)
    dh = np.einsum("n,m->nm", dz, W2[:, 0])
    da = dh * (1 - h * h)
    return tuple([np.einsum("nd,nm->dm", x, da), da.sum(axis=0),
                  np.einsum("nm,n->m", h, dz)[:, None], np.array([dz.sum()])])""",
    },
}

WRONG = {
    "sigmoid": {
        "the naive formula: overflows": """def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))""",
        "np.empty_like keeps an int dtype": """def sigmoid(z):
    z = np.asarray(z)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out""",
        "np.where over the two naive forms: overflows in the discarded branch": """def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))""",
        "tanh identity without the halving": """def sigmoid(z):
    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=np.float64)))""",
        "float32 input passed through as float32": """def sigmoid(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))""",
    },
    "binary_cross_entropy": {
        "no clipping: log(0)": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true, p = np.asarray(y_true, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y_true.shape != p.shape or p.size == 0:
        raise ValueError("bad shapes")
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))""",
        "no shape check: broadcasts": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    if p.size == 0:
        raise ValueError("no examples")
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))""",
        "a sum instead of the mean": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true, p = np.asarray(y_true, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y_true.shape != p.shape or p.size == 0:
        raise ValueError("bad shapes")
    p = np.clip(p, eps, 1 - eps)
    return float(-np.sum(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))""",
        "a mean per column for a 2-D batch": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true, p = np.asarray(y_true, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y_true.shape != p.shape or p.size == 0:
        raise ValueError("y_true and p must have one shape and at least one example")
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=0)""",
        "no check for empty input (NaN)": """def binary_cross_entropy(y_true, p, eps=1e-7):
    y_true, p = np.asarray(y_true, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y_true.shape != p.shape:
        raise ValueError("shapes differ")
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))""",
    },
    "gradient_descent_step": {
        "in-place update changes the caller's w": """def gradient_descent_step(w, b, x, y, lr):
    x = np.asarray(x, dtype=np.float64)
    error = x @ w + b - np.asarray(y, dtype=np.float64)
    w -= lr * 2.0 / len(x) * (x.T @ error)
    return w, float(b - lr * 2.0 / len(x) * error.sum())""",
        "new_b as a (1,) array": """def gradient_descent_step(w, b, x, y, lr):
    w, x, y = (np.asarray(a, dtype=np.float64) for a in (w, x, y))
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    error = x @ w + b - y
    new_b = b - lr * 2.0 / len(x) * error.sum(keepdims=True)
    return w - lr * 2.0 / len(x) * (x.T @ error), new_b""",
        "forgets the factor 2 of the square": """def gradient_descent_step(w, b, x, y, lr):
    w, x, y = (np.asarray(a, dtype=np.float64) for a in (w, x, y))
    error = x @ w + b - y
    return w - lr * (x.T @ error) / len(x), float(b - lr * error.mean())""",
        "error with the wrong sign (steps uphill)": """def gradient_descent_step(w, b, x, y, lr):
    w, x, y = (np.asarray(a, dtype=np.float64) for a in (w, x, y))
    error = y - (x @ w + b)
    return w - lr * 2 / len(x) * (x.T @ error), float(b - lr * 2 / len(x) * error.sum())""",
    },
    "mlp_gradients": {
        "forgets tanh's derivative": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (x, y, W1, b1, W2, b2))
    if y.shape != (x.shape[0],):
        raise ValueError("y must have shape (n,)")
    h = np.tanh(x @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    dz = (p - y[:, None]) / len(x)
    da = dz @ W2.T
    return x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)""",
        "no 1/n: the gradient of the summed loss": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (x, y, W1, b1, W2, b2))
    if y.shape != (x.shape[0],):
        raise ValueError("y must have shape (n,)")
    h = np.tanh(x @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    dz = p - y[:, None]
    da = (dz @ W2.T) * (1 - h**2)
    return x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)""",
        "transposed weight gradient dW1 (m, d)": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (x, y, W1, b1, W2, b2))
    if y.shape != (x.shape[0],):
        raise ValueError("y must have shape (n,)")
    h = np.tanh(x @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    dz = (p - y[:, None]) / len(x)
    da = (dz @ W2.T) * (1 - h**2)
    return da.T @ x, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)""",
        "the sigmoid's slope multiplied in again": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, y, W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (x, y, W1, b1, W2, b2))
    if y.shape != (x.shape[0],):
        raise ValueError("y must have shape (n,)")
    h = np.tanh(x @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    dz = (p - y[:, None]) * p * (1 - p) / len(x)
    da = (dz @ W2.T) * (1 - h**2)
    return x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)""",
        "(n, 1) labels reshaped, not rejected": """def mlp_gradients(x, y, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (x, W1, b1, W2, b2))
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    h = np.tanh(x @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    dz = (p - y) / len(x)
    da = (dz @ W2.T) * (1 - h**2)
    return x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0)""",
    },
}
