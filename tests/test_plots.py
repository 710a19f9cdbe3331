import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from hpclearn import parallel, plots


def test_curves_draws_one_line_per_series():
    ax = plots.curves({"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6]}, title="t")
    assert [line.get_label() for line in ax.get_lines()] == ["loss", "val_loss"]
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]


def test_curves_needs_a_series():
    with pytest.raises(ValueError, match="at least one"):
        plots.curves({})


def test_roofline_caps_at_the_bandwidth_and_the_peak():
    ax = plots.roofline(400.0, 20.0, {"matmul": (100.0, 300.0)})
    roof = ax.get_lines()[0]
    x, y = roof.get_xdata(), roof.get_ydata()
    assert y.max() == pytest.approx(400.0)
    low = x < 20.0  # left of the ridge point peak / bandwidth = 20 FLOP/byte
    assert y[low] == pytest.approx(20.0 * x[low])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_roofline_draws_the_theoretical_peak_and_labels_each_point():
    ax = plots.roofline(
        400.0,
        20.0,
        {"matmul n=2048": (341.0, 300.0), "x + 1": (0.125, 1.0)},
        theoretical_gflops=600,
    )
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:4] == ["roofline", "theoretical peak", "matmul n=2048", "x + 1"]
    assert list(ax.get_lines()[1].get_ydata()) == [600, 600]
    plt.close(ax.figure)


def test_roofline_rejects_non_positive_ceilings():
    with pytest.raises(ValueError, match="positive"):
        plots.roofline(0.0, 20.0, {})


def test_pipeline_draws_one_bar_per_task_on_its_stage_row():
    timeline = parallel.Timeline(2)
    for stage in range(2):
        timeline.run(stage, 0, "forward", lambda: None)
    for stage in reversed(range(2)):
        timeline.run(stage, 0, "backward", lambda: None)
    ax = plots.pipeline(timeline, title="two stages")
    bars = ax.collections
    assert len(bars) == 4
    rows = sorted(bar.get_paths()[0].get_extents().y0 for bar in bars)
    assert rows == pytest.approx([-0.4, -0.4, 0.6, 0.6])
    assert ax.get_title() == "two stages"
    plt.close(ax.figure)


def test_pipeline_needs_tasks():
    with pytest.raises(ValueError, match="empty"):
        plots.pipeline(parallel.Timeline(2))
