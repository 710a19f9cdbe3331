"""A short synchronous multi-worker job built around your own functions: every worker runs it.

The notebook writes the answers of its exercises into a Python file and passes it with
`--answers`; this script imports from it whatever the job needs and uses TensorFlow's own
mechanism for the rest:

- `shard_dataset(context, features, labels, global_batch)`: each worker's input pipeline
  (without it, TensorFlow's automatic sharding of one dataset);
- `warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps)`: the learning
  rate of every step (without it, `--base-lr` throughout);
- `train_resumable(state, step_fn, total_steps, directory, every, is_chief)`: the loop that
  resumes from and saves checkpoints (without it, `--preemption` selects TensorFlow's
  `PreemptionCheckpointHandler`).

`--mode shards` only reads the data: each worker records the example ids of every step.
Faults on purpose: `--die-at S` (the chief SIGKILLs itself as step S starts), `--stop-at S`
(worker 1 SIGSTOPs itself as step S starts; `--timeout` bounds every collective).
"""

import argparse
import importlib.util
import json
import os
import signal
import time
from pathlib import Path

from hpclearn import data  # first: loads TensorFlow with its start-up log lines silenced

import keras
import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--answers", default=None, help="a .py file with the functions above")
parser.add_argument("--out", default="run")
parser.add_argument("--mode", choices=["train", "shards"], default="train")
parser.add_argument("--steps", type=int, default=32, help="steps of the whole job")
parser.add_argument("--examples", type=int, default=512)
parser.add_argument("--global-batch", type=int, default=64)
parser.add_argument("--base-lr", type=float, default=0.05)
parser.add_argument("--base-batch", type=int, default=32)
parser.add_argument("--warmup", type=int, default=8, help="warm-up steps")
parser.add_argument("--every", type=int, default=4, help="checkpoint every this many steps")
parser.add_argument("--die-at", type=int, default=-1)
parser.add_argument("--stop-at", type=int, default=-1)
parser.add_argument("--timeout", type=float, default=0, help="collective timeout, s (0: none)")
parser.add_argument("--preemption", action="store_true")
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

answers = None
if args.answers:
    spec = importlib.util.spec_from_file_location("answers", args.answers)
    answers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(answers)

options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=args.timeout or None)
strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
resolver = strategy.cluster_resolver
task_id = resolver.task_id or 0
is_chief = task_id == 0
num_workers = strategy.num_replicas_in_sync


def record(name, value):
    """Append one JSON line to this worker's record."""
    with open(out / f"{name}-worker-{task_id}.jsonl", "a") as f:
        f.write(json.dumps(value) + "\n")


split = data.digits()
x = split.x_train[: args.examples]
y = split.y_train[: args.examples]
ids = np.arange(len(x), dtype=np.int32)

if answers is not None and hasattr(answers, "shard_dataset"):

    def dataset_fn(context):
        # The labels carry the example ids in a shards job, so they can be traced.
        labels = ids if args.mode == "shards" else y
        return answers.shard_dataset(context, x, labels, args.global_batch).repeat()

    dataset = strategy.distribute_datasets_from_function(dataset_fn)
else:
    labels = ids if args.mode == "shards" else y
    whole = tf.data.Dataset.from_tensor_slices((x, labels)).batch(args.global_batch).repeat()
    dataset = strategy.experimental_distribute_dataset(whole)

if args.mode == "shards":
    iterator = iter(dataset)
    for step in range(args.steps):
        _, step_ids = next(iterator)
        local = [t.numpy().tolist() for t in strategy.experimental_local_results(step_ids)]
        record("shards", {"step": step, "ids": [i for part in local for i in part]})
    raise SystemExit(0)

with strategy.scope():
    keras.utils.set_random_seed(1)  # the chief's initial values are broadcast anyway
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)]
    )
    optimizer = keras.optimizers.SGD(args.base_lr)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
state = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_counter)


@tf.function
def train_step(iterator):
    def replica_fn(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=args.global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    loss = strategy.run(replica_fn, args=next(iterator))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)


iterator = None
next_step = None


def fingerprint():
    """The sum of every weight's magnitude: equal weights give equal fingerprints."""
    return float(sum(np.abs(w).sum(dtype=np.float64) for w in model.get_weights()))


def step_fn(step):
    """Train global step `step` (0-based); steps must come one after the other."""
    global iterator, next_step
    if iterator is None:  # position the data at `step`, where this run starts
        iterator, next_step = iter(dataset), 0
        for _ in range(step):
            next(iterator)
        next_step = step
        record("runs", {"first_step": step, "weights": fingerprint()})
    if step != next_step:
        raise ValueError(f"step_fn({step}) called, but the next step to train is {next_step}.")
    if step == args.die_at and is_chief:
        record("steps", {"step": step, "event": "die"})
        os.kill(os.getpid(), signal.SIGKILL)
    if step == args.stop_at and task_id == 1:
        record("steps", {"step": step, "event": "stop", "time": time.time()})
        os.kill(os.getpid(), signal.SIGSTOP)
    if answers is not None and hasattr(answers, "warmup_learning_rate"):
        rate = answers.warmup_learning_rate(
            step, args.base_lr, args.base_batch, args.global_batch, args.warmup
        )
        optimizer.learning_rate.assign(float(rate))
    before = fingerprint()
    began = time.perf_counter()
    try:
        loss = float(train_step(iterator))
    except Exception as error:  # a collective that failed or timed out
        record(
            "steps",
            {
                "step": step,
                "event": "error",
                "time": time.time(),
                "error": f"{type(error).__name__}: {str(error).splitlines()[0]}",
            },
        )
        raise
    seconds = time.perf_counter() - began
    record(
        "steps",
        {
            "step": step,
            "loss": loss,
            "seconds": seconds,
            "before": before,
            "lr": float(optimizer.learning_rate.numpy()),
        },
    )
    next_step = step + 1


directory = str(out / "checkpoints")
began = time.perf_counter()
if args.preemption:
    # TensorFlow's own: restores the latest checkpoint in `directory` at start; when SIGTERM
    # reaches any worker, every worker saves at the same step and the process exits.
    handler = tf.distribute.experimental.PreemptionCheckpointHandler(resolver, state, directory)

    def step_and_count(step):
        step_fn(step)
        step_counter.assign(step + 1)

    for step in range(int(step_counter.numpy()), args.steps):
        handler.run(step_and_count, step)
else:
    answers.train_resumable(state, step_fn, args.steps, directory, args.every, is_chief)
record("runs", {"seconds": time.perf_counter() - began, "step": int(step_counter.numpy())})
if is_chief:
    np.savez(out / "weights.npz", *model.get_weights())
