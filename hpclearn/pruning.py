"""Pruning plumbing for Keras 3 models: a callback that keeps kernels masked while they train,
sparsity and compressed-size reports, and the surgery that removes whole neurons.

The ideas a student must see (the magnitude mask, the sparsity schedule, the neuron scores) are
the notebook's exercises; this module takes them as functions and does the bookkeeping.
TensorFlow Model Optimization's pruning works only with legacy Keras 2 models (`tf_keras`), so
the course prunes natively: the mask lives in the callback and the model stays a plain Keras
model, with nothing to strip before export.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable, Sequence

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from hpclearn._tf import keras, silenced_stderr, tf

__all__ = [
    "MagnitudePruning",
    "gzip_size",
    "prunable_kernels",
    "remove_neurons",
    "sparse_tflite",
    "sparsity",
    "tflite_ops",
]

MaskFunction = Callable[[np.ndarray, float], np.ndarray]
Schedule = Callable[[int], float]


def prunable_kernels(model: keras.Model) -> list[keras.Variable]:
    """The kernels of the model's Dense and Conv layers: the weights pruning acts on (biases and
    normalisation parameters are few and stay dense).

    >>> [k.path for k in pruning.prunable_kernels(model)]
    ['dense/kernel', 'dense_1/kernel']
    """
    kernels, layers = [], list(model.layers)
    while layers:
        layer = layers.pop(0)
        if isinstance(layer, keras.layers.Dense | keras.layers.Conv1D | keras.layers.Conv2D):
            kernels.append(layer.kernel)
        layers[:0] = getattr(layer, "layers", [])  # a nested model's layers, in order
    if not kernels:
        raise ValueError(f"{model.name} has no Dense or Conv layer to prune.")
    return kernels


class MagnitudePruning(keras.callbacks.Callback):
    """Prune the model's kernels during `fit`, following a sparsity schedule.

    Every `frequency` training steps the callback asks `schedule(step)` for the target sparsity
    and recomputes each kernel's mask with `mask_fn(kernel_values, sparsity)` (1 keeps a weight,
    0 removes it). After every step it multiplies the kernels by their masks again, so weights
    that the optimizer moved away from zero are removed again. `masks` holds the current masks.

    >>> callback = pruning.MagnitudePruning(magnitude_mask, lambda step: min(0.8, step / 500))
    >>> model.fit(x, y, epochs=5, callbacks=[callback])
    """

    def __init__(self, mask_fn: MaskFunction, schedule: Schedule, *, frequency: int = 1) -> None:
        super().__init__()
        if not callable(mask_fn) or not callable(schedule):
            raise ValueError(
                "mask_fn and schedule must be functions: (weights, sparsity) -> mask "
                "and step -> sparsity."
            )
        if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 1:
            raise ValueError(f"frequency must be a whole number of steps ≥ 1; got {frequency!r}.")
        self.mask_fn = mask_fn
        self.schedule = schedule
        self.frequency = frequency
        self.step = 0
        self.masks: list[np.ndarray] = []
        self._kernels: list[keras.Variable] = []
        self._mask_tensors: list[tf.Tensor] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._kernels = prunable_kernels(self.model)
        self.masks = [np.ones(tuple(k.shape), dtype=k.dtype) for k in self._kernels]
        self._update_masks()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        if self.step % self.frequency == 0:
            self._update_masks()
        else:
            self._apply_masks()

    def _update_masks(self) -> None:
        target = float(self.schedule(self.step))
        if not 0.0 <= target <= 1.0:
            raise ValueError(
                f"the schedule gave sparsity {target} at step {self.step}; a "
                "sparsity is a fraction between 0 and 1."
            )
        for i, kernel in enumerate(self._kernels):
            values = np.asarray(kernel.numpy())
            mask = np.asarray(self.mask_fn(values, target))
            if mask.shape != values.shape:
                raise ValueError(
                    f"mask_fn returned a mask of shape {mask.shape} for a kernel of "
                    f"shape {values.shape}; it must return one of the same shape."
                )
            # A weight once removed stays removed: the schedule only ever adds zeros.
            self.masks[i] = (mask != 0).astype(values.dtype) * self.masks[i]
        self._mask_tensors = [tf.constant(mask) for mask in self.masks]
        self._apply_masks()

    def _apply_masks(self) -> None:
        for kernel, mask in zip(self._kernels, self._mask_tensors, strict=True):
            kernel.assign(kernel.value * mask)


def sparsity(model: keras.Model) -> float:
    """Fraction of the prunable kernels' weights that are exactly zero.

    >>> pruning.sparsity(model)
    0.8
    """
    kernels = [np.asarray(k.numpy()) for k in prunable_kernels(model)]
    zeros = sum(int((k == 0).sum()) for k in kernels)
    return zeros / sum(k.size for k in kernels)


def gzip_size(model: keras.Model) -> int:
    """Bytes of all the model's weights (float32, in order) after gzip at its highest level: what
    a sparse model saves on disk and on the wire, where zeros compress and dense weights do not.

    >>> pruning.gzip_size(model) / pruning.gzip_size(pruned_model)
    3.9
    """
    raw = b"".join(np.asarray(w, dtype=np.float32).tobytes() for w in model.get_weights())
    return len(gzip.compress(raw, compresslevel=9, mtime=0))


def sparse_tflite(model: keras.Model) -> bytes:
    """The float `.tflite` flatbuffer of `model` with its mostly-zero kernels stored in TFLite's
    sparse format (`tf.lite.Optimize.EXPERIMENTAL_SPARSITY`): only the non-zero weights and
    their positions are written. Whether the runtime also computes with them sparsely is another
    matter: see `tflite_ops`.

    >>> len(pruning.sparse_tflite(pruned_model)) / len(deploy.to_tflite(pruned_model))
    0.29
    """
    with tempfile.TemporaryDirectory() as directory, silenced_stderr():
        model.export(directory, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(directory)
        converter.optimizations = [tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
        return converter.convert()


def tflite_ops(tflite: bytes) -> list[str]:
    """The operators a LiteRT interpreter runs for the flatbuffer `tflite`, in order (a
    `DENSIFY` op turns a sparse kernel back into a dense one when the model is loaded).

    >>> pruning.tflite_ops(pruning.sparse_tflite(pruned_model))
    ['DENSIFY', 'FULLY_CONNECTED', ..., 'DELEGATE']
    """
    if not isinstance(tflite, bytes | bytearray):
        raise ValueError(f"tflite_ops needs a model's bytes; got {type(tflite).__name__}.")
    with silenced_stderr():
        runner = Interpreter(model_content=bytes(tflite))
        runner.allocate_tensors()
    # The interpreter lists its operators only through this underscored method.
    return [op["op_name"] for op in runner._get_ops_details()]


def remove_neurons(model: keras.Sequential, layer_index: int, keep: Sequence[int]) -> keras.Model:
    """A copy of a Sequential stack of Dense layers in which Dense layer `layer_index` keeps only
    the output neurons `keep`; the next Dense layer loses the matching input rows. The result is
    a smaller dense model: fewer multiply-adds, not zeros.

    >>> smaller = pruning.remove_neurons(model, 0, keep=[0, 2, 3])
    """
    layers = list(model.layers)
    if not all(isinstance(layer, keras.layers.Dense) for layer in layers):
        raise ValueError("remove_neurons works on a Sequential model of Dense layers only.")
    if not 0 <= layer_index < len(layers) - 1:
        raise ValueError(
            f"layer_index must name a hidden layer, 0..{len(layers) - 2}; got "
            f"{layer_index} (the output layer's neurons are the classes)."
        )
    units = layers[layer_index].units
    keep = sorted({int(i) for i in keep})
    if not keep or keep[0] < 0 or keep[-1] >= units:
        raise ValueError(f"keep must name at least one neuron from 0 to {units - 1}; got {keep}.")
    weights = [layer.get_weights() for layer in layers]
    kernel, bias = weights[layer_index]
    weights[layer_index] = [kernel[:, keep], bias[keep]]
    next_kernel, next_bias = weights[layer_index + 1]
    weights[layer_index + 1] = [next_kernel[keep, :], next_bias]
    smaller = keras.Sequential(name=f"{model.name}_smaller")
    smaller.add(keras.Input(shape=model.input_shape[1:]))
    for i, layer in enumerate(layers):
        config = layer.get_config()
        if i == layer_index:
            config["units"] = len(keep)
        config.pop("name", None)
        smaller.add(keras.layers.Dense.from_config(config))
    for layer, layer_weights in zip(smaller.layers, weights, strict=True):
        layer.set_weights(layer_weights)
    return smaller
