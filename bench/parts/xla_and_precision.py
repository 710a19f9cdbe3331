"""06_accelerators's claims: XLA compilation and bfloat16 against float32."""

from __future__ import annotations

import numpy as np

from bench.core import Section, Sizes, rate, ratio
from hpclearn import bench
from hpclearn._tf import keras, tf


def xla_and_precision(sizes: Sizes) -> Section:
    """A course MLP's training step, compiled by TensorFlow or XLA, in float32 or bfloat16."""
    section = Section("XLA and mixed precision on a course model")
    width, batch, steps = sizes.model_width, 256, 10
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, 64)), tf.float32)
    y = tf.constant(rng.integers(0, 10, size=batch), tf.int32)

    def train_steps(policy, jit_compile):
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = keras.Sequential(
                [
                    keras.Input((64,)),
                    keras.layers.Dense(width, activation="relu"),
                    keras.layers.Dense(width, activation="relu"),
                    keras.layers.Dense(10),
                    keras.layers.Activation("linear", dtype="float32"),
                ]
            )
        finally:
            keras.mixed_precision.set_global_policy("float32")
        optimizer = keras.optimizers.SGD(0.01)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function(jit_compile=jit_compile)
        def step():
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            return loss

        def run():
            for _ in range(steps):
                loss = step()
            return loss

        return run

    prepared = {
        (p, j): train_steps(p, j) for p in ("float32", "mixed_bfloat16") for j in (False, True)
    }
    timings = bench.side_by_side(
        {k: (lambda k=k: prepared[k]) for k in prepared}, repeats=sizes.repeats
    )
    for (policy, jit), timing in timings.items():
        section.add(
            rate(
                f"train.{policy}_{'xla' if jit else 'tf'}",
                f"{policy}, {'XLA' if jit else 'TensorFlow kernels'}",
                steps * batch,
                timing,
                "samples/s",
            )
        )
    section.add(
        ratio(
            "train.xla_vs_tf",
            "XLA / TensorFlow kernels, float32 training step",
            timings["float32", False],
            timings["float32", True],
        ),
        ratio(
            "train.bf16_vs_fp32",
            "mixed_bfloat16 / float32 training step (no XLA)",
            timings["float32", False],
            timings["mixed_bfloat16", False],
        ),
    )
    section.notes.append(
        f"MLP 64 → {width} → {width} → 10, batch {batch}, {steps} steps per "
        "repeat. Keras's own jit_compile='auto' turns XLA off on a CPU-only "
        "machine, so the steps are compiled with tf.function here."
    )
    return section
