"""08_distillation's claims: a distilled student against one trained from scratch."""

from __future__ import annotations

import statistics

import numpy as np

from bench.core import Figure, Section, Sizes, _iqr
from hpclearn import data
from hpclearn._tf import keras


def distillation(sizes: Sizes) -> Section:
    """08_distillation's experiment: a 64 → 32 → 10 student trained on 100 labelled digits from
    scratch, and distilled from a 64 → 512 → 512 → 10 teacher trained on all of them, with
    `keras.distillation` (T = 4, α = 0.1, KL divergence with its T² factor)."""
    section = Section("Distillation: the share of the student–teacher gap closed")
    split = data.digits()
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    temperature, alpha, batch, per_class = 4.0, 0.1, 25, 10

    def mlp(widths):
        hidden = [keras.layers.Dense(w, activation="relu") for w in widths]
        return keras.Sequential([keras.Input((64,)), *hidden, keras.layers.Dense(10)])

    def accuracy(model):
        logits = model(split.x_test, training=False).numpy()
        return 100 * float(np.mean(logits.argmax(axis=1) == split.y_test))

    def fit(model, x, y, seed, epochs):
        batches = data.pipeline(x, y, batch_size=batch, shuffle_seed=seed).repeat()
        model.fit(batches, epochs=epochs, steps_per_epoch=len(x) // batch, shuffle=False, verbose=0)

    teacher_accuracies, scratch_accuracies, distilled_accuracies, closed = [], [], [], []
    for seed in range(sizes.distill_seeds):
        # Each seed trains its own teacher: how much a student can gain depends on it.
        keras.utils.set_random_seed(seed)
        teacher = mlp([512, 512])
        teacher.compile(optimizer=keras.optimizers.Adam(1e-3), loss=cross_entropy)
        fit(teacher, split.x_train, split.y_train, seed, sizes.train_epochs)
        teacher_accuracies.append(accuracy(teacher))
        rng = np.random.default_rng(seed)
        index = np.concatenate(
            [rng.permutation(np.flatnonzero(split.y_train == c))[:per_class] for c in range(10)]
        )
        x, y = split.x_train[index], split.y_train[index]
        keras.utils.set_random_seed(seed)
        scratch, student = mlp([32]), mlp([32])
        student.set_weights(scratch.get_weights())
        scratch.compile(optimizer=keras.optimizers.Adam(1e-2), loss=cross_entropy)
        fit(scratch, x, y, seed, sizes.distill_epochs)
        distiller = keras.distillation.Distiller(
            teacher=teacher,
            student=student,
            distillation_losses=keras.distillation.LogitsDistillation(
                temperature, loss=keras.losses.KLDivergence()
            ),
            student_loss_weight=alpha,
        )
        distiller.compile(optimizer=keras.optimizers.Adam(1e-2), loss=cross_entropy)
        fit(distiller, x, y, seed, sizes.distill_epochs)
        scratch_accuracies.append(accuracy(scratch))
        distilled_accuracies.append(accuracy(student))
        gap = teacher_accuracies[-1] - scratch_accuracies[-1]
        closed.append(
            100 * (distilled_accuracies[-1] - scratch_accuracies[-1]) / gap if gap > 0 else 0.0
        )

    def over_seeds(key, label, values, unit):
        return Figure(key, label, statistics.median(values), unit, _iqr(values), len(values))

    section.add(
        over_seeds(
            "distillation.teacher_accuracy", "teacher, test accuracy", teacher_accuracies, "%"
        ),
        over_seeds(
            "distillation.scratch_accuracy",
            "student from scratch, test accuracy",
            scratch_accuracies,
            "%",
        ),
        over_seeds(
            "distillation.distilled_accuracy",
            "distilled student, test accuracy",
            distilled_accuracies,
            "%",
        ),
        over_seeds("distillation.gap_closed", "share of the gap closed", closed, "%"),
        Figure(
            "distillation.parameter_ratio",
            "parameters, teacher / student",
            teacher.count_params() / scratch.count_params(),
            "×",
        ),
    )
    section.notes.append(
        f"Medians over {sizes.distill_seeds} seed(s): each seed draws its own {10 * per_class} "
        f"labelled images and trains its own teacher; both students start from the same weights "
        f"and see the same batches for {sizes.distill_epochs} epochs. A seed whose scratch "
        "student matches its teacher counts as 0 % closed. Gap closed by seed: "
        + ", ".join(f"{c:.0f} %" for c in closed)
        + "."
    )
    return section
