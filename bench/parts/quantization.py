"""09_deployment's claims, with the notebook's task and protocol: size, accuracy and latency of
a model converted to TFLite in float32 and in full int8, over three seeds."""

from __future__ import annotations

import numpy as np

from bench.core import Figure, Section, Sizes, over_seeds, per_call, ratio
from hpclearn import bench, data, deploy
from hpclearn._tf import keras

WIDTH, EPOCHS, BATCH, THREADS, CALIBRATION = 256, 5, 32, 1, 200


def _mlp() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(WIDTH, activation="relu"),
            keras.layers.Dense(WIDTH, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def quantization(sizes: Sizes) -> Section:
    """09_deployment's experiment on `data.mnist`: per seed, a 784 → 256 → 256 → 10 MLP (5
    epochs) converted to TFLite in float32 and in full int8 (per-channel weight scales,
    calibrated on 200 training images), both run on LiteRT's interpreter with one thread."""
    section = Section("Quantization: full-int8 TFLite against float32")
    split = data.mnist()
    epochs = min(EPOCHS, sizes.train_epochs)
    float_accuracy, int8_accuracy, first = [], [], {}
    for seed in range(sizes.seeds):
        keras.utils.set_random_seed(seed)
        model = _mlp()
        model.fit(split.x_train, split.y_train, epochs=epochs, batch_size=BATCH, verbose=0)
        flatbuffers = {
            "float": deploy.to_tflite(model, "float"),
            "int8": deploy.to_tflite(model, "int8", representative=split.x_train[:CALIBRATION]),
        }
        for mode, accuracies in (("float", float_accuracy), ("int8", int8_accuracy)):
            logits = deploy.predict(flatbuffers[mode], split.x_test)
            accuracies.append(100 * float(np.mean(logits.argmax(axis=1) == split.y_test)))
        first = first or flatbuffers  # seed 0's files: sizes and latency

    calls, batch_calls = 200, 5

    def prepared(mode: str, x: np.ndarray, count: int):
        runner = deploy.interpreter(first[mode], num_threads=THREADS)
        deploy.predict(runner, x)  # resizes the input to x's batch and sets it

        def run():
            for _ in range(count):
                runner.invoke()

        return lambda: run

    one, batch = split.x_test[:1], split.x_test
    setups = {
        "float one": prepared("float", one, calls),
        "int8 one": prepared("int8", one, calls),
        "float batch": prepared("float", batch, batch_calls),
        "int8 batch": prepared("int8", batch, batch_calls),
    }
    timings = bench.side_by_side(setups, repeats=sizes.repeats)
    float_kib, int8_kib = (len(first[m]) / 1024 for m in ("float", "int8"))
    section.add(
        Figure("quantization.float_kib", "float32 model, size", float_kib, "KiB"),
        Figure("quantization.int8_kib", "int8 model, size", int8_kib, "KiB"),
        Figure("quantization.size_ratio", "size, float32 / int8", float_kib / int8_kib, "×"),
        over_seeds(
            "quantization.float_accuracy", "float32 model, test accuracy", float_accuracy, "%"
        ),
        over_seeds("quantization.int8_accuracy", "int8 model, test accuracy", int8_accuracy, "%"),
        over_seeds(
            "quantization.accuracy_lost",
            "accuracy lost to int8: float32 − int8 (paired by seed)",
            list(np.subtract(float_accuracy, int8_accuracy)),
            "points",
        ),
        per_call("quantization.float_us", "float32, one example", timings["float one"], calls),
        per_call("quantization.int8_us", "int8, one example", timings["int8 one"], calls),
        ratio(
            "quantization.speedup",
            "int8 / float32 inference speed, one example",
            timings["float one"],
            timings["int8 one"],
        ),
        per_call(
            "quantization.float_batch_us",
            f"float32, batch of {len(batch)}",
            timings["float batch"],
            batch_calls,
        ),
        per_call(
            "quantization.int8_batch_us",
            f"int8, batch of {len(batch)}",
            timings["int8 batch"],
            batch_calls,
        ),
        ratio(
            "quantization.batch_speedup",
            f"int8 / float32 inference speed, batch of {len(batch)}",
            timings["float batch"],
            timings["int8 batch"],
        ),
    )
    section.notes.append(
        f"data.mnist (4,000 training, 1,000 test digits; one test digit is 0.1 point); "
        f"{sizes.seeds} seed(s), each its own model trained {epochs} epoch(s); accuracies are "
        "mean ± standard error (SE) over the seeds, the loss paired by seed. Sizes and latency "
        f"are seed 0's files. Latency is the interpreter's `invoke()` alone with {THREADS} "
        f"thread, on an input already set ({calls} calls per repeat for one example, "
        f"{batch_calls} for the batch; LiteRT's default CPU path, XNNPACK), the four cases "
        "timed in turns. Whether int8 runs faster than float32 depends on the CPU's integer "
        "dot-product instructions (AVX-512 VNNI, AMX), so no target is set on it."
    )
    return section
