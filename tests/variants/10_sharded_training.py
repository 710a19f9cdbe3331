"""Other answers to 10_sharded_training's exercises, written as students plausibly would: each
right one must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "zero1_step": {
        "shard bounds by hand, a loop for the update": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    reduced = reduce_scatter(grads, network)
    sizes = [len(c) for c in np.array_split(params[0], n)]
    grad_shards, new_shards = [], []
    start = 0
    for i in range(n):
        stop = start + sizes[i]
        mean = reduced[i] / n
        grad_shards.append(mean)
        new_shards.append(adam_update(params[i][start:stop], mean, adam_m[i], adam_v[i], step))
        start = stop
    new_params = all_gather(new_shards, network)
    return new_params, grad_shards"""
        ),
        "the mean taken before the reduce-scatter": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(grads)
    scaled = [g / np.float32(n) for g in grads]
    grad_shards = reduce_scatter(scaled, network)
    updated = []
    for worker, shard in enumerate(grad_shards):
        own = np.array_split(params[worker], n)[worker]
        updated.append(adam_update(own, shard, adam_m[worker], adam_v[worker], step))
    return tuple([all_gather(updated, network), grad_shards])"""
        ),
        "enumerate and zip, a list comprehension": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    workers = len(params)
    means = [s / workers for s in reduce_scatter(grads, network)]
    shards = [
        adam_update(np.array_split(p, workers)[w], g, m, v, step)
        for w, (p, g, m, v) in enumerate(zip(params, means, adam_m, adam_v))
    ]
    return all_gather(shards, network), means"""
        ),
    },
    "plan_training": {
        "gigabytes throughout, the formula inline": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if type(num_devices) is not int or num_devices < 1:
        raise ValueError("num_devices must be a positive int")
    if num_params <= 0 or device_memory_gb <= 0 or activation_gb < 0:
        raise ValueError("bad argument")
    m = 1
    while m <= num_devices:
        if num_devices % m == 0:
            d = num_devices // m
            psi = num_params / m / 1e9
            for recompute in [False, True]:
                for k in [1, 2, 4, 8, 16]:
                    act = activation_gb / m / k
                    if recompute:
                        act = act / 8
                    states = [16 * psi, 4 * psi + 12 * psi / d,
                              2 * psi + 14 * psi / d, 16 * psi / d]
                    for stage, state in enumerate(states):
                        if state + act <= device_memory_gb:
                            return (m, stage, recompute, k)
        m *= 2
    raise ValueError("nothing fits")"""
        ),
        "every candidate, then the minimum by cost": (
            """import itertools


def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("num_params and device_memory_gb must be positive, activation_gb >= 0")
    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices <= 0:
        raise ValueError("num_devices must be an int >= 1")
    splits = [2**e for e in range(num_devices.bit_length()) if num_devices % 2**e == 0]
    fitting = []
    for m, r, k, z in itertools.product(splits, (False, True), (1, 2, 4, 8, 16), range(4)):
        state = state_bytes(num_params / m, z, num_devices // m)
        act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
        if state + act <= device_memory_gb * 1e9:
            fitting.append((m, int(r), k, z))
    if not fitting:
        raise ValueError("no plan fits: more devices or more memory needed")
    m, r, k, z = min(fitting)
    return m, z, bool(r), k"""
        ),
        "helper functions for state and activations": (
            """def _state_gb(psi, stage, d):
    p, g, o = 2 * psi, 2 * psi, 12 * psi
    if stage == 0:
        total = p + g + o
    elif stage == 1:
        total = p + g + o / d
    elif stage == 2:
        total = p + (g + o) / d
    else:
        total = (p + g + o) / d
    return total / 1e9


def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if isinstance(num_devices, bool) or not isinstance(num_devices, int):
        raise ValueError("num_devices must be an int")
    if num_devices < 1 or num_params <= 0:
        raise ValueError("need at least one device and one parameter")
    if device_memory_gb <= 0 or activation_gb < 0:
        raise ValueError("memory must be positive and activations non-negative")
    m = 1
    while num_devices % m == 0 and m <= num_devices:
        for recompute in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb / (m * k) / (8 if recompute else 1)
                for stage in (0, 1, 2, 3):
                    if _state_gb(num_params / m, stage, num_devices // m) + act <= device_memory_gb:
                        return m, stage, recompute, k
        m = m * 2
    raise ValueError("no plan fits")"""
        ),
    },
}

WRONG = {
    "zero1_step": {
        "the summed gradient, not the mean": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    grad_shards = reduce_scatter(grads, network)
    new_shards = [
        adam_update(np.array_split(params[i], n)[i], grad_shards[i], adam_m[i], adam_v[i], step)
        for i in range(n)
    ]
    return all_gather(new_shards, network), grad_shards"""
        ),
        "a full all-reduce of the gradients first (one all-gather too many)": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    summed = all_gather(reduce_scatter(grads, network), network)
    grad_shards = [np.array_split(summed[i], n)[i] / n for i in range(n)]
    new_shards = [
        adam_update(np.array_split(params[i], n)[i], grad_shards[i], adam_m[i], adam_v[i], step)
        for i in range(n)
    ]
    return all_gather(new_shards, network), grad_shards"""
        ),
        "the neighbour's chunk (off by one)": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    grad_shards = [s / n for s in reduce_scatter(grads, network)]
    new_shards = [
        adam_update(np.array_split(params[i], n)[(i + 1) % n], grad_shards[i],
                    adam_m[i], adam_v[i], step)
        for i in range(n)
    ]
    return all_gather(new_shards, network), grad_shards"""
        ),
        "copies of the moments, so they are never updated": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    grad_shards = [s / n for s in reduce_scatter(grads, network)]
    new_shards = [
        adam_update(np.array_split(params[i], n)[i], grad_shards[i],
                    adam_m[i].copy(), adam_v[i].copy(), step)
        for i in range(n)
    ]
    return all_gather(new_shards, network), grad_shards"""
        ),
        "float64 on the wire (twice the bytes)": (
            """def zero1_step(params, grads, adam_m, adam_v, step, network):
    n = len(params)
    wide = [g.astype(np.float64) for g in grads]
    grad_shards = [(s / n).astype(np.float32) for s in reduce_scatter(wide, network)]
    new_shards = [
        adam_update(np.array_split(params[i], n)[i], grad_shards[i], adam_m[i], adam_v[i], step)
        for i in range(n)
    ]
    return all_gather(new_shards, network), grad_shards"""
        ),
    },
    "plan_training": {
        "strictly less than the memory": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices < 1:
        raise ValueError("num_devices")
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("arguments")
    m = 1
    while m <= num_devices and num_devices % m == 0:
        for r in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
                for z in range(4):
                    state = state_bytes(num_params / m, z, num_devices // m)
                    if state + act < device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    raise ValueError("no plan fits")"""
        ),
        "model parallel degrees that do not divide the devices": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices < 1:
        raise ValueError("num_devices")
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("arguments")
    m = 1
    while m <= num_devices:
        for r in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
                for z in range(4):
                    state = state_bytes(num_params / m, z, num_devices // m)
                    if state + act <= device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    raise ValueError("no plan fits")"""
        ),
        "the ZeRO stage tried before accumulation": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices < 1:
        raise ValueError("num_devices")
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("arguments")
    m = 1
    while m <= num_devices and num_devices % m == 0:
        for z in range(4):
            for r in (False, True):
                for k in (1, 2, 4, 8, 16):
                    act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
                    state = state_bytes(num_params / m, z, num_devices // m)
                    if state + act <= device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    raise ValueError("no plan fits")"""
        ),
        "returns None when nothing fits, no input checks": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    m = 1
    while m <= num_devices and num_devices % m == 0:
        for r in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
                for z in range(4):
                    state = state_bytes(num_params / m, z, num_devices // m)
                    if state + act <= device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    return None"""
        ),
        "a float device count accepted (8.0 plans like 8)": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if num_devices < 1 or num_devices != int(num_devices):
        raise ValueError("num_devices must be a whole number >= 1")
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("arguments")
    n = int(num_devices)
    m = 1
    while m <= n and n % m == 0:
        for r in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb * 1e9 / (m * k) / (8 if r else 1)
                for z in range(4):
                    if state_bytes(num_params / m, z, n // m) + act <= device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    raise ValueError("no plan fits")"""
        ),
        "recomputation keeps a quarter of the activations": (
            """def plan_training(num_params, num_devices, device_memory_gb, activation_gb):
    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices < 1:
        raise ValueError("num_devices")
    if not (num_params > 0 and device_memory_gb > 0 and activation_gb >= 0):
        raise ValueError("arguments")
    m = 1
    while m <= num_devices and num_devices % m == 0:
        for r in (False, True):
            for k in (1, 2, 4, 8, 16):
                act = activation_gb * 1e9 / (m * k) / (4 if r else 1)
                for z in range(4):
                    state = state_bytes(num_params / m, z, num_devices // m)
                    if state + act <= device_memory_gb * 1e9:
                        return m, z, r, k
        m *= 2
    raise ValueError("no plan fits")"""
        ),
    },
}
