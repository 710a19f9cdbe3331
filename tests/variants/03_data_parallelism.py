"""Other answers to 03_data_parallelism's exercises, written as students plausibly would: each
right one must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "reduce_then_broadcast": {
        "gather into a list, np.sum, then broadcast": """
def reduce_then_broadcast(arrays, network):
    n = len(arrays)
    gathered = [arrays[0]]
    for worker in range(1, n):
        gathered.append(network.send(worker, 0, arrays[worker]))
    total = np.sum(np.stack(gathered), axis=0)
    result = [total]
    for worker in range(1, n):
        result.append(network.send(0, worker, total))
    return result""",
        "copy first, add in place into the copy": """
def reduce_then_broadcast(arrays, network):
    total = arrays[0].copy()
    for i, a in enumerate(arrays):
        if i == 0:
            continue
        total += network.send(i, 0, a)
    out = [None] * len(arrays)
    out[0] = total
    for i in range(1, len(arrays)):
        out[i] = network.send(0, i, total)
    return out""",
    },
    "ring_allreduce": {
        "each worker starts on the chunk after its own": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    chunks = [[c.copy() for c in np.array_split(a, n)] for a in arrays]
    for step in range(n - 1):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i + 1 - step) % n]) for i in range(n)]
        for i in range(n):
            mine = chunks[(i + 1) % n]
            mine[(i + 1 - step) % n] = mine[(i + 1 - step) % n] + sent[i]
    for step in range(n - 1):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i + 2 - step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i + 2 - step) % n] = sent[i]
    return [np.concatenate(c) for c in chunks]""",
        "messages collected per step in a dict, chunks counted backwards": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    if n == 1:
        return [np.array(arrays[0], copy=True)]
    held = [list(np.array_split(np.array(a, copy=True), n)) for a in arrays]
    for step in range(n - 1):
        inbox = {}
        for w in range(n):
            c = (w - 1 - step) % n
            inbox[(w + 1) % n] = (c, network.send(w, (w + 1) % n, held[w][c]))
        for w, (c, data) in inbox.items():
            held[w][c] = held[w][c] + data
    for step in range(n - 1):
        inbox = {}
        for w in range(n):
            c = (w - step) % n
            inbox[(w + 1) % n] = (c, network.send(w, (w + 1) % n, held[w][c]))
        for w, (c, data) in inbox.items():
            held[w][c] = data
    return [np.concatenate(h) for h in held]""",
        "the course's schedule, written with explicit slice bounds": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    length = len(arrays[0])
    bounds = [0]
    for c in range(n):
        bounds.append(bounds[-1] + length // n + (1 if c < length % n else 0))
    data = [np.array(a, dtype=float) for a in arrays]
    def piece(w, c):
        return data[w][bounds[c]:bounds[c + 1]]
    for s in range(n - 1):
        msgs = [network.send(i, (i + 1) % n, piece(i, (i - s) % n)) for i in range(n)]
        for i in range(n):
            piece((i + 1) % n, (i - s) % n)[:] += msgs[i]
    for s in range(n - 1):
        msgs = [network.send(i, (i + 1) % n, piece(i, (i + 1 - s) % n)) for i in range(n)]
        for i in range(n):
            piece((i + 1) % n, (i + 1 - s) % n)[:] = msgs[i]
    return data""",
    },
    "allreduce_time": {
        "math.ceil(math.log2(N)), validation first": """
import math


def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if algorithm not in ["ring", "tree"]:
        raise ValueError("unknown algorithm")
    if num_workers < 1:
        raise ValueError("need at least one worker")
    if nbytes < 0 or latency < 0:
        raise ValueError("nbytes and latency must not be negative")
    if bandwidth <= 0:
        raise ValueError("bandwidth must be positive")
    if num_workers == 1:
        return 0.0
    if algorithm == "ring":
        steps = 2 * (num_workers - 1)
        return steps * (latency + nbytes / num_workers / bandwidth)
    levels = math.ceil(math.log2(num_workers))
    return 2.0 * levels * (latency + nbytes / bandwidth)""",
        "levels counted by doubling, message time first": """
def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if not (num_workers >= 1 and nbytes >= 0 and latency >= 0 and bandwidth > 0):
        raise ValueError(f"bad arguments {num_workers}, {nbytes}, {latency}, {bandwidth}")
    if algorithm == "ring":
        message = latency + (nbytes / num_workers) / bandwidth
        return float(2 * (num_workers - 1) * message)
    elif algorithm == "tree":
        levels, reach = 0, 1
        while reach < num_workers:
            reach *= 2
            levels += 1
        return float(2 * levels * (latency + nbytes / bandwidth))
    else:
        raise ValueError("algorithm must be 'ring' or 'tree'")""",
    },
    "replica_loss": {
        "reduce_mean times the shard's share": """
def replica_loss(per_example_losses, global_batch_size):
    if global_batch_size < 1:
        raise ValueError("global_batch_size must be >= 1")
    losses = tf.convert_to_tensor(per_example_losses, dtype=tf.float32)
    return tf.reduce_sum(losses) * (1.0 / global_batch_size)""",
        "validation after the cast, divide with tf.math.divide": """
def replica_loss(per_example_losses, global_batch_size):
    x = tf.cast(tf.convert_to_tensor(per_example_losses), tf.float32)
    if not global_batch_size >= 1:
        raise ValueError(f"bad global batch size {global_batch_size}")
    b = tf.constant(float(global_batch_size), tf.float32)
    return tf.math.divide(tf.math.reduce_sum(x), b)""",
    },
    "replica_step": {
        "loss divided by hand, optimizer.apply": """
def replica_step(model, optimizer, loss_fn, x, y, global_batch_size):
    with tf.GradientTape() as tape:
        per_example = loss_fn(y, model(x, training=True))
        loss = tf.reduce_sum(per_example) / global_batch_size
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(grads, model.trainable_variables)
    return loss""",
        "compute_average_loss, gradients listed first": """
def replica_step(model, optimizer, loss_fn, x, y, global_batch_size):
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        per_example = loss_fn(y, logits)
        scaled = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
    gradients = tape.gradient(scaled, variables)
    optimizer.apply_gradients(list(zip(gradients, variables)))
    return scaled""",
    },
}

WRONG = {
    "reduce_then_broadcast": {
        "forgets to send the sum back to the last worker": """
def reduce_then_broadcast(arrays, network):
    total = np.array(arrays[0], copy=True)
    for worker in range(1, len(arrays)):
        total = total + network.send(worker, 0, arrays[worker])
    out = [total] + [network.send(0, w, total) for w in range(1, len(arrays) - 1)]
    return out + [total] if len(arrays) > 1 else out""",
        "adds into worker 0's input": """
def reduce_then_broadcast(arrays, network):
    total = arrays[0]
    for worker in range(1, len(arrays)):
        total += network.send(worker, 0, arrays[worker])
    return [total] + [network.send(0, w, total) for w in range(1, len(arrays))]""",
    },
    "ring_allreduce": {
        "adds into np.array_split's views, modifying the inputs": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    chunks = [np.array_split(a, n) for a in arrays]
    for step in range(n - 1):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i - step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i - step) % n] += sent[i]
    for step in range(n - 1):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i + 1 - step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i + 1 - step) % n] = sent[i]
    return [np.concatenate(c) for c in chunks]""",
        "passes whole arrays round the ring (right sum, N−1 full-size sends)": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    totals = [np.array(a, copy=True) for a in arrays]
    moving = [np.array(a, copy=True) for a in arrays]
    for step in range(n - 1):
        moving = [network.send((i - 1) % n, i, moving[(i - 1) % n]) for i in range(n)]
        for i in range(n):
            totals[i] = totals[i] + moving[i]
    return totals""",
        "all-gather one step short": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    chunks = [[c.copy() for c in np.array_split(a, n)] for a in arrays]
    for step in range(n - 1):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i - step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i - step) % n] += sent[i]
    for step in range(n - 2):
        sent = [network.send(i, (i + 1) % n, chunks[i][(i + 1 - step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i + 1 - step) % n] = sent[i]
    return [np.concatenate(c) for c in chunks]""",
        "a ring the other way round (sends to the left neighbour)": """
def ring_allreduce(arrays, network):
    n = len(arrays)
    chunks = [[c.copy() for c in np.array_split(a, n)] for a in arrays]
    for step in range(n - 1):
        sent = [network.send(i, (i - 1) % n, chunks[i][(i + step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i - 1) % n][(i + step) % n] += sent[i]
    for step in range(n - 1):
        sent = [network.send(i, (i - 1) % n, chunks[i][(i - 1 + step) % n]) for i in range(n)]
        for i in range(n):
            chunks[(i - 1) % n][(i - 1 + step) % n] = sent[i]
    return [np.concatenate(c) for c in chunks]""",
    },
    "allreduce_time": {
        "tree without rounding log2 up": """
import math


def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if algorithm not in ("ring", "tree"):
        raise ValueError("unknown algorithm")
    if num_workers < 1 or nbytes < 0 or latency < 0 or bandwidth <= 0:
        raise ValueError("bad arguments")
    if algorithm == "ring":
        return float(2 * (num_workers - 1) * (latency + nbytes / (num_workers * bandwidth)))
    return float(2 * math.log2(num_workers) * (latency + nbytes / bandwidth))""",
        "ring's bandwidth term without dividing by N": """
def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if algorithm not in ("ring", "tree"):
        raise ValueError("unknown algorithm")
    if num_workers < 1 or nbytes < 0 or latency < 0 or bandwidth <= 0:
        raise ValueError("bad arguments")
    if algorithm == "ring":
        return float(2 * (num_workers - 1) * (latency + nbytes / bandwidth))
    levels = (num_workers - 1).bit_length()
    return float(2 * levels * (latency + nbytes / bandwidth))""",
        "tree counted one way only (reduce, no broadcast)": """
def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if algorithm not in ("ring", "tree"):
        raise ValueError("unknown algorithm")
    if num_workers < 1 or nbytes < 0 or latency < 0 or bandwidth <= 0:
        raise ValueError("bad arguments")
    if algorithm == "ring":
        return float(2 * (num_workers - 1) * (latency + nbytes / (num_workers * bandwidth)))
    levels = (num_workers - 1).bit_length()
    return float(levels * (latency + nbytes / bandwidth))""",
        "no check of the bandwidth (ZeroDivisionError at 0)": """
def allreduce_time(algorithm, num_workers, nbytes, latency, bandwidth):
    if algorithm not in ("ring", "tree"):
        raise ValueError("unknown algorithm")
    if num_workers < 1 or nbytes < 0 or latency < 0:
        raise ValueError("bad arguments")
    if algorithm == "ring":
        return float(2 * (num_workers - 1) * (latency + nbytes / (num_workers * bandwidth)))
    levels = (num_workers - 1).bit_length()
    return float(2 * levels * (latency + nbytes / bandwidth))""",
    },
    "replica_loss": {
        "the local mean (divides by the replica's own batch)": """
def replica_loss(per_example_losses, global_batch_size):
    if global_batch_size < 1:
        raise ValueError("global_batch_size must be >= 1")
    return tf.reduce_mean(tf.cast(per_example_losses, tf.float32))""",
        "no validation of the batch size": """
def replica_loss(per_example_losses, global_batch_size):
    total = tf.reduce_sum(tf.cast(per_example_losses, tf.float32))
    return total / tf.cast(global_batch_size, tf.float32)""",
    },
    "replica_step": {
        "averages over the replica's own shard": """
def replica_step(model, optimizer, loss_fn, x, y, global_batch_size):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss""",
        "divides by the global batch twice": """
def replica_step(model, optimizer, loss_fn, x, y, global_batch_size):
    with tf.GradientTape() as tape:
        per_example = loss_fn(y, model(x, training=True))
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        loss = loss / global_batch_size
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss""",
    },
}
