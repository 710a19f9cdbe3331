"""The benchmark harness (`make bench`) at toy sizes: it runs every part, writes a report with
every section and the target table, and every figure is a finite number; a partial run merges
into the report instead of replacing it. The machine's figures themselves are the full run's
business (bench/README.md), not the test suite's."""

import json
import math
import subprocess
import sys

import pytest
from course_tools import ROOT

from bench import suite
from bench.__main__ import earlier_sections

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    done = _bench("--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done.stdout


def _bench(*args):
    return subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


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
        "pruning.accuracy_change_95",
        "quantization.size_ratio",
        "quantization.accuracy_lost",
        "quantization.speedup",
        "quantization.batch_speedup",
        "distillation.gain",
        "distillation.gain_min",
        "distillation.over_smoothing_min",
        "distillation.gap_closed",
        "notebook.total",
    } <= set(figures)
    # accuracies over training seeds are mean ± standard error, timings median ± IQR
    for key in ("pruning.accuracy_change_80", "quantization.accuracy_lost", "distillation.gain"):
        assert figures[key]["spread_of"] == "SE", key
    assert figures["quantization.speedup"]["spread_of"] == "IQR"
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


def test_a_partial_run_merges_into_the_report_and_keeps_every_other_part(smoke_run, tmp_path):
    out, _ = smoke_run
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "results.json").write_text((out / "results.json").read_text())
    before = json.loads((partial / "results.json").read_text())
    done = _bench("--out", str(partial), "--only", "matmul")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/1] matmul and bandwidth ..." in done.stdout
    assert "kept from earlier runs: tf.data, data parallelism" in done.stdout
    after = json.loads((partial / "results.json").read_text())
    assert [s["part"] for s in after["sections"]] == [name for name, _ in suite.SUITE]
    for old, new in zip(before["sections"], after["sections"], strict=True):
        if new["part"] != "matmul and bandwidth":
            assert new == old, new["part"]  # every other part's figures as they were
    assert set(after["figures"]) == set(before["figures"])
    assert [row["target"] for row in after["targets"]] == [r["target"] for r in before["targets"]]
    report = (partial / "report.md").read_text()
    for section in after["sections"]:
        assert f"## {section['title']}" in report
        assert f"Part `{section['part']}`, measured " in report


def test_a_run_never_mixes_sizes_machines_or_formats_in_one_report(smoke_run, tmp_path):
    out, _ = smoke_run
    saved = json.loads((out / "results.json").read_text())
    (tmp_path / "results.json").write_text(json.dumps(saved))
    machine = saved["machine"]
    kept = earlier_sections(tmp_path, "smoke", machine, partial=True)
    assert [s.part for s in kept] == [name for name, _ in suite.SUITE]
    assert kept[0].figures[0].key == saved["sections"][0]["figures"][0]["key"]
    assert earlier_sections(tmp_path, "smoke", machine, partial=False) == []  # a whole run
    assert earlier_sections(tmp_path / "empty", "full", machine, partial=True) == []
    with pytest.raises(ValueError, match="`smoke` report; this `full` run would mix sizes"):
        earlier_sections(tmp_path, "full", machine, partial=False)
    with pytest.raises(ValueError, match="mix machines"):
        earlier_sections(tmp_path, "smoke", {**machine, "cpu": "Other CPU"}, partial=True)
    for section in saved["sections"]:
        del section["part"]
    (tmp_path / "results.json").write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="predates partial runs"):
        earlier_sections(tmp_path, "smoke", machine, partial=True)


def test_merge_replaces_measured_parts_in_suite_order():
    earlier = [suite.Section("A", part="a"), suite.Section("C", part="c")]
    merged = suite.merge(["a", "b", "c"], earlier, [suite.Section("B", part="b")])
    assert [s.title for s in merged] == ["A", "B", "C"]
    merged = suite.merge(["a", "b", "c"], earlier, [suite.Section("A2", part="a")])
    assert [s.title for s in merged] == ["A2", "C"]
    with pytest.raises(ValueError, match="without a known part"):
        suite.merge(["a"], earlier, [])
