"""03_data_parallelism's claim: training steps on 1, 2 and 4 replicas."""

from __future__ import annotations

import statistics

import numpy as np

from bench.core import Section, Sizes, rate, ratio
from hpclearn import bench, devices
from hpclearn._tf import keras, tf


def data_parallel(sizes: Sizes) -> Section:
    """03_data_parallelism's scaling table: one epoch of an MLP at a fixed global batch."""
    section = Section("Data parallelism: throughput by number of replicas")
    gpus = tf.config.list_logical_devices("GPU")
    available = len(gpus) or len(tf.config.list_logical_devices("CPU"))
    counts = [r for r in sizes.replicas if r <= available]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(sizes.parallel_batch * sizes.parallel_steps, 256)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)

    def epoch(replicas):
        with devices.strategy("mirrored", num_replicas=replicas).scope():
            model = keras.Sequential(
                [keras.Input((256,))]
                + [keras.layers.Dense(512, activation="relu") for _ in range(3)]
                + [keras.layers.Dense(2)]
            )
            model.compile(
                optimizer=keras.optimizers.SGD(0.01),
                jit_compile=False,
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
        return lambda: model.fit(
            x, y, batch_size=sizes.parallel_batch, epochs=1, shuffle=False, verbose=0
        )

    prepared = {r: epoch(r) for r in counts}
    timings = bench.side_by_side(
        {r: (lambda r=r: prepared[r]) for r in counts}, repeats=max(2, sizes.repeats // 2)
    )
    kind = f"{len(gpus)} GPUs" if gpus else "simulated CPU devices"
    for r in counts:
        section.add(
            rate(
                f"parallel.replicas_{r}",
                f"{r} replica(s) ({kind})",
                len(x),
                timings[r],
                "samples/s",
            )
        )
    for r in counts[1:]:
        section.add(
            ratio(
                f"parallel.speedup_{r}",
                f"{r} replicas / 1 replica throughput",
                timings[1],
                timings[r],
            )
        )
    section.plot = {r: statistics.median(len(x) / t for t in timings[r].times) for r in counts}
    if not gpus:
        section.notes.append(
            "Simulated devices share the same cores: more replicas add "
            "communication and no compute, so throughput falls (03 explains)."
        )
    return section
