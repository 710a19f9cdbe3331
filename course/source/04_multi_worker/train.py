"""Synchronous data-parallel training on several processes, built around your own functions:
every worker runs this script.

The cluster comes from TF_CONFIG (set by `hpclearn.cluster`, e.g.
`python -m hpclearn.cluster --workers 2 train.py --answers answers.py`, or by a scheduler);
inside a SLURM job step (`srun`, see train.sbatch) without TF_CONFIG it is built from SLURM's
variables. Notebook 04 writes the answers of its exercises into a Python file, passed with
`--answers`; this script imports from it whatever the job needs:

- `shard_dataset(context, features, labels, global_batch)`: each worker's input pipeline
  (without it, TensorFlow's automatic sharding of one dataset);
- `warmup_learning_rate(step, base_lr, base_batch, global_batch, warmup_steps)`: the learning
  rate of every step (without it, `--base-lr` throughout);
- `train_resumable(state, step_fn, total_steps, directory, every, is_chief)`: the loop that
  resumes from and saves checkpoints in `<out>/checkpoints` (needed to train).

TensorFlow's own mechanisms do the rest. With `--preemption`, TensorFlow's
`PreemptionCheckpointHandler` watches for SIGTERM (what a scheduler sends before a time limit or
a pre-emption): when it reaches any worker, the workers agree on a step, every one saves a
checkpoint there before training it, and all exit with code 42; the next start resumes there.
The training loop is written out because Keras 3's `fit` fails under
MultiWorkerMirroredStrategy in this TensorFlow version; it also shows what `fit` hides.

`--mode shards` only reads the data: each worker records the example ids of every step.
Faults on purpose: `--die-at S` (worker `--die-worker`, by default the chief, SIGKILLs itself
as step S starts), `--stop-at S` (worker 1 SIGSTOPs itself as step S starts; `--timeout`
bounds every collective). Each worker appends JSON lines to `<out>/steps-worker-<i>.jsonl` (a
line per step) and `<out>/runs-worker-<i>.jsonl` (where each start began and how it ended); the
chief writes the final weights to `<out>/weights.npz`.
"""

import argparse
import importlib.util
import json
import os
import signal
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--answers", default=None, help="a .py file with the functions above")
parser.add_argument("--out", default="run", help="checkpoints, records and final weights")
parser.add_argument("--mode", choices=["train", "shards"], default="train")
parser.add_argument("--steps", type=int, default=32, help="steps of the whole job")
parser.add_argument("--examples", type=int, default=512, help="training examples used")
parser.add_argument("--global-batch", type=int, default=64)
parser.add_argument("--base-lr", type=float, default=0.05)
parser.add_argument("--base-batch", type=int, default=32)
parser.add_argument("--warmup", type=int, default=8, help="warm-up steps")
parser.add_argument("--every", type=int, default=4, help="checkpoint every this many steps")
parser.add_argument("--preemption", action="store_true", help="save and exit on SIGTERM")
parser.add_argument("--die-at", type=int, default=-1)
parser.add_argument("--die-worker", type=int, default=0)
parser.add_argument("--stop-at", type=int, default=-1)
parser.add_argument("--timeout", type=float, default=0, help="collective timeout, s (0: none)")
parser.add_argument("--port-base", type=int, default=8888, help="first port of a SLURM step")
args = parser.parse_args()
NO_LOOP = (
    "training needs your train_resumable: pass --answers with the file that notebook 04's "
    "write_answers() makes, e.g. write_answers(Path('answers.py'), shard_dataset, "
    "warmup_learning_rate, train_resumable)"
)
if args.mode == "train" and not args.answers:
    parser.error(NO_LOOP)
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# A SIGTERM may come while TensorFlow is still starting, before the handler that saves exists:
# it is held back (blocked in every thread TensorFlow will start) and handed on below.
early_sigterm = []


def keep_sigterm(signum, frame):
    early_sigterm.append(signum)


if args.preemption:
    signal.signal(signal.SIGTERM, keep_sigterm)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

from hpclearn import cluster, data  # first: loads TensorFlow with its start-up log lines silenced

import keras
import numpy as np
import tensorflow as tf

answers = None
if args.answers:
    spec = importlib.util.spec_from_file_location("answers", args.answers)
    answers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(answers)
if args.mode == "train" and not hasattr(answers, "train_resumable"):
    parser.error(NO_LOOP)

in_slurm_step = "SLURM_STEP_NUM_TASKS" in os.environ and "TF_CONFIG" not in os.environ
options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=args.timeout or None)
strategy = tf.distribute.MultiWorkerMirroredStrategy(
    cluster_resolver=cluster.slurm_resolver(port_base=args.port_base) if in_slurm_step else None,
    communication_options=options,
)
if args.preemption:  # the strategy installed a SIGTERM handler of its own, unused here
    signal.signal(signal.SIGTERM, keep_sigterm)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
resolver = strategy.cluster_resolver
task_type, task_id = resolver.task_type, resolver.task_id or 0
# The chief: a `chief` task if the cluster has one, else worker 0 (a single process: itself).
jobs = resolver.cluster_spec().jobs
is_chief = task_type in (None, "chief") or (
    task_type == "worker" and task_id == 0 and "chief" not in jobs
)


def record(name, value):
    """Append one JSON line to this worker's record."""
    with open(out / f"{name}-worker-{task_id}.jsonl", "a") as f:
        f.write(json.dumps(value) + "\n")


split = data.digits()
x = split.x_train[: args.examples]
y = split.y_train[: args.examples]
ids = np.arange(len(x), dtype=np.int32)
labels = ids if args.mode == "shards" else y  # a shards job traces example ids, not labels

if answers is not None and hasattr(answers, "shard_dataset"):
    dataset = strategy.distribute_datasets_from_function(
        lambda context: answers.shard_dataset(context, x, labels, args.global_batch).repeat()
    )
else:
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
    # Every process seeds alike, but the weights agree for another reason: the strategy
    # broadcasts the chief's initial values to all workers when the variables are created.
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)]
    )
    optimizer = keras.optimizers.SGD(args.base_lr)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
state = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_counter)
directory = str(out / "checkpoints")


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


handler = None
if args.preemption:

    def exit_after_saving():
        saved = int(step_counter.numpy())
        record("runs", {"preempted_at": saved})
        print(f"worker {task_id}: SIGTERM: saved a checkpoint at step {saved}; exiting", flush=True)
        sys.exit(42)  # the handler's usual restart code

    # TensorFlow's own: restores the newest checkpoint in `directory` now (as your loop does
    # next); from then on a SIGTERM anywhere makes every worker save at one agreed step.
    handler = tf.distribute.experimental.PreemptionCheckpointHandler(
        resolver,
        state,
        directory,
        tf.distribute.experimental.TerminationConfig(exit_fn=exit_after_saving),
    )
    if early_sigterm:  # the handler now watches for SIGTERM: give it the one that came early
        os.kill(os.getpid(), signal.SIGTERM)

iterator = None
next_step = None


def fingerprint():
    """The sum of every weight's magnitude: equal weights give equal fingerprints."""
    return float(sum(np.abs(w).sum(dtype=np.float64) for w in model.get_weights()))


def step_fn(step):
    """Train global step `step` (0-based); steps must come one after the other."""
    global iterator, next_step
    if iterator is None:  # position the data at `step`, where this run starts
        iterator = iter(dataset)
        for _ in range(step):
            next(iterator)
        next_step = step
        record("runs", {"first_step": step, "weights": fingerprint()})
        if is_chief:
            print(f"starting at step {step} of {args.steps}", flush=True)
    if step != next_step:
        raise ValueError(f"step_fn({step}) called, but the next step to train is {next_step}.")
    if handler is not None:
        # Here your loop has counted every step trained so far (state.step == step): a save
        # now loses nothing, and the step after it is the first of the next start.
        handler.save_checkpoint_if_preempted(checkpoint_number=step)
    if step == args.die_at and task_id == args.die_worker:
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
    if is_chief and (step + 1) % args.every == 0:
        print(f"step {step + 1}: loss {loss:.4f}", flush=True)
    next_step = step + 1


began = time.perf_counter()
trained = answers.train_resumable(state, step_fn, args.steps, directory, args.every, is_chief)
seconds = time.perf_counter() - began
record("runs", {"seconds": seconds, "step": int(step_counter.numpy())})
if is_chief:
    np.savez(out / "weights.npz", *model.get_weights())
    print(f"finished at step {int(step_counter.numpy())}: {trained} steps in {seconds:.1f} s")
