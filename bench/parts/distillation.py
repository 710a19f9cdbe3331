"""08_distillation's claims, with the notebook's task and protocol: a distilled student against
one trained from scratch and one trained with label smoothing, over three seeds."""

from __future__ import annotations

import numpy as np

from bench.core import Figure, Section, Sizes, over_seeds
from hpclearn import data
from hpclearn._tf import keras, tf

TEACHER_PASSES, TEACHER_BATCH = 8, 64
PER_CLASS, STUDENT_BATCH, LEARNING_RATE = 10, 25, 1e-2
TEMPERATURE, ALPHA, SMOOTHING = 4.0, 0.1, 0.1


def _mlp(widths: list[int]) -> keras.Model:
    hidden = [keras.layers.Dense(w, activation="relu") for w in widths]
    return keras.Sequential([keras.Input((784,)), *hidden, keras.layers.Dense(10)])


def distillation(sizes: Sizes) -> Section:
    """08_distillation's experiment on `data.mnist`: one 784 → 512 → 512 → 10 teacher trained on
    all 4,000 labels (8 passes); per seed, 100 labelled images (10 per digit) and three
    784 → 32 → 10 students from the same initial weights, fed the same batches: from scratch,
    with label smoothing (ε = 0.1), and distilled with `keras.distillation` (T = 4, α = 0.1,
    KL divergence with its T² factor)."""
    section = Section("Distillation: a student taught by a teacher's outputs, against two controls")
    split = data.mnist()
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def accuracy(model: keras.Model) -> float:
        logits = model(split.x_test, training=False).numpy()
        return 100 * float(np.mean(logits.argmax(axis=1) == split.y_test))

    def fit(model, x, y, seed, batch, steps, loss, learning_rate):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
        batches = data.pipeline(x, y, batch_size=batch, shuffle_seed=seed).repeat()
        model.fit(batches, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)

    def smoothed_cross_entropy(labels, logits):
        one_hot = tf.one_hot(tf.cast(tf.reshape(labels, [-1]), tf.int32), 10)
        return keras.losses.categorical_crossentropy(
            one_hot, logits, from_logits=True, label_smoothing=SMOOTHING
        )

    # One teacher, as in 08: the students of every seed learn from the same one.
    keras.utils.set_random_seed(0)
    teacher = _mlp([512, 512])
    passes = min(TEACHER_PASSES, sizes.train_epochs)
    steps = passes * len(split.x_train) // TEACHER_BATCH
    fit(teacher, split.x_train, split.y_train, 0, TEACHER_BATCH, steps, cross_entropy, 1e-3)
    teacher_accuracy = accuracy(teacher)

    runs = []
    for seed in range(sizes.seeds):
        rng = np.random.default_rng(seed)
        index = np.concatenate(
            [rng.permutation(np.flatnonzero(split.y_train == c))[:PER_CLASS] for c in range(10)]
        )
        x, y = split.x_train[index], split.y_train[index]
        keras.utils.set_random_seed(seed)
        scratch, smoothed, student = _mlp([32]), _mlp([32]), _mlp([32])
        smoothed.set_weights(scratch.get_weights())
        student.set_weights(scratch.get_weights())
        train = (x, y, seed, STUDENT_BATCH, sizes.distill_steps)
        fit(scratch, *train, cross_entropy, LEARNING_RATE)
        fit(smoothed, *train, smoothed_cross_entropy, LEARNING_RATE)
        distiller = keras.distillation.Distiller(
            teacher=teacher,
            student=student,
            distillation_losses=keras.distillation.LogitsDistillation(
                TEMPERATURE, loss=keras.losses.KLDivergence()
            ),
            student_loss_weight=ALPHA,
        )
        fit(distiller, *train, cross_entropy, LEARNING_RATE)
        runs.append(
            {
                "scratch": accuracy(scratch),
                "smoothed": accuracy(smoothed),
                "distilled": accuracy(student),
            }
        )

    def column(kind: str) -> list[float]:
        return [run[kind] for run in runs]

    gains = [run["distilled"] - run["scratch"] for run in runs]
    over_smoothing = [run["distilled"] - run["smoothed"] for run in runs]
    closed = [
        100 * (run["distilled"] - run["scratch"]) / (teacher_accuracy - run["scratch"])
        if teacher_accuracy > run["scratch"]
        else 0.0
        for run in runs
    ]
    section.add(
        Figure("distillation.teacher_accuracy", "teacher, test accuracy", teacher_accuracy, "%"),
        over_seeds("distillation.scratch_accuracy", "student from scratch", column("scratch"), "%"),
        over_seeds(
            "distillation.smoothed_accuracy",
            "student with label smoothing (control)",
            column("smoothed"),
            "%",
        ),
        over_seeds(
            "distillation.distilled_accuracy", "distilled student", column("distilled"), "%"
        ),
        over_seeds("distillation.gain", "distilled − scratch (paired by seed)", gains, "points"),
        Figure(
            "distillation.gain_min",
            "distilled − scratch, the smallest over the seeds",
            min(gains),
            "points",
        ),
        over_seeds(
            "distillation.over_smoothing",
            "distilled − label smoothing (paired by seed)",
            over_smoothing,
            "points",
        ),
        Figure(
            "distillation.over_smoothing_min",
            "distilled − label smoothing, the smallest over the seeds",
            min(over_smoothing),
            "points",
        ),
        over_seeds(
            "distillation.gap_closed", "share of the teacher–scratch gap closed", closed, "%"
        ),
        Figure(
            "distillation.parameter_ratio",
            "parameters, teacher / student",
            teacher.count_params() / scratch.count_params(),
            "×",
        ),
    )
    section.notes.append(
        "data.mnist (4,000 training, 1,000 test digits; one test digit is 0.1 point). One "
        f"teacher trained on every label for {passes} pass(es); {sizes.seeds} seed(s), each "
        "drawing its own "
        f"{10 * PER_CLASS} labelled images; per seed the three students start from the same "
        f"weights and see the same {sizes.distill_steps} batches of {STUDENT_BATCH}. Accuracies "
        "over seeds are mean ± standard error (SE); differences are paired by seed. "
        "distilled − scratch by seed: "
        + ", ".join(f"{g:+.1f}" for g in gains)
        + " points; gap closed by seed: "
        + ", ".join(f"{c:.0f} %" for c in closed)
        + "."
    )
    return section
