"""Synchronous data-parallel training on several processes: every worker runs this script.

TensorFlow reads the cluster from the TF_CONFIG environment variable (set by
`python -m hpclearn.cluster --workers 2 train.py`, by a scheduler, or built from SLURM). The
loop is written out because Keras 3's `fit` fails under MultiWorkerMirroredStrategy in this
TensorFlow version; it also shows what `fit` hides. After every epoch all workers save a
checkpoint (the chief to --out, the others to scratch folders), so a job killed part-way
resumes from its last finished epoch.
"""

import argparse
import json
import os
import shutil
import signal
import time
from pathlib import Path

from hpclearn import data  # first: loads TensorFlow with its start-up log lines silenced

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
args = parser.parse_args()

strategy = tf.distribute.MultiWorkerMirroredStrategy()
resolver = strategy.cluster_resolver
task_type, task_id = resolver.task_type, resolver.task_id
is_chief = task_type in (None, "chief") or (task_type == "worker" and task_id == 0)
out = Path(args.out)
# Every worker must save (saving takes part in collectives); only the chief's copy is kept.
checkpoint_dir = out / "checkpoints" if is_chief else out / f"scratch-worker-{task_id}"

split = data.digits()
x, y = split.x_train[: args.examples], split.y_train[: args.examples]


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

checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch)
manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=2)
latest = tf.train.latest_checkpoint(out / "checkpoints")
if latest:
    checkpoint.restore(latest)
    print(f"resumed from {Path(latest).name}: {int(epoch.numpy())} epochs already done", flush=True)


@tf.function
def train_step(x_shard, y_shard):
    def replica_fn(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=args.global_batch)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    per_replica = strategy.run(replica_fn, args=(x_shard, y_shard))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


start, steps = time.perf_counter(), 0
for e in range(int(epoch.numpy()), args.epochs):
    losses = []
    for step, (x_shard, y_shard) in enumerate(dataset):
        if task_id == args.crash_worker and e + 1 == args.crash_epoch and step == 3:
            print(f"worker {task_id}: dying part-way through epoch {e + 1}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        losses.append(float(train_step(x_shard, y_shard)))
        steps += 1
    epoch.assign(e + 1)
    manager.save(checkpoint_number=e + 1)
    if not is_chief:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    print(f"epoch {e + 1}: loss {np.mean(losses):.4f}", flush=True)
    if is_chief:
        with open(out / "history.jsonl", "a") as f:
            f.write(json.dumps({"epoch": e + 1, "loss": float(np.mean(losses))}) + "\n")

if is_chief:
    np.savez(out / "weights.npz", *model.get_weights())
    seconds = time.perf_counter() - start
    summary = {"steps": steps, "seconds": seconds, "steps_per_second": steps / seconds}
    (out / "summary.json").write_text(json.dumps(summary))
