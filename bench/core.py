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
    seeds: int  # seeds of the compression parts (pruning, quantization, distillation)
    distill_steps: int
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
        seeds=3,
        distill_steps=480,
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
        sparsities=(0.8, 0.95),
        replicas=(1, 2),
        seeds=1,
        distill_steps=20,
        workers=False,
        notebooks=(ROOT / "tests" / "fixtures" / "course" / "source" / "toy" / "toy.ipynb",),
    ),
}


@dataclass(frozen=True)
class Figure:
    """One measured quantity. Timings: `value` is the median over `repeats` and `spread` the
    interquartile range (`spread_of="IQR"`). Figures over training seeds: `value` is the mean
    over `repeats` seeds and `spread` its standard error (`spread_of="SE"`)."""

    key: str
    label: str
    value: float
    unit: str
    spread: float = 0.0
    repeats: int = 1
    spread_of: str = "IQR"


@dataclass
class Section:
    """One part's figures. `part`, `measured_at` (UTC) and `seconds` are set by the run that
    measured it, so a report merged from several runs says where each section comes from."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plot: dict = field(default_factory=dict)  # what the report draws, as plain data
    part: str = ""
    measured_at: str = ""
    seconds: float = 0.0

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
            "plot": [[x, y] for x, y in self.plot.items()],
            "part": self.part,
            "measured_at": self.measured_at,
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, saved: dict) -> Section:
        """The section as `to_json` wrote it (a report's earlier parts, kept by a partial run)."""
        return cls(
            saved["title"],
            [Figure(**f) for f in saved["figures"]],
            list(saved["notes"]),
            {x: y for x, y in saved.get("plot", [])},
            saved.get("part", ""),
            saved.get("measured_at", ""),
            saved.get("seconds", 0.0),
        )


def merge(order: list[str], kept: list[Section], measured: list[Section]) -> list[Section]:
    """A report's sections after a partial run: the parts just `measured` replace the same parts
    of the earlier report (`kept`), every other earlier part stays as it was, in suite `order`.

    >>> earlier = [Section("A", part="a"), Section("B", part="b")]
    >>> [s.title for s in merge(["a", "b"], earlier, [Section("A2", part="a")])]
    ['A2', 'B']
    """
    unnamed = [s.title for s in [*kept, *measured] if s.part not in order]
    if unnamed:
        raise ValueError(f"sections without a known part cannot be merged: {unnamed}")
    by_part = {s.part: s for s in kept} | {s.part: s for s in measured}
    return [by_part[name] for name in order if name in by_part]


def _iqr(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def over_seeds(key: str, label: str, values: Sequence[float], unit: str) -> Figure:
    """Mean ± standard error of a quantity measured once per training seed (SE 0 for one seed)."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return Figure(key, label, mean, unit, se, len(values), spread_of="SE")


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
