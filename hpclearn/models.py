"""The course's models, as plain Keras 3 models, returned uncompiled.

Compiling (optimizer, loss, metrics) is part of each lesson, so it stays in the notebooks.
"""

from __future__ import annotations

from hpclearn._tf import keras

__all__ = ["lenet", "simple_net"]


def simple_net(input_dim: int, *, hidden_units: int = 10) -> keras.Model:
    """The source article's SimpleNet: two ReLU layers and one sigmoid unit (binary classifier).

    Outputs the probability of class 1, so pair it with `binary_crossentropy`.

    >>> model = models.simple_net(20); model.count_params()
    331
    """
    if input_dim < 1 or hidden_units < 1:
        raise ValueError(
            f"input_dim and hidden_units must be positive; got {input_dim} and {hidden_units}."
        )
    return keras.Sequential(
        [
            keras.Input(shape=(input_dim,)),
            keras.layers.Dense(hidden_units, activation="relu"),
            keras.layers.Dense(hidden_units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="simple_net",
    )


def lenet(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10) -> keras.Model:
    """LeNet-5 as in the source article, which copies PyTorch's CIFAR-10 tutorial: two 5×5 conv
    + max-pool stages with ReLU, then 120-84-classes. LeCun et al.'s 1998 original differs
    (scaled tanh units, trainable subsampling instead of max-pooling, a partially connected
    second convolution C3, a third convolution C5 fully connected to the second stage where this
    variant has its 120-unit dense layer, RBF outputs).

    Outputs logits (no softmax), so pair it with a loss built with `from_logits=True`. Images
    must be at least 16×16 for the two valid 5×5 convolutions and pools to fit.

    >>> model = models.lenet((32, 32, 3), num_classes=10); model.count_params()
    62006
    """
    height, width, _ = input_shape
    if min(height, width) < 16:
        raise ValueError(
            f"LeNet needs images of at least 16×16 pixels; got {height}×{width}. For the 8×8 "
            "digits use a dense model, or resize the images first."
        )
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2; got {num_classes}.")
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Conv2D(6, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(120, activation="relu"),
            keras.layers.Dense(84, activation="relu"),
            keras.layers.Dense(num_classes),
        ],
        name="lenet",
    )
