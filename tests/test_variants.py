"""Every autograded exercise is proven on answers other than the instructor's.

For each assignment, tests/variants/<id>.py holds at least two other right answers and two
plausible wrong ones per autograded exercise; tests/answer_variants.py grades them the way the
autograder does. Right answers must earn the exercise's full marks, wrong ones (and the blank
stub) nothing. The harness is itself checked against nbgrader's real autograder: on the fixture
assignment and on one course notebook, submissions made of variants get the same points per test
cell from both.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import answer_variants as av
import course_tools as ct
import nbformat
import pytest

# A new assignment whose variants are not written yet goes here, as a strict xfail, so adding its
# variants file without removing it here fails loudly. Empty: every assignment has its variants.
PENDING: set[str] = set()
ASSIGNMENTS = ct.assignments()
WITH_VARIANTS = [a for a in ASSIGNMENTS if a not in PENDING]
# The course notebooks on which the harness is compared with nbgrader: the quickest to grade in a
# full run, every notebook checked by `make check A=<id>`.
CHECKING = bool(os.environ.get("HPCLEARN_ASSIGNMENTS", "").strip())
COMPARED = WITH_VARIANTS if CHECKING else [a for a in WITH_VARIANTS if a == "00_hardware"]
FIXTURE_VARIANTS = ct.ROOT / "tests" / "fixtures" / "variants"
FIXTURE_SOURCE = ct.FIXTURE / "source"


def pending(assignment: str):
    mark = pytest.mark.xfail(
        strict=True, reason=f"{assignment}'s answer variants are not written yet"
    )
    return pytest.param(assignment, marks=mark) if assignment in PENDING else assignment


@pytest.mark.parametrize("assignment", [pending(a) for a in ASSIGNMENTS])
def test_every_autograded_exercise_has_two_right_and_two_wrong_variants(assignment):
    right, wrong = av.load_variants(assignment)
    notebook = nbformat.read(av.notebook_path(assignment), as_version=4)
    graded = [ex.grade_id for ex in av.exercises(notebook)]
    assert set(right) | set(wrong) <= set(graded), (
        f"{assignment}: variants for answer cells the notebook does not have: "
        f"{sorted(set(right) | set(wrong) - set(graded))}"
    )
    for grade_id in graded:
        assert len(right.get(grade_id, {})) >= 2, f"{assignment}/{grade_id}: two right answers"
        assert len(wrong.get(grade_id, {})) >= 2, f"{assignment}/{grade_id}: two wrong answers"
        for name, source in {**right.get(grade_id, {}), **wrong.get(grade_id, {})}.items():
            assert source.strip() and "BEGIN SOLUTION" not in source, f"{grade_id}: {name}"


@functools.cache
def graded(assignment: str, source: Path = av.SOURCE, folder: Path = av.VARIANTS):
    return av.grade_variants(assignment, source=source, folder=folder)


def assert_as_expected(results: list[av.Result]) -> None:
    wrong = [r for r in results if not r.as_expected]
    assert not wrong, "answers that earn other points than they must:\n" + av.report(wrong)


def test_the_harness_grades_the_fixture_variants_as_they_must():
    results = graded("toy", FIXTURE_SOURCE, FIXTURE_VARIANTS)
    assert_as_expected(results)
    kinds = {(r.exercise, r.kind) for r in results}
    assert {("clip", "right"), ("clip", "wrong"), ("clip", "solution")} <= kinds


@pytest.mark.slow
@pytest.mark.parametrize("assignment", WITH_VARIANTS)
def test_right_variants_earn_full_marks_and_wrong_ones_nothing(assignment):
    assert_as_expected(graded(assignment))


def nbgrader_points(course: Path, assignment: str, student: str) -> dict[str, float]:
    """Per autograded test cell (code), the points nbgrader gave `student`."""
    tests = ct.graded_cells(course / "source" / assignment / f"{assignment}.ipynb")
    return {
        g.grade_id: g.score
        for g in ct.grades(course, assignment, student).values()
        if tests[g.grade_id]["type"] == "code"
    }


def harness_points(results: list[av.Result], pick: dict[str, str]) -> dict[str, float]:
    """Per test cell, the points the harness gave the answer named pick[exercise]."""
    points = {}
    for r in results:
        if pick.get(r.exercise) == r.name:
            points.update(r.cells)
    return points


def compare_with_nbgrader(
    tmp_path: Path, course: Path, assignment: str, folder: Path, results: list[av.Result]
) -> None:
    """Submit the first right and the first wrong variant of every exercise as two students,
    autograde them with nbgrader, and compare every test cell's points with the harness's."""
    ct.nbgrader(course, "generate_assignment", assignment, "--force")
    released = course / "release" / assignment / f"{assignment}.ipynb"
    for kind, variants in zip(
        ("right", "wrong"), av.load_variants(assignment, folder), strict=True
    ):
        pick = {exercise: next(iter(answers)) for exercise, answers in variants.items()}
        answers = {exercise: variants[exercise][name] for exercise, name in pick.items()}
        filled = tmp_path / f"{kind}.ipynb"
        nbformat.write(ct.fill(released, answers), filled)
        ct.submit(course, kind, assignment, filled)
        ct.nbgrader(course, "autograde", assignment, "--create", "--force", "--student", kind)
        assert nbgrader_points(course, assignment, kind) == harness_points(results, pick), (
            f"{assignment}: nbgrader and the harness disagree on the {kind} variants {pick}"
        )


def test_the_harness_agrees_with_nbgrader_on_the_fixture(tmp_path):
    course = ct.copy_fixture_course(tmp_path / "course")
    results = graded("toy", FIXTURE_SOURCE, FIXTURE_VARIANTS)
    compare_with_nbgrader(tmp_path, course, "toy", FIXTURE_VARIANTS, results)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", COMPARED)
def test_the_harness_agrees_with_nbgrader_on_a_course_notebook(tmp_path, assignment):
    course = ct.copy_course(tmp_path / "course")
    compare_with_nbgrader(tmp_path, course, assignment, av.VARIANTS, graded(assignment))
