import matplotlib

matplotlib.use("Agg")

import pytest

from hpclearn import plots


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


def test_roofline_rejects_non_positive_ceilings():
    with pytest.raises(ValueError, match="positive"):
        plots.roofline(0.0, 20.0, {})
