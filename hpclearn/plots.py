"""The few plots the course repeats. Each draws on an Axes (a new one unless given) and returns
it, so a notebook can add to it or place several side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

if TYPE_CHECKING:
    from hpclearn.parallel import Timeline

__all__ = ["curves", "pipeline", "roofline"]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.5, 3.5)) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def curves(
    history: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    xlabel: str = "epoch",
    ax: Axes | None = None,
) -> Axes:
    """One line per named series, e.g. a Keras `History.history` dict (`loss`, `val_loss`, ...).

    >>> plots.curves(model.fit(...).history, title="SimpleNet")
    """
    if not history:
        raise ValueError("curves needs at least one named series, e.g. {'loss': [...]}.")
    ax = _axes(ax)
    for name, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def roofline(
    peak_gflops: float,
    bandwidth_gbs: float,
    points: Mapping[str, tuple[float, float]],
    *,
    theoretical_gflops: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The roofline of a machine with the measured kernels placed on it (log-log axes).

    `peak_gflops` is the compute ceiling, `bandwidth_gbs` the memory ceiling; `points` maps a
    label (say what each point is: kernel, size, library) to (arithmetic intensity in FLOP/byte,
    achieved GFLOP/s). `theoretical_gflops`, if given, is drawn as a dashed line above the roof.

    >>> plots.roofline(400, 20, {"matmul 2048": (341, 310)}, theoretical_gflops=660)
    """
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError(
            f"the ceilings must be positive; got peak={peak_gflops}, bandwidth={bandwidth_gbs}."
        )
    ax = _axes(ax, figsize=(6, 4))
    intensities = [i for i, _ in points.values()] or [1.0]
    ridge = peak_gflops / bandwidth_gbs
    low = min([*intensities, ridge]) / 4
    high = max([*intensities, ridge]) * 4
    x = np.geomspace(low, high, 200)
    ax.loglog(x, np.minimum(peak_gflops, bandwidth_gbs * x), color="black", label="roofline")
    if theoretical_gflops is not None and np.isfinite(theoretical_gflops):
        ax.axhline(
            theoretical_gflops, color="black", linestyle="--", linewidth=1, label="theoretical peak"
        )
    for label, (intensity, gflops) in points.items():
        ax.loglog([intensity], [gflops], marker="o", linestyle="none", label=label)
    ax.axvline(ridge, color="grey", linestyle=":", linewidth=1, label="ridge point P / B")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("GFLOP/s")
    ax.grid(alpha=0.3, which="both")
    # Beside the axes, so that no label hides a measured point.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def pipeline(timeline: Timeline, *, title: str = "", ax: Axes | None = None) -> Axes:
    """The schedule of a pipeline: one row per stage, a bar per task (forward blue, backward
    orange, numbered by micro-batch), time in milliseconds; the gaps are the bubble.

    >>> plots.pipeline(timeline, title="GPipe, 4 stages, 8 micro-batches")
    """
    if not timeline.tasks:
        raise ValueError("the timeline is empty: run the pipeline's tasks through it first.")
    ax = _axes(ax, figsize=(8, 0.5 + 0.5 * timeline.num_stages))
    colours = {"forward": "tab:blue", "backward": "tab:orange"}
    show_numbers = len(timeline.tasks) <= 64
    for task in timeline.tasks:
        ax.broken_barh(
            [(task.start * 1e3, task.seconds * 1e3)],
            (task.stage - 0.4, 0.8),
            facecolors=colours[task.phase],
            edgecolor="white",
            linewidth=0.5,
        )
        if show_numbers:
            middle = (task.start + task.seconds / 2) * 1e3
            ax.text(
                middle,
                task.stage,
                str(task.micro_batch),
                ha="center",
                va="center",
                fontsize="x-small",
                color="white",
            )
    ax.set_yticks(range(timeline.num_stages), [f"stage {s}" for s in range(timeline.num_stages)])
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title)
    ax.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()],
        labels=list(colours),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize="small",
    )
    return ax
