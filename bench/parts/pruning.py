"""07_pruning's claims, with the notebook's task and protocol: accuracy and size by sparsity."""

from __future__ import annotations

import numpy as np

from bench.core import Section, Sizes, over_seeds
from hpclearn import data, pruning
from hpclearn._tf import keras

BATCH, DENSE_EPOCHS, PRUNE_EPOCHS, RAMP_EPOCHS = 256, 10, 3, 2


def _magnitude_mask(weights: np.ndarray, sparsity: float) -> np.ndarray:
    mask = np.ones(weights.size, dtype=np.float32)
    mask[np.argsort(np.abs(weights).ravel(), kind="stable")[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)


def _mnist_mlp() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _bitmask_bytes(model: keras.Model) -> int:
    """A bitmask per kernel plus its non-zero float32 values; biases stored dense."""
    total = 0
    for weights in model.get_weights():
        if weights.ndim == 2:
            total += -(-weights.size // 8) + 4 * int(np.count_nonzero(weights))
        else:
            total += 4 * weights.size
    return total


def pruning_at(sizes: Sizes) -> Section:
    """07_pruning's experiment: each seed's dense MNIST MLP (784-256-256-10, 10 epochs) pruned
    gradually (polynomial schedule over 2 epochs, uniform per layer) while it trains 3 more."""
    section = Section("Pruning: accuracy and stored size by sparsity")
    split = data.mnist()
    epochs = min(DENSE_EPOCHS, sizes.train_epochs)
    steps_per_epoch = -(-len(split.x_train) // BATCH)

    def accuracy(model: keras.Model) -> float:
        logits = model(split.x_test, training=False)
        return 100 * float(np.mean(np.argmax(logits, axis=1) == split.y_test))

    dense_weights, dense_accuracy, dense_gzip = [], [], []
    for seed in range(sizes.seeds):
        keras.utils.set_random_seed(seed)
        dense = _mnist_mlp()
        dense.fit(split.x_train, split.y_train, epochs=epochs, batch_size=BATCH, verbose=0)
        dense_weights.append(dense.get_weights())
        dense_accuracy.append(accuracy(dense))
        dense_gzip.append(pruning.gzip_size(dense))
    dense_bytes = 4 * dense.count_params()

    section.add(
        over_seeds("pruning.dense_accuracy", "dense model, test accuracy", dense_accuracy, "%")
    )
    curve = {0.0: float(np.mean(dense_accuracy))}
    for target in sizes.sparsities:
        ramp = RAMP_EPOCHS * steps_per_epoch

        def schedule(step, target=target, ramp=ramp):
            return target * (1 - (1 - min(step, ramp) / ramp) ** 3)

        changes, gzip_ratios, bitmask_ratios = [], [], []
        for seed, weights in enumerate(dense_weights):
            keras.utils.set_random_seed(100 + seed)
            model = _mnist_mlp()
            model.set_weights(weights)
            model.fit(
                split.x_train,
                split.y_train,
                epochs=max(1, min(PRUNE_EPOCHS, sizes.train_epochs)),
                batch_size=BATCH,
                verbose=0,
                callbacks=[pruning.MagnitudePruning(_magnitude_mask, schedule, frequency=5)],
            )
            # Paired by seed: the same dense model before and after pruning.
            changes.append(accuracy(model) - dense_accuracy[seed])
            gzip_ratios.append(dense_gzip[seed] / pruning.gzip_size(model))
            bitmask_ratios.append(dense_bytes / _bitmask_bytes(model))
        percent = round(100 * target)
        curve[target] = curve[0.0] + float(np.mean(changes))
        section.add(
            over_seeds(
                f"pruning.accuracy_change_{percent}",
                f"{percent} % sparse: accuracy change (paired by seed)",
                changes,
                "points",
            ),
            over_seeds(
                f"pruning.gzip_ratio_{percent}",
                f"{percent} % sparse: gzip size, dense / pruned",
                gzip_ratios,
                "×",
            ),
            over_seeds(
                f"pruning.bitmask_ratio_{percent}",
                f"{percent} % sparse: bitmask + values, dense float32 / sparse",
                bitmask_ratios,
                "×",
            ),
        )
    section.plot = curve
    section.notes.append(
        f"data.mnist (4,000 training, 1,000 test digits; one test digit is 0.1 point); "
        f"{sizes.seeds} seed(s), each its own dense model; mean ± standard error (SE) over the "
        "seeds. "
        "An accuracy change is the pruned model's minus its own dense model's."
    )
    return section
