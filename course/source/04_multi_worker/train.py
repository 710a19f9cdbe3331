"""Synchronous data-parallel training on several processes: every worker runs this script.

TensorFlow reads the cluster from the TF_CONFIG environment variable (set by
`python -m hpclearn.cluster --workers 2 train.py` or by a scheduler); inside a SLURM job step
(`srun`, see train.sbatch) without TF_CONFIG it builds the cluster from SLURM's variables. The
loop is written out because Keras 3's `fit` fails under MultiWorkerMirroredStrategy in this
TensorFlow version; it also shows what `fit` hides. After every epoch all workers save a
checkpoint (the chief to --out, the others to scratch folders), so a job killed part-way
resumes from its last finished epoch. SIGTERM (what a scheduler sends before a time limit or a
preemption) makes every worker save at the next step and exit; the next run resumes from that
very step.
"""

import argparse
import json
import os
import shutil
import signal
import time
from pathlib import Path

# Installed before TensorFlow loads: a SIGTERM from then on asks for a checkpoint, not death.
preempted = False


def on_sigterm(signum, frame):
    global preempted
    preempted = True


signal.signal(signal.SIGTERM, on_sigterm)

from hpclearn import cluster, data  # first: loads TensorFlow with its start-up log lines silenced

import keras
import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--global-batch", type=int, default=64)
parser.add_argument("--examples", type=int, default=1024, help="training examples used")
parser.add_argument("--out", default="run", help="checkpoints, history and final weights")
parser.add_argument("--crash-worker", type=int, default=-1, help="this worker dies on purpose...")
parser.add_argument("--crash-epoch", type=int, default=-1, help="...part-way through this epoch")
parser.add_argument("--port-base", type=int, default=8888, help="first port of a SLURM step")
args = parser.parse_args()

in_slurm_step = "SLURM_STEP_NUM_TASKS" in os.environ and "TF_CONFIG" not in os.environ
resolver = cluster.slurm_resolver(port_base=args.port_base) if in_slurm_step else None
strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
# The strategy's coordination service installs TensorFlow's own SIGTERM handler (a preemption
# notifier this loop does not use), which would swallow the signal: take it back.
signal.signal(signal.SIGTERM, on_sigterm)
resolver = strategy.cluster_resolver
task_type, task_id = resolver.task_type, resolver.task_id
is_chief = task_type in (None, "chief") or (task_type == "worker" and task_id == 0)
out = Path(args.out)
# Every worker must save (saving takes part in collectives); only the chief's copy is kept.
checkpoint_dir = out / "checkpoints" if is_chief else out / f"scratch-worker-{task_id}"

split = data.digits()
x, y = split.x_train[: args.examples], split.y_train[: args.examples]
steps_per_epoch = -(-len(x) // args.global_batch)


def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
    # Worker i takes examples i, i + N, i + 2N, ...: one step's shards together are exactly
    # the global batch a single process would take.
    batch = context.get_per_replica_batch_size(args.global_batch)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return ds.shard(context.num_input_pipelines, context.input_pipeline_id).batch(batch)


dataset = strategy.distribute_datasets_from_function(dataset_fn)

with strategy.scope():
    keras.utils.set_random_seed(1)  # the same initial weights in every process
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)]
    )
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    global_step = tf.Variable(0, dtype=tf.int64, trainable=False)  # steps trained, all epochs

checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch, step=global_step)
manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=2)
latest = tf.train.latest_checkpoint(out / "checkpoints")
if latest:
    checkpoint.restore(latest)
    done = f"{int(epoch.numpy())} epochs"
    if int(global_step.numpy()) % steps_per_epoch:
        done += f" and {int(global_step.numpy()) % steps_per_epoch} steps"
    print(f"resumed from {Path(latest).name}: {done} already done", flush=True)


@tf.function
def train_step(x_shard, y_shard, stop):
    def replica_fn(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=args.global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, tf.identity(stop)

    loss, stop_here = strategy.run(replica_fn, args=(x_shard, y_shard))
    # Workers receive SIGTERM at slightly different moments, but saving is collective: every
    # step they agree whether any of them was asked to stop (a sum above 0).
    return (
        strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None),
        strategy.reduce(tf.distribute.ReduceOp.SUM, stop_here, axis=None),
    )


def save(number):
    manager.save(checkpoint_number=number)
    if not is_chief:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)


start, steps = time.perf_counter(), 0
first_epoch, skip = divmod(int(global_step.numpy()), steps_per_epoch)
for e in range(first_epoch, args.epochs):
    losses = []
    for step, (x_shard, y_shard) in enumerate(dataset):
        if e == first_epoch and step < skip:  # done before the checkpoint this run resumed
            continue
        if task_id == args.crash_worker and e + 1 == args.crash_epoch and step == 3:
            print(f"worker {task_id}: dying part-way through epoch {e + 1}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        loss, stop = train_step(x_shard, y_shard, tf.constant(float(preempted)))
        losses.append(float(loss))
        global_step.assign_add(1)
        steps += 1
        if float(stop):
            save(int(global_step.numpy()))
            print(
                f"SIGTERM: saved ckpt-{int(global_step.numpy())} after step {step + 1} of "
                f"epoch {e + 1}; exiting",
                flush=True,
            )
            raise SystemExit(0)
    epoch.assign(e + 1)
    save(int(global_step.numpy()))
    print(f"epoch {e + 1}: loss {np.mean(losses):.4f}", flush=True)
    if is_chief:
        with open(out / "history.jsonl", "a") as f:
            f.write(json.dumps({"epoch": e + 1, "loss": float(np.mean(losses))}) + "\n")

if is_chief:
    np.savez(out / "weights.npz", *model.get_weights())
    seconds = time.perf_counter() - start
    summary = {
        "steps": steps,
        "global_step": int(global_step.numpy()),
        "seconds": seconds,
        "steps_per_second": steps / seconds,
    }
    (out / "summary.json").write_text(json.dumps(summary))
