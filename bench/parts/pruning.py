"""07_pruning's claims: accuracy and compressed size by sparsity."""

from __future__ import annotations

import numpy as np

from bench.core import Figure, Section, Sizes, digits_mlp
from hpclearn import data, pruning


def _magnitude_mask(weights: np.ndarray, sparsity: float) -> np.ndarray:
    mask = np.ones(weights.size, dtype=weights.dtype)
    mask[np.argsort(np.abs(weights).ravel(), kind="stable")[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)


def pruning_at(sizes: Sizes) -> Section:
    """07_pruning's experiment: a trained digits MLP pruned gradually, then fine-tuned."""
    section = Section("Pruning: accuracy and compressed size by sparsity")
    split, batch = data.digits(), 64
    dense = digits_mlp()
    dense.fit(split.x_train, split.y_train, epochs=sizes.train_epochs, batch_size=batch, verbose=0)
    dense_accuracy = dense.evaluate(split.x_test, split.y_test, verbose=0)[1]
    dense_size = pruning.gzip_size(dense)
    steps = -(-len(split.x_train) // batch) * max(1, (2 * sizes.train_epochs) // 5)
    curve = {0.0: 100 * dense_accuracy}
    section.add(
        Figure("pruning.dense_accuracy", "dense model, test accuracy", 100 * dense_accuracy, "%")
    )
    for target in sizes.sparsities:
        model = digits_mlp()
        model.set_weights(dense.get_weights())

        def schedule(step, target=target):
            return target * (1 - (1 - min(step, steps) / steps) ** 3)

        model.fit(
            split.x_train,
            split.y_train,
            epochs=max(1, (2 * sizes.train_epochs) // 5 + 2),
            batch_size=batch,
            verbose=0,
            callbacks=[pruning.MagnitudePruning(_magnitude_mask, schedule, frequency=5)],
        )
        accuracy = model.evaluate(split.x_test, split.y_test, verbose=0)[1]
        percent = round(100 * target)
        curve[pruning.sparsity(model)] = 100 * accuracy
        section.add(
            Figure(
                f"pruning.accuracy_change_{percent}",
                f"{percent} % sparse: accuracy change",
                100 * (accuracy - dense_accuracy),
                "points",
            ),
            Figure(
                f"pruning.gzip_ratio_{percent}",
                f"{percent} % sparse: gzip size, dense / pruned",
                dense_size / pruning.gzip_size(model),
                "×",
            ),
        )
    section.plot = curve
    section.notes.append(
        "One training run per sparsity (no repeats): accuracy differences "
        "below about half a point are within run-to-run noise."
    )
    return section
