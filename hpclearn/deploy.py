"""Deployment plumbing: TFLite conversion with post-training quantization, a LiteRT interpreter
that takes and returns float arrays, file sizes and inference latency.

The converter is TensorFlow's (`tf.lite.TFLiteConverter`): in TensorFlow 2.21 and LiteRT 2.3 it
is still the way to convert a TensorFlow or Keras model, and LiteRT's Python package
(`ai-edge-litert`) ships the runtime only. The runtime is LiteRT's interpreter, which replaces
the deprecated `tf.lite.Interpreter` and runs the same `.tflite` files.

Conversion starts from a SavedModel (`model.export(directory)`): `from_keras_model` works with
Keras 3 but prints the path of a random temporary directory, and `from_concrete_functions`
produced a broken model on this stack without any error. The converter and the interpreter log
from C++ to file descriptor 2; those lines are silenced here so notebook outputs stay
comparable (conversion errors still raise).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from hpclearn._tf import keras, silenced_stderr, tf
from hpclearn.bench import Timing, time_call

__all__ = ["file_size", "interpreter", "latency", "predict", "to_tflite"]

MODES = ("float", "dynamic_range", "float16", "int8")


def to_tflite(
    model: keras.Model | str | os.PathLike,
    mode: str = "float",
    representative: np.ndarray | None = None,
) -> bytes:
    """The `.tflite` flatbuffer of a Keras model, or of a SavedModel directory, in one of four
    post-training modes:

    - "float": float32 weights and arithmetic, the reference;
    - "dynamic_range": int8 weights, float activations (quantized on the fly);
    - "float16": float16 weights, float32 arithmetic on CPUs (GPUs can compute in float16);
    - "int8": int8 weights, activations, input and output; the activation ranges are calibrated
      on `representative` (an array of inputs, e.g. a few hundred training examples), and the
      input and output tensors carry the scale and zero point to (de)quantize them.

    >>> tflite = deploy.to_tflite(model, "int8", representative=split.x_train[:200])
    >>> len(tflite)
    331280
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
    if mode == "int8" and representative is None:
        raise ValueError(
            "mode='int8' calibrates activation ranges on example inputs: pass "
            "representative=x_train[:200] (or similar)."
        )
    if mode != "int8" and representative is not None:
        raise ValueError(
            f"representative data is used by mode='int8' only; got mode={mode!r}. Drop it, or "
            "with it the converter would silently quantize activations too."
        )
    if isinstance(model, keras.Model):
        with tempfile.TemporaryDirectory() as directory, silenced_stderr():
            model.export(directory, verbose=False)
            return _convert(directory, mode, representative)
    if not Path(model, "saved_model.pb").is_file():
        raise ValueError(
            f"{model!r} is not a SavedModel directory (no saved_model.pb): pass a Keras model "
            "or the directory written by model.export(directory)."
        )
    return _convert(str(model), mode, representative)


def _convert(saved_model_dir: str, mode: str, representative: np.ndarray | None) -> bytes:
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
    if mode != "float":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        samples = np.asarray(representative, dtype=np.float32)
        if samples.ndim < 2 or len(samples) == 0:
            raise ValueError(
                "representative must be an array of example inputs with the batch axis first; "
                f"got shape {samples.shape}."
            )
        converter.representative_dataset = lambda: (
            [samples[i : i + 1]] for i in range(len(samples))
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with silenced_stderr():
        return converter.convert()


def interpreter(tflite: bytes, *, num_threads: int | None = None) -> Interpreter:
    """A LiteRT interpreter for the flatbuffer `tflite`, its tensors allocated.

    >>> runner = deploy.interpreter(tflite)
    >>> runner.get_input_details()[0]["dtype"]
    <class 'numpy.int8'>
    """
    if not isinstance(tflite, bytes | bytearray):
        raise ValueError(
            f"interpreter needs the model's bytes (from to_tflite or a .tflite file's "
            f"read_bytes()); got {type(tflite).__name__}."
        )
    with silenced_stderr():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        runner = Interpreter(model_content=bytes(tflite), num_threads=num_threads)
        runner.allocate_tensors()
    return runner


def predict(model: bytes | Interpreter, x: np.ndarray) -> np.ndarray:
    """Run a single-input, single-output TFLite model on the float batch `x` and return float32
    outputs. An int8 model's input is quantized with its input tensor's scale and zero point,
    and its output dequantized with the output tensor's. Pass an `interpreter(...)` to reuse it
    between calls; it is resized when the batch size changes.

    >>> deploy.predict(tflite, split.x_test).argmax(axis=1)[:5]
    array([2, 8, 2, 6, 6])
    """
    runner = model if isinstance(model, Interpreter) else interpreter(model)
    x = np.asarray(x, dtype=np.float32)
    inputs, outputs = runner.get_input_details(), runner.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"predict runs models with one input and one output; this one has {len(inputs)} and "
            f"{len(outputs)}: use the interpreter's get_signature_runner() instead."
        )
    (source,), (sink,) = inputs, outputs
    if x.ndim != len(source["shape"]) or x.shape[1:] != tuple(source["shape"][1:]):
        raise ValueError(
            f"the model takes inputs of shape (batch, {', '.join(map(str, source['shape'][1:]))})"
            f"; got {x.shape}."
        )
    if x.shape[0] != source["shape"][0]:
        with silenced_stderr():
            runner.resize_tensor_input(source["index"], x.shape)
            runner.allocate_tensors()
    if source["dtype"] == np.int8:
        scale, zero_point = source["quantization"]
        x = np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)
    runner.set_tensor(source["index"], x)
    runner.invoke()
    y = runner.get_tensor(sink["index"])
    if sink["dtype"] == np.int8:
        scale, zero_point = sink["quantization"]
        y = (y.astype(np.float32) - zero_point) * scale
    return y.astype(np.float32, copy=False)


def latency(
    model: bytes | Interpreter | Callable[[np.ndarray], object],
    x: np.ndarray,
    *,
    repeats: int = 7,
    warmup: int = 2,
) -> Timing:
    """Seconds per inference on the batch `x` (median, spread and every run, from
    `bench.time_call`). `model` is a TFLite flatbuffer or interpreter (run through `predict`,
    quantization included, with one interpreter prepared for `x`'s shape) or any callable, such
    as a Keras model or a SavedModel's `serve` function.

    >>> deploy.latency(tflite, x_test[:1], repeats=7).median
    2.1e-05
    """
    if isinstance(model, bytes | bytearray):
        model = interpreter(model)
    if isinstance(model, Interpreter):
        runner = model
        return time_call(lambda: predict(runner, x), repeats=repeats, warmup=max(warmup, 1))
    if callable(model):
        return time_call(lambda: model(x), repeats=repeats, warmup=warmup)
    raise ValueError(
        f"latency needs TFLite bytes, an interpreter or a callable model; got "
        f"{type(model).__name__}."
    )


def file_size(path: str | os.PathLike) -> int:
    """Bytes on disk of a file, or of every file under a directory (a SavedModel is a directory).

    >>> deploy.file_size("model.keras"), deploy.file_size("saved_model/")
    (3638660, 2454756)
    """
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    raise ValueError(f"{str(path)!r} is neither a file nor a directory.")
