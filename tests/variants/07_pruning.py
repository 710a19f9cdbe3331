"""Other answers to 07_pruning's exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "magnitude_mask": {
        "argpartition on a flat copy": """def magnitude_mask(weights, sparsity):
    if sparsity < 0 or sparsity > 1:
        raise ValueError("sparsity must be in [0, 1]")
    weights = np.asarray(weights)
    k = int(round(sparsity * weights.size))
    mask = np.ones(weights.size, dtype="float32")
    if k > 0:
        mask[np.argpartition(np.abs(weights).flatten(), k - 1)[:k]] = 0
    return mask.reshape(weights.shape)""",
        "a Python loop over the sorted indices": """def magnitude_mask(weights, sparsity):
    if not (0 <= sparsity <= 1):
        raise ValueError(f"bad sparsity {sparsity}")
    flat = np.abs(np.array(weights)).reshape(-1)
    order = sorted(range(flat.size), key=lambda i: flat[i])
    mask = [1.0] * flat.size
    for i in order[: round(sparsity * flat.size)]:
        mask[i] = 0.0
    return np.array(mask, dtype=np.float32).reshape(np.shape(weights))""",
        "ranks with a double argsort, cast at the end": """def magnitude_mask(weights, sparsity):
    if sparsity < 0.0 or sparsity > 1.0:
        raise ValueError("sparsity outside [0, 1]")
    magnitudes = np.abs(weights)
    ranks = np.argsort(np.argsort(magnitudes, axis=None, kind="stable"), kind="stable")
    keep = ranks.reshape(magnitudes.shape) >= round(sparsity * magnitudes.size)
    return keep.astype(np.float32)""",
    },
    "polynomial_sparsity": {
        "clamped progress, no early returns": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if end_step <= begin_step:
        raise ValueError("end_step must be greater than begin_step")
    progress = (step - begin_step) / (end_step - begin_step)
    progress = min(1.0, max(0.0, progress))
    span = initial_sparsity - final_sparsity
    return float(final_sparsity + span * (1.0 - progress) ** power)""",
        "np.clip and the remaining fraction": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if not end_step > begin_step:
        raise ValueError(f"begin_step {begin_step} must be before end_step {end_step}")
    remaining = 1 - np.clip((step - begin_step) / (end_step - begin_step), 0, 1)
    return float(final_sparsity - (final_sparsity - initial_sparsity) * remaining**power)""",
    },
    "neuron_importance": {
        "L1 norm divided by the fan-in": """def neuron_importance(kernel):
    kernel = np.asarray(kernel, dtype=float)
    return np.linalg.norm(kernel, ord=1, axis=0) / kernel.shape[0]""",
        "a loop over the columns": """def neuron_importance(kernel):
    kernel = np.array(kernel)
    scores = []
    for j in range(kernel.shape[1]):
        scores.append(sum(abs(v) for v in kernel[:, j]) / kernel.shape[0])
    return np.array(scores)""",
    },
}

WRONG = {
    "magnitude_mask": {
        "returns NumPy's default float64": """def magnitude_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError("sparsity must be in [0, 1]")
    weights = np.asarray(weights)
    mask = np.ones(weights.size)
    mask[np.argsort(np.abs(weights).ravel())[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)""",
        "signed values instead of magnitudes": """def magnitude_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError("sparsity must be in [0, 1]")
    weights = np.asarray(weights)
    mask = np.ones(weights.size, dtype=np.float32)
    mask[np.argsort(weights.ravel())[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)""",
        "threshold at a quantile (ties and rounding differ)": """\
def magnitude_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError("sparsity must be in [0, 1]")
    magnitudes = np.abs(weights)
    return (magnitudes > np.quantile(magnitudes, sparsity)).astype(np.float32)""",
        "no validation of the sparsity": """def magnitude_mask(weights, sparsity):
    weights = np.asarray(weights)
    mask = np.ones(weights.size, dtype=np.float32)
    mask[np.argsort(np.abs(weights).ravel())[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)""",
        "int() truncates instead of rounding": """def magnitude_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError("sparsity must be in [0, 1]")
    weights = np.asarray(weights)
    mask = np.ones(weights.size, dtype=np.float32)
    mask[np.argsort(np.abs(weights).ravel())[: int(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)""",
    },
    "polynomial_sparsity": {
        "the ramp's progress cubed instead of what remains": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if end_step <= begin_step:
        raise ValueError("end_step must be greater than begin_step")
    if step <= begin_step:
        return float(initial_sparsity)
    if step >= end_step:
        return float(final_sparsity)
    progress = (step - begin_step) / (end_step - begin_step)
    return initial_sparsity + (final_sparsity - initial_sparsity) * progress**power""",
        "power ignored (always cubic)": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if end_step <= begin_step:
        raise ValueError("end_step must be greater than begin_step")
    progress = min(max((step - begin_step) / (end_step - begin_step), 0), 1)
    return final_sparsity + (initial_sparsity - final_sparsity) * (1 - progress) ** 3""",
        "accepts end_step == begin_step": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if end_step < begin_step:
        raise ValueError("end_step must not be before begin_step")
    if step <= begin_step:
        return float(initial_sparsity)
    if step >= end_step:
        return float(final_sparsity)
    progress = (step - begin_step) / (end_step - begin_step)
    return final_sparsity + (initial_sparsity - final_sparsity) * (1 - progress) ** power""",
        "no clamping after end_step": """\
def polynomial_sparsity(
    step, initial_sparsity, final_sparsity, begin_step, end_step, power=3
):
    if end_step <= begin_step:
        raise ValueError("end_step must be greater than begin_step")
    if step <= begin_step:
        return float(initial_sparsity)
    progress = (step - begin_step) / (end_step - begin_step)
    return final_sparsity + (initial_sparsity - final_sparsity) * (1 - progress) ** power""",
    },
    "neuron_importance": {
        "one score per input (rows) instead of per neuron": """def neuron_importance(kernel):
    return np.abs(np.asarray(kernel)).mean(axis=1)""",
        "signed mean: positive and negative weights cancel": """def neuron_importance(kernel):
    return np.abs(np.asarray(kernel).mean(axis=0))""",
        "L2 norm instead of the mean absolute value": """def neuron_importance(kernel):
    return np.sqrt((np.asarray(kernel) ** 2).mean(axis=0))""",
        "one score for the whole layer": """def neuron_importance(kernel):
    kernel = np.asarray(kernel)
    return np.full(kernel.shape[1], np.abs(kernel).mean())""",
    },
}
