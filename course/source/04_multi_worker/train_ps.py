"""Asynchronous parameter-server training: this script is the coordinator (the chief task).

The parameter servers hold the variables; the workers are plain TensorFlow servers. The
coordinator turns the training step into a function, schedules it on whichever worker is free,
and never waits for the others: each worker reads the current variables, computes a gradient
and applies it on the parameter servers at its own pace. Run it with
`python -m hpclearn.cluster --workers 2 --ps 1 train_ps.py`.

Keras 3 `fit` does not support parameter-server training; a custom loop with Keras layers works.
"""

import argparse
import json
import time
from pathlib import Path

from hpclearn import data  # first: loads TensorFlow with its start-up log lines silenced

import keras
import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=200, help="timed steps, over all workers")
parser.add_argument("--warmup-steps", type=int, default=8, help="untimed steps run first")
parser.add_argument("--batch", type=int, default=32, help="examples per step on a worker")
parser.add_argument("--out", default="run-ps")
args = parser.parse_args()

resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
strategy = tf.distribute.ParameterServerStrategy(resolver)
coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)

split = data.digits()

with strategy.scope():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)]
    )
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # Counts applied updates; lives on a parameter server like the weights.
    version = tf.Variable(0, dtype=tf.int64, trainable=False)
    # Hands out shuffle seeds: each worker that builds its dataset takes the next one.
    seeds = tf.Variable(0, dtype=tf.int64, trainable=False)


def dataset_fn() -> tf.data.Dataset:
    # Each worker reads the whole (shuffled, repeated) training set: in asynchronous training
    # there is no global batch to split. The seed comes from a counter on the parameter
    # server, so every worker shuffles in its own order instead of all reading the same batches.
    seed = tf.identity(seeds.assign_add(1))  # the value now, not the variable
    ds = tf.data.Dataset.from_tensor_slices((split.x_train, split.y_train))
    ds = ds.shuffle(len(split.x_train), seed=seed).repeat().batch(args.batch)
    return ds.map(lambda xb, yb: (xb, yb, seed))


iterator = iter(coordinator.create_per_worker_dataset(dataset_fn))


@tf.function
def train_step(iterator):
    def replica_fn(xb, yb, seed):
        version_read = version.read_value()
        with tf.control_dependencies([version_read]), tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        # Reading the variables back orders the count after the update has landed on the
        # parameter server (the reads follow the writes to the same variables).
        applied = [tf.identity(v.value) for v in model.trainable_variables]
        with tf.control_dependencies(applied):
            version_applied = version.assign_add(1)  # atomic on the parameter server
        # Updates other workers applied between reading the parameters and applying this
        # gradient: the staleness of this step.
        return loss, version_applied - version_read - 1, seed

    return strategy.run(replica_fn, args=next(iterator))


# Warm-up steps first (tracing the step function, starting the pipelines), outside the timing.
for _ in range(args.warmup_steps):
    coordinator.schedule(train_step, args=(iterator,))
coordinator.join()
start = time.perf_counter()
scheduled = [coordinator.schedule(train_step, args=(iterator,)) for _ in range(args.steps)]
coordinator.join()
seconds = time.perf_counter() - start

losses = [float(r.fetch()[0]) for r in scheduled]
staleness = [int(r.fetch()[1]) for r in scheduled]
worker_seeds = sorted({int(r.fetch()[2]) for r in scheduled})
accuracy = float(np.mean(np.argmax(model(split.x_test, training=False), axis=1) == split.y_test))
placement = sorted({v.value.device for v in model.trainable_variables})
summary = {
    "steps": args.steps,
    "warmup_steps": args.warmup_steps,
    "shuffle_seeds": worker_seeds,
    "seeds_handed_out": int(seeds.numpy()),
    "seconds": seconds,
    "steps_per_second": args.steps / seconds,
    "first_loss": float(np.mean(losses[:20])),
    "last_loss": float(np.mean(losses[-20:])),
    "staleness_counts": {str(k): staleness.count(k) for k in sorted(set(staleness))},
    "test_accuracy": accuracy,
    "variables_on": placement,
}
Path(args.out).mkdir(parents=True, exist_ok=True)
(Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=1))
print(json.dumps(summary), flush=True)
