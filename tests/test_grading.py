"""The grading round trip, on nbgrader's real command line, for every assignment of the course.

In a temporary copy of the course: release every assignment, submit the instructor's source
notebook as one student (it must earn every autograded point) and the released blank as another
(it must earn none, and grading must not crash), then read the scores from the gradebook.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import course_tools as ct
import nbformat
import pytest
from nbgrader.utils import compute_checksum

pytestmark = pytest.mark.slow

ASSIGNMENTS = ct.assignments()

# Markers that exist only in instructors' notebooks.
INSTRUCTOR_ONLY = re.compile(
    r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS|Model answer|MARK SCHEME"
)


# What nbgrader leaves in an answer cell (code, then markdown), per course/nbgrader_config.py.
STUBS = {"# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE"}

# All a released notebook may carry besides cells: nothing from the instructor's run or notes.
STUDENT_NOTEBOOK_METADATA = {"kernelspec", "language_info"}
STUDENT_CELL_METADATA = {"deletable", "editable", "nbgrader", "tags", "jupyter"}
STUDENT_NBGRADER_METADATA = {"cell_type", "checksum", "grade", "grade_id", "locked", "points"}
STUDENT_NBGRADER_METADATA |= {"schema_version", "solution", "task"}

# What grading generates in the course folder (one example path each): never committed.
GENERATED = [
    "course/gradebook.db",
    "course/.nbgrader.log",
    "course/grades.csv",
    "course/release/00_x/00_x.ipynb",
    "course/downloaded/00_x/archive/alice.zip",
    "course/submitted/alice/00_x/00_x.ipynb",
    "course/autograded/alice/00_x/00_x.ipynb",
    "course/feedback/alice/00_x/00_x.html",
]


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


def assert_blank(released: str, source: str, where: str) -> None:
    """The released answer cell holds the stub and none of the source's solution lines (an answer
    cell without SOLUTION markers is replaced whole; one with them keeps what is outside)."""
    if "### BEGIN SOLUTION" not in source:
        assert released.strip() in STUBS, f"{where}: the answer cell is not blank"
        return
    inside, outside = set(), set()
    for i, part in enumerate(re.split(r".*### (?:BEGIN|END) SOLUTION.*", source)):
        (inside if i % 2 else outside).update(ln.strip() for ln in part.splitlines())
    kept = {ln.strip() for ln in released.splitlines()}
    assert {"# YOUR CODE HERE", "raise NotImplementedError()"} <= kept, f"{where}: no stub"
    leaked = (inside - outside - {""}) & kept
    assert not leaked, f"{where}: solution lines released: {leaked}"


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
    public = public_lines(source)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert_blank(answers[meta["grade_id"]].source, cell.source, f"{assignment}: {meta}")
        if meta.get("grade") and not meta.get("solution"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1:]
            body = "\n".join(h.split("### END HIDDEN TESTS")[0] for h in hidden)
            released_text = "\n".join(c.source for c in released.cells)
            for line in filter(None, (ln.strip() for ln in body.splitlines())):
                # Long enough to be specific to the hidden test, and not a line the students see
                # anyway (a hidden test may repeat the lesson's own code to build its data).
                if len(line) > 25 and line not in public:
                    assert line not in released_text, f"{assignment}: hidden test leaked: {line}"


def public_lines(notebook: nbformat.NotebookNode) -> set[str]:
    """The stripped lines of `notebook` outside its solution and hidden-test blocks."""
    lines, secret = set(), False
    for cell in notebook.cells:
        for line in (ln.strip() for ln in cell.source.splitlines()):
            if line.startswith(("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")):
                secret = True
            elif line.startswith(("### END SOLUTION", "### END HIDDEN TESTS")):
                secret = False
            elif not secret and cell.metadata.get("nbgrader", {}).get("solution") is not True:
                lines.add(line)
        secret = False
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_carries_only_student_metadata_and_no_outputs(course, assignment):
    released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    assert set(released.metadata) <= STUDENT_NOTEBOOK_METADATA
    for cell in released.cells:
        meta = cell.metadata.get("nbgrader", {})
        where = f"{assignment}, cell {meta.get('grade_id')}"
        assert set(cell.metadata) <= STUDENT_CELL_METADATA, f"{where}: {set(cell.metadata)}"
        assert set(meta) <= STUDENT_NBGRADER_METADATA, f"{where}: {set(meta)}"
        # The checksum is of the cell the student gets, not of the one with hidden tests.
        assert meta.get("checksum") in (None, compute_checksum(cell)), where
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, where


def test_generated_course_state_is_ignored_by_git():
    if shutil.which("git") is None or not (ct.ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to check the ignore rules against")
    git = ["git", "-C", str(ct.ROOT)]
    ignored = subprocess.run(
        [*git, "check-ignore", "--no-index", *GENERATED], capture_output=True, text=True
    )
    assert ignored.stdout.split() == GENERATED
    folders = sorted({path.split("/")[1] for path in GENERATED if path.count("/") > 1})
    tracked = subprocess.run(
        [*git, "ls-files", *(f"course/{f}" for f in folders)], capture_output=True, text=True
    )
    assert tracked.stdout == ""


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
