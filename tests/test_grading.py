"""The grading round trip, on nbgrader's real command line, for every assignment of the course.

In a temporary copy of the course: release every assignment, submit the instructor's source
notebook as one student (it must earn every autograded point) and the released blank as another
(it must earn none, and grading must not crash), then read the scores from the gradebook.
"""

from __future__ import annotations

import re

import course_tools as ct
import nbformat
import pytest

pytestmark = pytest.mark.slow

ASSIGNMENTS = ct.assignments()

# Markers that exist only in instructors' notebooks.
INSTRUCTOR_ONLY = re.compile(
    r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS|Model answer|MARK SCHEME"
)


# What nbgrader leaves in an answer cell (code, then markdown), per course/nbgrader_config.py.
STUBS = {"# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy with every assignment released, and autograded for two students."""
    root = ct.copy_course(tmp_path_factory.mktemp("course"))
    for assignment in ASSIGNMENTS:
        ct.nbgrader(root, "generate_assignment", assignment, "--force")
        ct.submit(
            root, "solution", assignment, root / "source" / assignment / f"{assignment}.ipynb"
        )
        ct.submit(root, "blank", assignment, root / "release" / assignment / f"{assignment}.ipynb")
        ct.nbgrader(root, "autograde", assignment, "--create", "--force")
    return root


def test_every_assignment_has_autograded_and_hand_graded_work():
    for assignment in ASSIGNMENTS:
        cells = ct.graded_cells(ct.COURSE / "source" / assignment / f"{assignment}.ipynb")
        auto = [c for c in cells.values() if c["type"] == "code"]
        manual = [c for c in cells.values() if c["type"] == "markdown"]
        assert len(auto) >= 2, f"{assignment} needs at least two autograded exercises"
        assert manual, f"{assignment} needs a written question graded by hand"
        assert all(c["points"] > 0 for c in cells.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_holds_no_solution_and_no_hidden_test(course, assignment):
    released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4)
    for cell in released.cells:
        assert not INSTRUCTOR_ONLY.search(cell.source), (
            f"{assignment}: a released cell still holds instructor-only text:\n{cell.source}"
        )
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in released.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            stub = answers[meta["grade_id"]].source.strip()
            assert stub in STUBS, f"{assignment}: answer cell {meta['grade_id']} is not blank"
        if meta.get("grade") and not meta.get("solution"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1:]
            body = "\n".join(h.split("### END HIDDEN TESTS")[0] for h in hidden)
            released_text = "\n".join(c.source for c in released.cells)
            for line in filter(None, (ln.strip() for ln in body.splitlines())):
                if len(line) > 25:  # long enough to be specific to the hidden test
                    assert line not in released_text, f"{assignment}: hidden test leaked: {line}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_earns_every_autograded_point(course, assignment):
    for cell in ct.grades(course, assignment, "solution").values():
        if cell.autograded:
            assert cell.score == cell.max_score, (
                f"{assignment}: the source notebook's own solution loses points at "
                f"{cell.grade_id} ({cell.score}/{cell.max_score})"
            )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_blank_release_earns_nothing_and_is_graded(course, assignment):
    cells = ct.grades(course, assignment, "blank")
    expected = ct.graded_cells(course / "source" / assignment / f"{assignment}.ipynb")
    assert set(cells) == set(expected), f"{assignment}: some graded cells were not graded"
    for cell in cells.values():
        if cell.autograded:
            assert cell.score == 0, (
                f"{assignment}: an unanswered notebook earns {cell.score} at {cell.grade_id}; "
                "its test must fail when the answer is missing"
            )
        else:
            assert cell.score == 0  # written answers wait for a human; nothing given yet
