"""02_input_pipelines's claim: an optimised tf.data pipeline against a naive one."""

from __future__ import annotations

import time

import numpy as np

from bench.core import Section, Sizes, rate, ratio
from hpclearn import bench, data
from hpclearn._tf import tf


def input_pipeline(sizes: Sizes) -> Section:
    """02_input_pipelines' workload: JPEG records (some broken) decoded and resized, feeding a
    stand-in accelerator that takes 4 ms a batch."""
    section = Section("tf.data: naive vs optimised input pipeline")
    photos = data.rgb_images(sizes.images, size=sizes.image_size, test_fraction=0.2)
    records = [
        tf.io.encode_jpeg(tf.cast(im * 255, tf.uint8), quality=90).numpy() for im in photos.x_train
    ]
    for i in range(0, len(records), 50):
        records[i] = b"<html>404 Not Found</html>"
    records, labels = np.array(records, dtype=object), photos.y_train
    step_seconds, batch = 0.004, 128
    no_rewrites = tf.data.Options()
    no_rewrites.experimental_optimization.apply_default_optimizations = False

    def is_jpeg(record, label):
        return tf.strings.substr(record, 0, 3) == b"\xff\xd8\xff"

    def decode(record, label):
        image = tf.image.convert_image_dtype(tf.io.decode_jpeg(record, channels=3), tf.float32)
        return tf.image.per_image_standardization(tf.image.resize(image, (48, 48))), label

    def source():
        return tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)

    def epochs_of(dataset):
        def train():
            for _ in dataset.repeat(sizes.pipeline_epochs):
                time.sleep(step_seconds)

        return train

    timings = bench.side_by_side(
        {
            "naive": lambda: epochs_of(source().map(decode).batch(batch).with_options(no_rewrites)),
            "optimised": lambda: epochs_of(
                source()
                .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
                .cache()
                .batch(batch)
                .prefetch(tf.data.AUTOTUNE)
            ),
        },
        repeats=max(2, sizes.repeats // 2),
        warmup=0,
    )
    images = sizes.pipeline_epochs * sum(1 for r in records if r.startswith(b"\xff\xd8\xff"))
    section.add(
        rate("tfdata.naive", "naive pipeline", images, timings["naive"], "images/s"),
        rate(
            "tfdata.optimised",
            "parallel map + cache + prefetch",
            images,
            timings["optimised"],
            "images/s",
        ),
        ratio(
            "tfdata.speedup", "optimised / naive throughput", timings["naive"], timings["optimised"]
        ),
    )
    return section
