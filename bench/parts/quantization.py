"""09_deployment's claims: size, accuracy and latency of the TFLite conversions."""

from __future__ import annotations

import numpy as np

from bench.core import Figure, Section, Sizes, digits_mlp, per_call, ratio
from hpclearn import bench, data, deploy
from hpclearn._tf import keras


def quantization(sizes: Sizes) -> Section:
    """09_deployment's experiment: a digits MLP (64 → 512 → 512 → 10) converted to TFLite in
    float32 and in full int8, both run on LiteRT's interpreter."""
    section = Section("Quantization: int8 TFLite against float32")
    split = data.digits()
    keras.utils.set_random_seed(0)
    model = digits_mlp(hidden=512)
    model.fit(split.x_train, split.y_train, epochs=sizes.train_epochs, batch_size=64, verbose=0)
    flatbuffers = {
        "float": deploy.to_tflite(model, "float"),
        "int8": deploy.to_tflite(model, "int8", representative=split.x_train[:200]),
    }
    accuracy = {
        mode: float(np.mean(deploy.predict(tflite, split.x_test).argmax(1) == split.y_test))
        for mode, tflite in flatbuffers.items()
    }
    calls = 200

    def single_inferences(mode):
        runner = deploy.interpreter(flatbuffers[mode])
        deploy.predict(runner, split.x_test[:1])  # one example: resizes and sets the input

        def run():
            for _ in range(calls):
                runner.invoke()

        return run

    timings = bench.side_by_side(
        {mode: (lambda mode=mode: single_inferences(mode)) for mode in flatbuffers},
        repeats=sizes.repeats,
    )
    float_kib, int8_kib = (len(flatbuffers[m]) / 1024 for m in ("float", "int8"))
    section.add(
        Figure("quantization.float_kib", "float32 model, size", float_kib, "KiB"),
        Figure("quantization.int8_kib", "int8 model, size", int8_kib, "KiB"),
        Figure("quantization.size_ratio", "size, float32 / int8", float_kib / int8_kib, "×"),
        Figure(
            "quantization.float_accuracy",
            "float32 model, test accuracy",
            100 * accuracy["float"],
            "%",
        ),
        Figure(
            "quantization.accuracy_change",
            "int8 − float32, test accuracy",
            100 * (accuracy["int8"] - accuracy["float"]),
            "points",
        ),
        per_call("quantization.float_us", "float32, one example", timings["float"], calls),
        per_call("quantization.int8_us", "int8, one example", timings["int8"], calls),
        ratio(
            "quantization.speedup",
            "int8 / float32 inference speed, one example",
            timings["float"],
            timings["int8"],
        ),
    )
    section.notes.append(
        f"Latency is the interpreter's `invoke()` alone, {calls} calls per repeat on one "
        "example already set as input (LiteRT's default CPU path, XNNPACK); one conversion and "
        "one accuracy measurement (both are deterministic for a given model)."
    )
    return section
