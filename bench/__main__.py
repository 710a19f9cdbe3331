"""`python -m bench`: measure every claim the course makes on this machine, against its targets.

Writes `report.md`, `results.json` and PNG plots to `bench/results/<machine>/` (or `--out`).
`--size smoke` runs every part at toy sizes in seconds: the test suite uses it to check the
harness, not the machine.

A run of every part replaces the report in its folder. A partial run (`--only`) merges into it:
the parts it ran replace the same parts of the report, every other part's figures stay, each
section says when it was measured, and the targets are checked on the merged figures. A run
never mixes sizes in one folder (a `smoke` run into a `full` report's folder stops with an
error instead).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench import suite
from hpclearn import bench, devices, plots
from hpclearn._tf import keras, tf


@dataclass(frozen=True)
class Target:
    """A claim of the course: figure `key` must be at least (or at most) `threshold`."""

    text: str
    key: str
    at_least: bool
    threshold: float

    def check(self, figures: dict[str, suite.Figure]) -> str:
        if self.key not in figures:
            return "not measured"
        value = figures[self.key].value
        return (
            "met"
            if (value >= self.threshold if self.at_least else value <= self.threshold)
            else "MISSED"
        )


TARGETS = [
    Target("tf.data optimised ≥ 3× naive", "tfdata.speedup", True, 3.0),
    Target(
        "pruning at 80 % sparsity: ≤ 3 points accuracy lost (mean over the seeds)",
        "pruning.accuracy_change_80",
        True,
        -3.0,
    ),
    Target(
        "pruning at 95 % sparsity, uniform per layer: ≥ 5 points lost (the task shows a bad "
        "setting)",
        "pruning.accuracy_change_95",
        False,
        -5.0,
    ),
    Target("pruning at 80 % sparsity: gzip size ≥ 3× smaller", "pruning.gzip_ratio_80", True, 3.0),
    Target("int8 model ≥ 3.5× smaller than float32", "quantization.size_ratio", True, 3.5),
    Target(
        "int8 model: ≤ 1 point accuracy lost (mean over the seeds)",
        "quantization.accuracy_lost",
        False,
        1.0,
    ),
    Target(
        "distilled student ≥ 3 points above scratch, on every seed",
        "distillation.gain_min",
        True,
        3.0,
    ),
    Target(
        "distilled student ≥ 3 points above label smoothing, on every seed",
        "distillation.over_smoothing_min",
        True,
        3.0,
    ),
    Target("TensorFlow float32 matmul ≥ 70 % of NumPy/BLAS", "matmul.tf_vs_blas", True, 0.70),
    Target("whole course ≤ 10 min", "notebook.total", False, 600.0),
]


def machine() -> dict:
    hardware = devices.describe()
    return {
        "cpu": hardware.cpu_model,
        "cores": hardware.cpu_cores,
        "cpu_flags": sorted(hardware.cpu_flags),
        "memory_gib": hardware.memory_gib,
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "tpu": hardware.tpu_address,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "blas": suite.blas_libraries(),
    }


def machine_name(description: dict) -> str:
    parts = [description["cpu"], f"{description['cores']}c", *description["gpus"]]
    return re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")


def targets(figures: dict[str, suite.Figure]) -> list[dict]:
    rows = [
        {"target": t.text, "measured": _format(figures.get(t.key)), "result": t.check(figures)}
        for t in TARGETS
    ]
    for key, figure in figures.items():
        if key.startswith("notebook.") and key != "notebook.total":
            rows.append(
                {
                    "target": f"{figure.label} ≤ 60 s",
                    "measured": _format(figure),
                    "result": "met" if figure.value <= 60 else "MISSED",
                }
            )
    return rows


def _format(figure: suite.Figure | None) -> str:
    if figure is None:
        return "—"
    digits = 3 if abs(figure.value) < 10 else 0
    text = f"{figure.value:.{digits}g}" if digits else f"{figure.value:.0f}"
    if figure.repeats > 1:
        text += f" ± {figure.spread:.2g}" + (" (SE)" if figure.spread_of == "SE" else "")
    return f"{text} {figure.unit}"


def draw(sections: list[suite.Section], figures: dict[str, suite.Figure], out: Path) -> list[str]:
    """The report's plots, as PNG files in `out`; returns their names."""
    drawn = []
    if "matmul.tf_fp32" in figures:
        peak = max(figures[k].value for k in ("matmul.numpy_fp32", "matmul.tf_fp32"))
        n = int(re.search(r"n=(\d+)", figures["matmul.tf_fp32"].label).group(1))
        ax = plots.roofline(
            peak,
            figures["memory.bandwidth"].value,
            {
                f"TensorFlow float32 matmul n={n}": (n / 6, figures["matmul.tf_fp32"].value),
                f"TensorFlow bfloat16 matmul n={n}": (n / 3, figures["matmul.tf_bf16"].value),
                f"NumPy float32 matmul n={n}": (n / 6, figures["matmul.numpy_fp32"].value),
            },
        )
        ax.set_title("roofline of this machine, with the measured matrix products")
        drawn.append(_save(ax.figure, out / "roofline.png"))
    for section in sections:
        if section.plot and section.title.startswith("Data parallelism"):
            fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
            ax.plot(list(section.plot), list(section.plot.values()), marker="o")
            ax.set(
                xlabel="replicas",
                ylabel="samples/s",
                title="data-parallel throughput",
                xticks=list(section.plot),
            )
            ax.grid(alpha=0.3)
            drawn.append(_save(fig, out / "scaling.png"))
        if section.plot and section.title.startswith("Pruning"):
            fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
            points = sorted(section.plot.items())
            ax.plot([100 * s for s, _ in points], [a for _, a in points], marker="o")
            ax.set(
                xlabel="sparsity (%)",
                ylabel="test accuracy (%)",
                title="pruning: accuracy by sparsity",
            )
            ax.grid(alpha=0.3)
            drawn.append(_save(fig, out / "sparsity.png"))
    return drawn


def _save(fig: plt.Figure, path: Path) -> str:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def report(
    description: dict,
    size: str,
    sections: list[suite.Section],
    target_rows: list[dict],
    images: list[str],
) -> str:
    seconds = sum(section.seconds for section in sections)
    runs = sorted({section.measured_at for section in sections})
    when = (
        f"measured in one run ({runs[0]}), {seconds / 60:.1f} min in all"
        if len(runs) == 1
        else f"measured in {len(runs)} runs ({runs[0]} to {runs[-1]}; each section says "
        f"when), {seconds / 60:.1f} min of measuring in all"
    )
    lines = [
        "# hpclearn benchmark report",
        "",
        f"Machine: {description['cpu']}, {description['cores']} cores, "
        f"{description['memory_gib']} GiB; GPUs: {', '.join(description['gpus']) or 'none'}; "
        f"TPU: {description['tpu'] or 'none'}.  ",
        f"CPU extensions: {', '.join(description['cpu_flags']) or 'none of interest'}.  ",
        f"Python {description['python']}, TensorFlow {description['tensorflow']}, "
        f"Keras {description['keras']}; BLAS: {'; '.join(description['blas'])}.  ",
        f"Size `{size}`, {when}. Each timed figure is the median of its repeats ± the "
        "interquartile range; ratios are medians of per-round ratios of alternatives timed in "
        "turns. Figures over training seeds are the mean ± its standard error, marked (SE).",
        "",
    ]
    for section in sections:
        lines += [
            f"## {section.title}",
            "",
            f"Part `{section.part}`, measured {section.measured_at} in {section.seconds:.0f} s.",
            "",
        ]
        if section.figures:
            lines.append(
                bench.table(
                    [
                        {"figure": f.label, "value": _format(f), "repeats": f.repeats}
                        for f in section.figures
                    ]
                )
            )
            lines.append("")
        lines += [note for note in section.notes] + ([""] if section.notes else [])
    lines += [f"![{name}]({name})" for name in images] + [""]
    lines += ["## Targets", "", bench.table(target_rows), ""]
    return "\n".join(lines)


def earlier_sections(
    out: Path, size: str, description: dict, *, partial: bool
) -> list[suite.Section]:
    """The sections of the report in `out` that a partial run keeps (none for a whole run).

    Raises ValueError if `out` holds a report of another size (a run never mixes sizes in one
    report), or, for a partial run, one from another machine or whose sections do not name
    their parts (the format before partial runs merged).
    """
    earlier = out / "results.json"
    if not earlier.exists():
        return []
    saved = json.loads(earlier.read_text())
    if saved.get("size") != size:
        raise ValueError(
            f"{out} holds a `{saved.get('size')}` report; this `{size}` run would mix sizes in "
            "it. Pass --out <another folder>."
        )
    if not partial:
        return []
    if machine_name(saved["machine"]) != machine_name(description):
        raise ValueError(
            f"{out} holds a report from {machine_name(saved['machine'])}, not this machine "
            f"({machine_name(description)}): a partial run would mix machines in it. Pass "
            "--out <another folder>."
        )
    kept = [suite.Section.from_json(section) for section in saved["sections"]]
    if not all(section.part for section in kept):
        raise ValueError(
            f"{earlier} predates partial runs (its sections do not name their parts): run the "
            "whole suite once (make bench), or pass --out <another folder>."
        )
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(suite.SIZES), default="full")
    parser.add_argument(
        "--out", type=Path, help="folder for the report (default: bench/results/<machine>)"
    )
    parser.add_argument(
        "--only", nargs="*", help="run only the parts whose names contain one of these words"
    )
    args = parser.parse_args(argv)
    suite.prepare()
    sizes = suite.SIZES[args.size]
    description = machine()
    out = args.out or Path(__file__).resolve().parent / "results" / machine_name(description)
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        (name, run)
        for name, run in suite.SUITE
        if not args.only or any(word in name for word in args.only)
    ]
    if not parts:
        parser.exit(
            2,
            f"no part's name contains any of {args.only}; the parts are: "
            f"{', '.join(name for name, _ in suite.SUITE)}.\n",
        )
    try:
        kept = earlier_sections(out, args.size, description, partial=bool(args.only))
    except ValueError as error:
        parser.exit(2, f"{error}\n")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    measured, failed = [], []
    for i, (name, run) in enumerate(parts, 1):
        print(f"[{i}/{len(parts)}] {name} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            section = run(sizes)
        except Exception as error:  # the other parts' figures are still worth a report
            traceback.print_exc()
            failed.append(name)
            section = suite.Section(f"{name}: FAILED")
            section.notes.append(f"This part failed: `{type(error).__name__}: {error}`"[:2000])
        section.part, section.measured_at = name, started
        section.seconds = time.perf_counter() - start
        measured.append(section)
        print(f"{section.seconds:.1f} s", flush=True)
    sections = suite.merge([name for name, _ in suite.SUITE], kept, measured)
    figures = {f.key: f for section in sections for f in section.figures}
    bad = [key for key, f in figures.items() if not math.isfinite(f.value)]
    if bad:
        raise RuntimeError(f"these figures are not finite numbers: {bad}")
    target_rows = targets(figures)
    images = draw(sections, figures, out)
    (out / "report.md").write_text(report(description, args.size, sections, target_rows, images))
    (out / "results.json").write_text(
        json.dumps(
            {
                "machine": description,
                "size": args.size,
                "seconds": sum(section.seconds for section in sections),
                "sections": [s.to_json() for s in sections],
                "figures": {k: asdict(f) for k, f in figures.items()},
                "targets": target_rows,
            },
            indent=2,
        )
    )
    still = [s.part for s in kept if s.part not in {m.part for m in measured}]
    if still:
        print(f"merged into the earlier report; kept from earlier runs: {', '.join(still)}")
    print(f"report: {out / 'report.md'}")
    for row in target_rows:
        print(f"  {row['result']:<12} {row['target']}: {row['measured']}")
    if failed:
        print(f"FAILED: {', '.join(failed)} (the report says why)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
