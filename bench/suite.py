"""The measurements behind every performance claim of the course, one function per claim.

Each function takes the run's `Sizes` and returns `Figure`s: a value with its unit, the spread
(interquartile range) over its repeats, and how many repeats there were. Ratios are measured side
by side in one run: the alternatives take turns (`bench.side_by_side`), and a ratio is the median
of the per-round ratios, so load from other programs slows both sides alike.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hpclearn import bench, cluster, data, deploy, devices, pruning
from hpclearn._tf import keras, silenced_stderr, tf

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course" / "source"


@dataclass(frozen=True)
class Sizes:
    """How big each workload is: `full` for the report, `smoke` for the test suite."""

    matmul_n: int
    bandwidth_mb: int
    repeats: int
    images: int
    image_size: int
    pipeline_epochs: int
    parallel_batch: int
    parallel_steps: int
    model_width: int
    train_epochs: int
    sparsities: tuple[float, ...]
    replicas: tuple[int, ...]
    distill_seeds: int
    distill_epochs: int
    workers: bool
    notebooks: tuple[Path, ...]


SIZES = {
    "full": Sizes(
        matmul_n=2048,
        bandwidth_mb=256,
        repeats=7,
        images=800,
        image_size=96,
        pipeline_epochs=6,
        parallel_batch=512,
        parallel_steps=6,
        model_width=1024,
        train_epochs=15,
        sparsities=(0.5, 0.8, 0.9),
        replicas=(1, 2, 4),
        distill_seeds=5,
        distill_epochs=120,
        workers=True,
        notebooks=tuple(sorted(COURSE.glob("[0-9]*/[0-9]*.ipynb"))),
    ),
    "smoke": Sizes(
        matmul_n=128,
        bandwidth_mb=8,
        repeats=2,
        images=48,
        image_size=32,
        pipeline_epochs=1,
        parallel_batch=64,
        parallel_steps=2,
        model_width=64,
        train_epochs=1,
        sparsities=(0.8,),
        replicas=(1, 2),
        distill_seeds=1,
        distill_epochs=2,
        workers=False,
        notebooks=(ROOT / "tests" / "fixtures" / "course" / "source" / "toy" / "toy.ipynb",),
    ),
}


@dataclass(frozen=True)
class Figure:
    """One measured quantity: `value` is the median over `repeats`, `spread` the IQR."""

    key: str
    label: str
    value: float
    unit: str
    spread: float = 0.0
    repeats: int = 1


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plot: dict = field(default_factory=dict)  # what the report draws, as plain data

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
        }


def _iqr(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def rate(key: str, label: str, work: float, timing: bench.Timing, unit: str) -> Figure:
    """`work` per second at each repeat's time: median and spread of the rates."""
    rates = [work / t for t in timing.times]
    return Figure(key, label, statistics.median(rates), unit, _iqr(rates), timing.repeats)


def ratio(key: str, label: str, slow: bench.Timing, fast: bench.Timing) -> Figure:
    """How many times faster `fast` ran than `slow`, round by round (side-by-side timings)."""
    ratios = [s / f for s, f in zip(slow.times, fast.times, strict=True)]
    return Figure(key, label, statistics.median(ratios), "×", _iqr(ratios), len(ratios))


# ----------------------------------------------------------------------------- the ceilings


def blas_libraries() -> list[str]:
    """NumPy's BLAS libraries as "name version (kernels)"."""
    return [
        f"{lib['internal_api']} {lib['version']} ({lib['architecture']})"
        for lib in bench.blas_info()
        if lib["version"]  # OpenMP runtimes report no version: not a BLAS
    ]


def matmul(sizes: Sizes) -> Section:
    n = sizes.matmul_n
    section = Section("Matrix products and memory bandwidth: the roofline's two ceilings")
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float64).astype(np.float32) for _ in range(2))
    ta, tb = tf.constant(a), tf.constant(b)
    ta16, tb16 = tf.cast(ta, tf.bfloat16), tf.cast(tb, tf.bfloat16)
    tf32_product = tf.function(lambda: tf.linalg.matmul(ta, tb)[0, 0], jit_compile=False)
    bf16_product = tf.function(lambda: tf.linalg.matmul(ta16, tb16)[0, 0], jit_compile=False)
    timings = bench.side_by_side(
        {
            "numpy": lambda: lambda: a @ b,
            "tf32": lambda: tf32_product,
            "bf16": lambda: bf16_product,
        },
        repeats=sizes.repeats,
    )
    flops = 2 * n**3
    section.add(
        rate(
            "matmul.numpy_fp32",
            f"NumPy/BLAS float32 matmul, n={n}",
            flops / 1e9,
            timings["numpy"],
            "GFLOP/s",
        ),
        rate(
            "matmul.tf_fp32",
            f"TensorFlow float32 matmul, n={n}",
            flops / 1e9,
            timings["tf32"],
            "GFLOP/s",
        ),
        rate(
            "matmul.tf_bf16",
            f"TensorFlow bfloat16 matmul, n={n}",
            flops / 1e9,
            timings["bf16"],
            "GFLOP/s",
        ),
        ratio(
            "matmul.tf_vs_blas",
            "TensorFlow float32 / NumPy float32 speed",
            timings["numpy"],
            timings["tf32"],
        ),
        ratio(
            "matmul.bf16_vs_fp32",
            "TensorFlow bfloat16 / float32 speed",
            timings["tf32"],
            timings["bf16"],
        ),
    )
    # The roofline's bandwidth is a ceiling: STREAM's kernels on every core, as 00_hardware
    # measures it; a one-thread copy beside it shows how far one core falls short.
    streams = {
        kernel: bench.stream_bandwidth(kernel, megabytes=sizes.bandwidth_mb, repeats=sizes.repeats)
        for kernel in ("copy", "triad")
    }
    best = max(streams.values(), key=lambda s: s.best_gbs)
    section.add(
        rate(
            "memory.bandwidth",
            f"STREAM {best.kernel} on {best.threads} threads, {sizes.bandwidth_mb} MiB arrays",
            best.bytes_moved / 1e9,
            best.timing,
            "GB/s",
        )
    )
    _, copy = bench.memory_bandwidth(sizes.bandwidth_mb, repeats=sizes.repeats)
    section.add(
        rate(
            "memory.copy_one_thread",
            f"NumPy copy of {sizes.bandwidth_mb} MiB on one thread (read + write)",
            2 * sizes.bandwidth_mb * 2**20 / 1e9,
            copy,
            "GB/s",
        )
    )
    section.notes.append(f"NumPy's BLAS: {', '.join(blas_libraries()) or 'unknown'}.")
    return section


# ----------------------------------------------------------------------------- tf.data


def input_pipeline(sizes: Sizes) -> Section:
    """02_input_pipelines' workload: JPEG records (some broken) decoded and resized, feeding a
    stand-in accelerator that takes 4 ms a batch."""
    section = Section("tf.data: naive vs optimised input pipeline")
    photos = data.rgb_images(sizes.images, size=sizes.image_size, test_fraction=0.2)
    records = [
        tf.io.encode_jpeg(tf.cast(im * 255, tf.uint8), quality=90).numpy() for im in photos.x_train
    ]
    for i in range(0, len(records), 50):
        records[i] = b"<html>404 Not Found</html>"
    records, labels = np.array(records, dtype=object), photos.y_train
    step_seconds, batch = 0.004, 128
    no_rewrites = tf.data.Options()
    no_rewrites.experimental_optimization.apply_default_optimizations = False

    def is_jpeg(record, label):
        return tf.strings.substr(record, 0, 3) == b"\xff\xd8\xff"

    def decode(record, label):
        image = tf.image.convert_image_dtype(tf.io.decode_jpeg(record, channels=3), tf.float32)
        return tf.image.per_image_standardization(tf.image.resize(image, (48, 48))), label

    def source():
        return tf.data.Dataset.from_tensor_slices((records, labels)).filter(is_jpeg)

    def epochs_of(dataset):
        def train():
            for _ in dataset.repeat(sizes.pipeline_epochs):
                time.sleep(step_seconds)

        return train

    timings = bench.side_by_side(
        {
            "naive": lambda: epochs_of(source().map(decode).batch(batch).with_options(no_rewrites)),
            "optimised": lambda: epochs_of(
                source()
                .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
                .cache()
                .batch(batch)
                .prefetch(tf.data.AUTOTUNE)
            ),
        },
        repeats=max(2, sizes.repeats // 2),
        warmup=0,
    )
    images = sizes.pipeline_epochs * sum(1 for r in records if r.startswith(b"\xff\xd8\xff"))
    section.add(
        rate("tfdata.naive", "naive pipeline", images, timings["naive"], "images/s"),
        rate(
            "tfdata.optimised",
            "parallel map + cache + prefetch",
            images,
            timings["optimised"],
            "images/s",
        ),
        ratio(
            "tfdata.speedup", "optimised / naive throughput", timings["naive"], timings["optimised"]
        ),
    )
    return section


# ----------------------------------------------------------------------------- data parallel


def data_parallel(sizes: Sizes) -> Section:
    """03_data_parallelism's scaling table: one epoch of an MLP at a fixed global batch."""
    section = Section("Data parallelism: throughput by number of replicas")
    gpus = tf.config.list_logical_devices("GPU")
    available = len(gpus) or len(tf.config.list_logical_devices("CPU"))
    counts = [r for r in sizes.replicas if r <= available]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(sizes.parallel_batch * sizes.parallel_steps, 256)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)

    def epoch(replicas):
        with devices.strategy("mirrored", num_replicas=replicas).scope():
            model = keras.Sequential(
                [keras.Input((256,))]
                + [keras.layers.Dense(512, activation="relu") for _ in range(3)]
                + [keras.layers.Dense(2)]
            )
            model.compile(
                optimizer=keras.optimizers.SGD(0.01),
                jit_compile=False,
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
        return lambda: model.fit(
            x, y, batch_size=sizes.parallel_batch, epochs=1, shuffle=False, verbose=0
        )

    prepared = {r: epoch(r) for r in counts}
    timings = bench.side_by_side(
        {r: (lambda r=r: prepared[r]) for r in counts}, repeats=max(2, sizes.repeats // 2)
    )
    kind = f"{len(gpus)} GPUs" if gpus else "simulated CPU devices"
    for r in counts:
        section.add(
            rate(
                f"parallel.replicas_{r}",
                f"{r} replica(s) ({kind})",
                len(x),
                timings[r],
                "samples/s",
            )
        )
    for r in counts[1:]:
        section.add(
            ratio(
                f"parallel.speedup_{r}",
                f"{r} replicas / 1 replica throughput",
                timings[1],
                timings[r],
            )
        )
    section.plot = {r: statistics.median(len(x) / t for t in timings[r].times) for r in counts}
    if not gpus:
        section.notes.append(
            "Simulated devices share the same cores: more replicas add "
            "communication and no compute, so throughput falls (03 explains)."
        )
    return section


# ----------------------------------------------------------------------------- XLA and bf16


def xla_and_precision(sizes: Sizes) -> Section:
    """A course MLP's training step, compiled by TensorFlow or XLA, in float32 or bfloat16."""
    section = Section("XLA and mixed precision on a course model")
    width, batch, steps = sizes.model_width, 256, 10
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, 64)), tf.float32)
    y = tf.constant(rng.integers(0, 10, size=batch), tf.int32)

    def train_steps(policy, jit_compile):
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = keras.Sequential(
                [
                    keras.Input((64,)),
                    keras.layers.Dense(width, activation="relu"),
                    keras.layers.Dense(width, activation="relu"),
                    keras.layers.Dense(10),
                    keras.layers.Activation("linear", dtype="float32"),
                ]
            )
        finally:
            keras.mixed_precision.set_global_policy("float32")
        optimizer = keras.optimizers.SGD(0.01)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function(jit_compile=jit_compile)
        def step():
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            return loss

        def run():
            for _ in range(steps):
                loss = step()
            return loss

        return run

    prepared = {
        (p, j): train_steps(p, j) for p in ("float32", "mixed_bfloat16") for j in (False, True)
    }
    timings = bench.side_by_side(
        {k: (lambda k=k: prepared[k]) for k in prepared}, repeats=sizes.repeats
    )
    for (policy, jit), timing in timings.items():
        section.add(
            rate(
                f"train.{policy}_{'xla' if jit else 'tf'}",
                f"{policy}, {'XLA' if jit else 'TensorFlow kernels'}",
                steps * batch,
                timing,
                "samples/s",
            )
        )
    section.add(
        ratio(
            "train.xla_vs_tf",
            "XLA / TensorFlow kernels, float32 training step",
            timings["float32", False],
            timings["float32", True],
        ),
        ratio(
            "train.bf16_vs_fp32",
            "mixed_bfloat16 / float32 training step (no XLA)",
            timings["float32", False],
            timings["mixed_bfloat16", False],
        ),
    )
    section.notes.append(
        f"MLP 64 → {width} → {width} → 10, batch {batch}, {steps} steps per "
        "repeat. Keras's own jit_compile='auto' turns XLA off on a CPU-only "
        "machine, so the steps are compiled with tf.function here."
    )
    return section


# ----------------------------------------------------------------------------- pruning


def _magnitude_mask(weights: np.ndarray, sparsity: float) -> np.ndarray:
    mask = np.ones(weights.size, dtype=weights.dtype)
    mask[np.argsort(np.abs(weights).ravel(), kind="stable")[: round(sparsity * weights.size)]] = 0
    return mask.reshape(weights.shape)


def _digits_mlp(hidden: int = 256) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        metrics=["accuracy"],
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def pruning_at(sizes: Sizes) -> Section:
    """07_pruning's experiment: a trained digits MLP pruned gradually, then fine-tuned."""
    section = Section("Pruning: accuracy and compressed size by sparsity")
    split, batch = data.digits(), 64
    dense = _digits_mlp()
    dense.fit(split.x_train, split.y_train, epochs=sizes.train_epochs, batch_size=batch, verbose=0)
    dense_accuracy = dense.evaluate(split.x_test, split.y_test, verbose=0)[1]
    dense_size = pruning.gzip_size(dense)
    steps = -(-len(split.x_train) // batch) * max(1, (2 * sizes.train_epochs) // 5)
    curve = {0.0: 100 * dense_accuracy}
    section.add(
        Figure("pruning.dense_accuracy", "dense model, test accuracy", 100 * dense_accuracy, "%")
    )
    for target in sizes.sparsities:
        model = _digits_mlp()
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


# ----------------------------------------------------------------------------- quantization


def per_call(key: str, label: str, timing: bench.Timing, calls: int) -> Figure:
    """Microseconds per call when each repeat of `timing` made `calls` calls."""
    micros = [1e6 * t / calls for t in timing.times]
    return Figure(key, label, statistics.median(micros), "µs", _iqr(micros), timing.repeats)


def quantization(sizes: Sizes) -> Section:
    """09_deployment's experiment: a digits MLP (64 → 512 → 512 → 10) converted to TFLite in
    float32 and in full int8, both run on LiteRT's interpreter."""
    section = Section("Quantization: int8 TFLite against float32")
    split = data.digits()
    keras.utils.set_random_seed(0)
    model = _digits_mlp(hidden=512)
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


# ----------------------------------------------------------------------------- distillation


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


# ----------------------------------------------------------------------------- multi-worker


def multi_worker(sizes: Sizes) -> Section:
    """04_multi_worker's job: 2 worker processes on localhost against 1, same global batch."""
    section = Section("Multi-worker training on localhost")
    if not sizes.workers:
        section.notes.append("Skipped at this size.")
        return section
    script = COURSE / "04_multi_worker" / "train.py"
    runs = {}
    for workers in (1, 2):
        out = Path(tempfile.mkdtemp(prefix=f"bench-{workers}-workers-"))
        with cluster.Cluster(script, workers=workers, args=["--epochs", "4", "--out", out]) as job:
            results = job.start().wait(timeout=300)
        if not all(r.ok for r in results):
            raise RuntimeError(f"the {workers}-worker job failed:\n{results[0].log[-2000:]}")
        summary = json.loads((out / "summary.json").read_text())
        runs[workers] = (summary, max(r.seconds for r in results))
    for workers, (summary, lifetime) in runs.items():
        section.add(
            Figure(
                f"workers.{workers}_samples_per_s",
                f"{workers} process(es): training loop",
                summary["steps_per_second"] * 64,
                "samples/s",
            ),
            Figure(
                f"workers.{workers}_lifetime",
                f"{workers} process(es): start to exit",
                lifetime,
                "s",
            ),
        )
    section.add(
        Figure(
            "workers.speedup",
            "2 workers / 1 process, training-loop throughput",
            runs[2][0]["steps_per_second"] / runs[1][0]["steps_per_second"],
            "×",
        )
    )
    section.notes.append(
        "One run of each (a job takes several seconds to start); both share "
        "this machine's cores, so 2 workers cannot be faster here: the figure "
        "is the price of synchronising two processes every step."
    )
    return section


# ----------------------------------------------------------------------------- the course


def notebooks(sizes: Sizes) -> Section:
    """Every source notebook executed headless, once, in a scratch copy of its folder."""
    section = Section("The course: execution time of every notebook")
    total = 0.0
    for path in sizes.notebooks:
        with tempfile.TemporaryDirectory() as scratch:
            command = [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=600",
                "--output-dir",
                scratch,
                str(path),
            ]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=path.parent)
            seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{path.name} failed to execute:\n{done.stderr[-2000:]}")
        total += seconds
        section.add(Figure(f"notebook.{path.stem}", path.stem, seconds, "s"))
    section.add(Figure("notebook.total", "all notebooks", total, "s"))
    section.notes.append(
        "One headless run each (nbconvert with nbclient, a fresh kernel per "
        "notebook), including the kernel's start-up."
    )
    return section


SUITE: list[tuple[str, Callable[[Sizes], Section]]] = [
    ("matmul and bandwidth", matmul),
    ("tf.data", input_pipeline),
    ("data parallelism", data_parallel),
    ("XLA and bfloat16", xla_and_precision),
    ("pruning", pruning_at),
    ("quantization", quantization),
    ("distillation", distillation),
    ("multi-worker", multi_worker),
    ("notebooks", notebooks),
]


def prepare() -> None:
    """Four simulated CPU devices when there is no GPU, before TensorFlow creates its devices."""
    with silenced_stderr():
        if not tf.config.list_physical_devices("GPU"):
            devices.simulate_devices(4)
    devices.seed_everything(0, deterministic=False)
