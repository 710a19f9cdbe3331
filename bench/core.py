"""What every part of `make bench` shares: the run's sizes, the `Figure` and `Section` it reports,
and the helpers that turn side-by-side timings into figures.

Each part (one module in `bench/parts/`) takes the run's `Sizes` and returns a `Section` of
`Figure`s: a value with its unit, the spread (interquartile range) over its repeats, and how many
repeats there were. Ratios are measured side by side in one run: the alternatives take turns
(`bench.side_by_side`), and a ratio is the median of the per-round ratios, so load from other
programs slows both sides alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hpclearn import bench
from hpclearn._tf import keras

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
    pruning_seeds: int
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
        sparsities=(0.5, 0.8, 0.9, 0.95),
        replicas=(1, 2, 4),
        distill_seeds=5,
        pruning_seeds=3,
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
        pruning_seeds=1,
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


def per_call(key: str, label: str, timing: bench.Timing, calls: int) -> Figure:
    """Microseconds per call when each repeat of `timing` made `calls` calls."""
    micros = [1e6 * t / calls for t in timing.times]
    return Figure(key, label, statistics.median(micros), "µs", _iqr(micros), timing.repeats)


def blas_libraries() -> list[str]:
    """NumPy's BLAS libraries as "name version (kernels)"."""
    return [
        f"{lib['internal_api']} {lib['version']} ({lib['architecture']})"
        for lib in bench.blas_info()
        if lib["version"]  # OpenMP runtimes report no version: not a BLAS
    ]


def digits_mlp(hidden: int = 256) -> keras.Model:
    """A 64-hidden-hidden-10 MLP for sklearn's 8 × 8 digits, compiled (the quantization part's)."""
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
