"""Other answers to 04_multi_worker's exercises, written as students plausibly would: each right
one must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "make_tf_config": {
        "a loop, validation after building the cluster": """\
def make_tf_config(hosts, task_type, task_index, port=2222):
    cluster = {}
    for job in hosts:
        cluster[job] = [host + ":" + str(port) for host in hosts[job]]
    if task_type not in cluster or task_index < 0 or task_index >= len(cluster[task_type]):
        raise ValueError("unknown task")
    return {"cluster": cluster, "task": {"type": task_type, "index": task_index}}""",
        "a lookup that catches the errors": """\
def make_tf_config(hosts, task_type, task_index, port=2222):
    try:
        if task_index < 0:
            raise IndexError
        hosts[task_type][task_index]
    except (KeyError, IndexError):
        raise ValueError(f"{task_type}:{task_index} is not in the cluster")
    return {
        "cluster": {job: ["%s:%d" % (h, port) for h in names] for job, names in hosts.items()},
        "task": {"type": task_type, "index": task_index},
    }""",
    },
    "shard_dataset": {
        "batch first, then every N-th small batch": """\
def shard_dataset(context, features, labels, global_batch):
    per_replica = context.get_per_replica_batch_size(global_batch)
    ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(per_replica)
    return ds.shard(context.num_input_pipelines, context.input_pipeline_id)""",
        "NumPy slicing every N-th example": """\
def shard_dataset(context, features, labels, global_batch):
    n = context.num_replicas_in_sync
    if global_batch % n != 0:
        raise ValueError("global batch must be divisible by the number of replicas")
    i = context.input_pipeline_id
    mine = (features[i::context.num_input_pipelines], labels[i::context.num_input_pipelines])
    return tf.data.Dataset.from_tensor_slices(mine).batch(global_batch // n)""",
        "filter on an enumerate index": """\
def shard_dataset(context, features, labels, global_batch):
    import tensorflow as tf

    b = context.get_per_replica_batch_size(global_batch)
    n, i = context.num_input_pipelines, context.input_pipeline_id
    ds = tf.data.Dataset.from_tensor_slices((features, labels)).enumerate()
    ds = ds.filter(lambda k, example: k % n == i).map(lambda k, example: example)
    return ds.batch(b)""",
    },
    "warmup_learning_rate": {
        "a fraction of the warm-up done": """\
def warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps):
    for name, value, low in [("step", step, 0), ("warmup_steps", warmup_steps, 0),
                             ("base_batch", base_batch, 1), ("global_batch", global_batch, 1)]:
        if value < low:
            raise ValueError(f"{name} must be at least {low}")
    if not base_lr > 0:
        raise ValueError("base_lr must be positive")
    peak = base_lr * global_batch / base_batch
    if warmup_steps == 0:
        return float(peak)
    done = min(step / warmup_steps, 1.0)
    return float(base_lr + done * (peak - base_lr))""",
        "k times the base rate, interpolated": """\
def warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps):
    if step < 0 or warmup_steps < 0 or base_lr <= 0 or base_batch <= 0 or global_batch <= 0:
        raise ValueError("invalid argument")
    k = global_batch / base_batch
    if step >= warmup_steps:
        return base_lr * k
    return base_lr * (1 + (k - 1) * step / warmup_steps)""",
    },
    "train_resumable": {
        "checkpoint.save and no scratch folder for other workers": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    if every < 1:
        raise ValueError("every must be >= 1")
    if total_steps < 0:
        raise ValueError("total_steps must be >= 0")
    path = tf.train.latest_checkpoint(directory)
    if path is not None:
        state.restore(path)
    trained = 0
    while int(state.step.numpy()) < total_steps:
        i = int(state.step.numpy())
        step_fn(i)
        state.step.assign_add(1)
        trained += 1
        done = int(state.step.numpy())
        if is_chief and (done % every == 0 or done == total_steps):
            state.save(os.path.join(directory, "ckpt"))
    return trained""",
        "a manager per worker, scratch folders for the others": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    import shutil
    import tempfile

    if every <= 0 or total_steps < 0:
        raise ValueError("bad arguments")
    latest = tf.train.latest_checkpoint(directory)
    if latest:
        state.restore(latest)
    target = directory if is_chief else tempfile.mkdtemp(prefix="scratch-")
    manager = tf.train.CheckpointManager(state, target, max_to_keep=3)
    start = int(state.step.numpy())
    for i in range(start, total_steps):
        step_fn(i)
        state.step.assign(i + 1)
        if (i + 1) % every == 0 or i == total_steps - 1:
            manager.save()
    if not is_chief:
        shutil.rmtree(target)
    return total_steps - start if total_steps > start else 0""",
    },
    "checkpoint_interval": {
        "math.sqrt": """\
import math


def checkpoint_interval(checkpoint_seconds, mtbf_seconds):
    if checkpoint_seconds <= 0:
        raise ValueError("checkpoint_seconds must be positive")
    if mtbf_seconds <= 0:
        raise ValueError("mtbf_seconds must be positive")
    return math.sqrt(2 * checkpoint_seconds * mtbf_seconds)""",
        "NumPy, cast back": """\
def checkpoint_interval(checkpoint_seconds, mtbf_seconds):
    if min(checkpoint_seconds, mtbf_seconds) <= 0:
        raise ValueError("both times must be > 0")
    return float(np.sqrt(2.0 * checkpoint_seconds * mtbf_seconds))""",
    },
}

WRONG = {
    "make_tf_config": {
        "no check of the task": """\
def make_tf_config(hosts, task_type, task_index, port=2222):
    return {
        "cluster": {job: [f"{h}:{port}" for h in names] for job, names in hosts.items()},
        "task": {"type": task_type, "index": task_index},
    }""",
        "index checked with <=": """\
def make_tf_config(hosts, task_type, task_index, port=2222):
    if task_type not in hosts or not 0 <= task_index <= len(hosts[task_type]):
        raise ValueError("no such task")
    return {
        "cluster": {job: [f"{h}:{port}" for h in names] for job, names in hosts.items()},
        "task": {"type": task_type, "index": task_index},
    }""",
    },
    "shard_dataset": {
        "no shard: every worker reads everything": """\
def shard_dataset(context, features, labels, global_batch):
    per_replica = context.get_per_replica_batch_size(global_batch)
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(per_replica)""",
        "sharded, but batched by the global batch": """\
def shard_dataset(context, features, labels, global_batch):
    if global_batch % context.num_replicas_in_sync:
        raise ValueError("global batch must split evenly")
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    return ds.shard(context.num_input_pipelines, context.input_pipeline_id).batch(global_batch)""",
        "contiguous blocks of the data set": """\
def shard_dataset(context, features, labels, global_batch):
    b = context.get_per_replica_batch_size(global_batch)
    n, i = context.num_input_pipelines, context.input_pipeline_id
    size = len(features) // n
    part = slice(i * size, (i + 1) * size)
    return tf.data.Dataset.from_tensor_slices((features[part], labels[part])).batch(b)""",
        "no check that the batch splits": """\
def shard_dataset(context, features, labels, global_batch):
    b = global_batch // context.num_replicas_in_sync
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    return ds.shard(context.num_input_pipelines, context.input_pipeline_id).batch(b)""",
    },
    "warmup_learning_rate": {
        "warm-up from 0 instead of the base rate": """\
def warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps):
    if step < 0 or warmup_steps < 0 or base_lr <= 0 or base_batch < 1 or global_batch < 1:
        raise ValueError("invalid argument")
    target = base_lr * global_batch / base_batch
    if step < warmup_steps:
        return float(target * step / warmup_steps)
    return float(target)""",
        "no warm-up at all": """\
def warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps):
    if step < 0 or warmup_steps < 0 or base_lr <= 0 or base_batch < 1 or global_batch < 1:
        raise ValueError("invalid argument")
    return float(base_lr * global_batch / base_batch)""",
        "no check of base_lr": """\
def warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps):
    if step < 0 or warmup_steps < 0 or base_batch < 1 or global_batch < 1:
        raise ValueError("invalid argument")
    target = base_lr * global_batch / base_batch
    if step < warmup_steps:
        return float(base_lr + (target - base_lr) * step / warmup_steps)
    return float(target)""",
    },
    "train_resumable": {
        "restores, but starts again at step 0": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    if every < 1 or total_steps < 0:
        raise ValueError("bad arguments")
    latest = tf.train.latest_checkpoint(directory)
    if latest:
        state.restore(latest)
    manager = tf.train.CheckpointManager(state, directory, max_to_keep=2)
    for i in range(total_steps):
        step_fn(i)
        state.step.assign(i + 1)
        if is_chief and ((i + 1) % every == 0 or i + 1 == total_steps):
            manager.save()
    return total_steps""",
        "every worker saves into the chief's folder": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    if every < 1 or total_steps < 0:
        raise ValueError("bad arguments")
    latest = tf.train.latest_checkpoint(directory)
    if latest:
        state.restore(latest)
    manager = tf.train.CheckpointManager(state, directory, max_to_keep=2)
    first = int(state.step.numpy())
    for i in range(first, total_steps):
        step_fn(i)
        state.step.assign(i + 1)
        if (i + 1) % every == 0 or i + 1 == total_steps:
            manager.save()
    return total_steps - first""",
        "saves before the step, so a checkpoint is one step ahead": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    if every < 1 or total_steps < 0:
        raise ValueError("bad arguments")
    latest = tf.train.latest_checkpoint(directory)
    if latest:
        state.restore(latest)
    manager = tf.train.CheckpointManager(state, directory, max_to_keep=2)
    first = int(state.step.numpy())
    for i in range(first, total_steps):
        state.step.assign(i + 1)
        if is_chief and ((i + 1) % every == 0 or i + 1 == total_steps):
            manager.save()
        step_fn(i)
    return total_steps - first""",
        "no save after the last step": """\
def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
    if every < 1 or total_steps < 0:
        raise ValueError("bad arguments")
    latest = tf.train.latest_checkpoint(directory)
    if latest:
        state.restore(latest)
    manager = tf.train.CheckpointManager(state, directory, max_to_keep=2)
    first = int(state.step.numpy())
    for i in range(first, total_steps):
        step_fn(i)
        state.step.assign(i + 1)
        if is_chief and (i + 1) % every == 0:
            manager.save()
    return total_steps - first""",
    },
    "checkpoint_interval": {
        "forgot the factor 2": """\
def checkpoint_interval(checkpoint_seconds, mtbf_seconds):
    if checkpoint_seconds <= 0 or mtbf_seconds <= 0:
        raise ValueError("must be positive")
    return (checkpoint_seconds * mtbf_seconds) ** 0.5""",
        "no validation": """\
def checkpoint_interval(checkpoint_seconds, mtbf_seconds):
    return abs(2 * checkpoint_seconds * mtbf_seconds) ** 0.5""",
    },
}
