"""The benchmark harness (`make bench`) at toy sizes: it runs every part, writes a report with
every section and the target table, and every figure is a finite number. The machine's figures
themselves are the full run's business (bench/README.md), not the test suite's."""

import json
import math
import subprocess
import sys

import pytest
from course_tools import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout


def test_every_part_reports_progress_and_the_targets(smoke_run):
    _, stdout = smoke_run
    for part in (
        "matmul and bandwidth",
        "tf.data",
        "data parallelism",
        "XLA and bfloat16",
        "pruning",
        "quantization",
        "distillation",
        "multi-worker",
        "notebooks",
    ):
        assert f"] {part} ..." in stdout
    assert "report:" in stdout


def test_every_figure_is_a_finite_number_with_a_unit(smoke_run):
    out, _ = smoke_run
    results = json.loads((out / "results.json").read_text())
    figures = results["figures"]
    assert {
        "matmul.tf_fp32",
        "matmul.tf_vs_blas",
        "memory.bandwidth",
        "tfdata.speedup",
        "parallel.speedup_2",
        "train.xla_vs_tf",
        "train.bf16_vs_fp32",
        "pruning.gzip_ratio_80",
        "quantization.size_ratio",
        "quantization.accuracy_change",
        "quantization.speedup",
        "distillation.gap_closed",
        "notebook.total",
    } <= set(figures)
    for key, figure in figures.items():
        assert math.isfinite(figure["value"]) and math.isfinite(figure["spread"]), key
        assert figure["unit"] and figure["repeats"] >= 1, key
    assert results["machine"]["cores"] >= 1 and results["machine"]["tensorflow"]


def test_report_has_every_section_the_plots_and_a_verdict_per_target(smoke_run):
    out, _ = smoke_run
    report = (out / "report.md").read_text()
    results = json.loads((out / "results.json").read_text())
    for section in results["sections"]:
        assert f"## {section['title']}" in report
    assert "## Targets" in report
    for row in results["targets"]:
        assert row["result"] in {"met", "MISSED"}, row  # the whole suite measures every target
        assert f"| {row['target']} |" in report
    for image in ("roofline.png", "scaling.png", "sparsity.png"):
        assert (out / image).stat().st_size > 1000
        assert f"]({image})" in report
