"""The notebooks' prose quotes no figure that the run measures (tests/claims_lint.py), and the
helpers that back prose with the run (`checks.claim`, `checks.verdict`) say what they must."""

from __future__ import annotations

import claims_lint
import course_tools as ct
import pytest

from hpclearn import checks

# A new notebook whose prose is not yet brought up to the rule goes here, as a strict xfail, so it
# must leave the set the day it becomes clean. Empty: every notebook meets the rule.
PENDING: set[str] = set()


def figures(text: str, allowed: dict[str, str] | None = None) -> list[str]:
    return [figure for figure, _ in claims_lint.findings_in(text, allowed)]


def test_the_lint_finds_measured_figures_in_prose():
    text = "Parallel map decodes two elements at once: 1.9× on two cores, 24.9 GB/s, 30 ms, 0.97."
    assert figures(text) == ["1.9×", "24.9 GB/s", "30 ms", "0.97"]
    assert figures("accuracy fell by 3 % and the model by 12.5 MiB") == ["3 %", "12.5 MiB"]


def test_the_lint_skips_math_code_shapes_citations_and_allowed_phrases():
    assert figures("the ridge $I^* = 0.25$ and `time.sleep(0.01)` take 2 s in code") == ["2 s"]
    assert figures("a 3 × 3 convolution on 56 × 56 images") == []
    assert figures("989 TFLOP/s dense bfloat16 (NVIDIA H100 datasheet, 2022)") == []
    assert figures("### Exercise 2 (2 points)") == []
    assert figures("copies a 256 MiB buffer", {"256 MiB buffer": "a size the code sets"}) == []


def pending(assignment: str):
    mark = pytest.mark.xfail(strict=True, reason=f"{assignment}'s prose still quotes figures")
    return pytest.param(assignment, marks=mark) if assignment in PENDING else assignment


@pytest.mark.parametrize("assignment", [pending(a) for a in ct.assignments()])
def test_no_markdown_cell_quotes_a_measured_figure(assignment):
    found = claims_lint.lint(assignment)
    assert not found, (
        "markdown quotes figures the run measures; print them from the run, assert the claim "
        "with checks.claim or state it with checks.verdict, cite a published figure with its "
        "year, or add a figure the code sets to claims_lint.ALLOWED with the reason:\n"
        + "\n".join(map(str, found))
    )


def test_claim_prints_the_evidence_when_it_holds(capsys):
    checks.claim("4 replicas train the same weights", True, measured="largest difference 0.0")
    assert capsys.readouterr().out == (
        "checked: 4 replicas train the same weights [measured: largest difference 0.0]\n"
    )


def test_claim_names_the_claim_and_the_figure_when_it_breaks():
    with pytest.raises(AssertionError, match=r"claims: cache helps\. This run measured 0\.9×"):
        checks.claim("cache helps", False, measured="0.9×")


def test_verdict_reports_either_outcome_with_its_reason_and_returns_it(capsys):
    assert checks.verdict("parallel map helps", True, measured="1.8×", because="two cores") is True
    assert checks.verdict("parallel map helps", False, measured="1.0×", otherwise="busy") is False
    assert capsys.readouterr().out.splitlines() == [
        "on this machine: parallel map helps — yes [measured: 1.8×]: two cores",
        "on this machine: parallel map helps — no [measured: 1.0×]: busy",
    ]
