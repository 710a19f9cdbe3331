"""Broken and hostile submissions, graded by nbgrader's real command line with the course's own
nbgrader_config.py (only the cell timeout shortened, to 3 s) on the fixture assignment.

Grading must not crash, hang, lose a submission or give a point that was not earned, and grading
everything a second time must leave the gradebook as it was. The fixture's exercises are worth
1 (squares), 2 (mean) and 3 (clip) autograded points, plus 2 for a written answer graded by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import course_tools as ct
import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

pytestmark = pytest.mark.slow

TIMEOUT = 3
RIGHT = ct.TOY_ANSWERS
WRONG = {
    "squares": "def squares(n):\n    return [0, 1, 4]",
    "mean": "def mean(values):\n    return 2.5",
    "clip": "def clip(x, low, high):\n    return 1",
}


def answered(released: Path, **answers: str) -> nbformat.NotebookNode:
    """The released notebook with the right answers, except those given, and a written answer."""
    return ct.fill(released, {**RIGHT, **answers, "explain": "0/0 has no value."})


def without(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    notebook.cells = [c for c in notebook.cells if grade_id_of(c) != grade_id]
    return notebook


def grade_id_of(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def renamed_test(released: Path) -> nbformat.NotebookNode:
    """A wrong clip, and clip's test cell unlocked, renamed, rewritten and worth 30 points."""
    notebook = answered(released, clip=WRONG["clip"])
    for cell in notebook.cells:
        if grade_id_of(cell) == "test_clip":
            cell.metadata.nbgrader.update(grade_id="test_clip_mine", locked=False, points=30)
            cell.source = "pass"
    return notebook


def edited_test(released: Path) -> nbformat.NotebookNode:
    notebook = answered(released, clip=WRONG["clip"])
    for cell in notebook.cells:
        if grade_id_of(cell) == "test_clip":
            cell.source = "pass  # the test passes now"
    return notebook


TAMPERING = """import numpy.testing
from hpclearn import checks

for _name in checks.__all__:
    setattr(checks, _name, lambda *args, **kwargs: None)
numpy.testing.assert_allclose = npt.assert_allclose = lambda *args, **kwargs: None

class _Anything(float):
    def __eq__(self, other):
        return True
    def __le__(self, other):
        return True
    def __sub__(self, other):
        return _Anything()

def float(x):
    return _Anything()
int = abs = float
def len(x):
    return 0
ValueError = Exception

"""

# Each submission: how it is made from the released notebook (source: the instructor's own).
SUBMISSIONS = {
    "solution": lambda released, source: nbformat.read(source, as_version=4),
    "blank": lambda released, source: nbformat.read(released, as_version=4),
    "syntax_error": lambda released, source: answered(
        released, mean="def mean(values)\n    return 0"
    ),
    "exception": lambda released, source: answered(
        released,
        mean=RIGHT["mean"] + "\n\nmean([])  # raises, after defining a right mean",
        clip="def clip(x, low, high):\n    raise TypeError('not yet')",
    ),
    "infinite_loop": lambda released, source: answered(
        released, mean="def mean(values):\n    while True:\n        pass"
    ),
    "uninterruptible_loop": lambda released, source: answered(
        released,
        mean=(
            "def mean(values):\n    while True:\n        try:\n            while True:\n"
            "                pass\n        except BaseException:\n            pass"
        ),
    ),
    "huge_output": lambda released, source: answered(
        released, mean="print(('y' * 99 + '\\n') * 200_000)\n" + RIGHT["mean"]
    ),
    "endless_output": lambda released, source: answered(
        released, mean="def mean(values):\n    while True:\n        print('y' * 1000)"
    ),
    "killed_kernel": lambda released, source: answered(released, mean="import os\nos._exit(1)"),
    "deleted_test": lambda released, source: without(
        answered(released, clip=WRONG["clip"]), "test_clip"
    ),
    "edited_test": lambda released, source: edited_test(released),
    "renamed_test": lambda released, source: renamed_test(released),
    "deleted_answer": lambda released, source: without(answered(released), "mean"),
    "deleted_written_answer": lambda released, source: without(answered(released), "explain"),
    "tampered_checks": lambda released, source: answered(
        released, squares=TAMPERING + WRONG["squares"], mean=WRONG["mean"], clip=WRONG["clip"]
    ),
    "hidden_errors": lambda released, source: answered(
        released,
        squares="get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
        + WRONG["squares"],
        mean=WRONG["mean"],
        clip=WRONG["clip"],
    ),
    "warning": lambda released, source: answered(
        released,
        squares="import sys\nimport warnings\n\ndef squares(n):\n"
        "    warnings.warn('range() is fine here')\n"
        "    print('a log line', file=sys.stderr)\n"
        "    return [i * i for i in range(n)]",
    ),
    "displayed_score": lambda released, source: answered(
        released,
        squares="import sys\ndef squares(n):\n    sys.displayhook(1)\n    return []",
        clip="import sys\ndef clip(x, low, high):\n    sys.displayhook(100)\n    return x",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every submission autograded twice; the gradebook's scores after each pass."""
    root = ct.copy_fixture_course(tmp_path_factory.mktemp("course"), timeout=TIMEOUT)
    ct.nbgrader(root, "generate_assignment", "toy", "--force")
    released = root / "release" / "toy" / "toy.ipynb"
    source = root / "source" / "toy" / "toy.ipynb"
    for student, make_submission in SUBMISSIONS.items():
        folder = root / "submitted" / student / "toy"
        folder.mkdir(parents=True)
        nbformat.write(make_submission(released, source), folder / "toy.ipynb")
    runs = [ct.nbgrader(root, "autograde", "toy", "--force", timeout=600, check=False)]
    first = ct.scores(root, "toy")
    runs.append(ct.nbgrader(root, "autograde", "toy", "--force", timeout=600, check=False))
    return {"root": root, "runs": runs, "first": first, "again": ct.scores(root, "toy")}


def autograded(graded, student: str) -> nbformat.NotebookNode:
    path = graded["root"] / "autograded" / student / "toy" / "toy.ipynb"
    assert path.exists(), f"{student}: nbgrader removed the autograded notebook"
    return nbformat.read(path, as_version=4)


def points(graded, student: str) -> tuple:
    """(squares, mean, clip) autograded points of `student`."""
    cells = graded["first"][student]
    return tuple(cells[f"test_{name}"][0] for name in ("squares", "mean", "clip"))


def cell(graded, student: str, grade_id: str):
    """The cell `grade_id` of `student`'s autograded notebook."""
    return next(c for c in autograded(graded, student).cells if grade_id_of(c) == grade_id)


def errors(graded, student: str, grade_id: str) -> list[str]:
    """The names of the errors a cell of `student`'s autograded notebook shows."""
    return [o.ename for o in cell(graded, student, grade_id).outputs if o.output_type == "error"]


def test_grading_finishes_without_giving_up_on_any_submission(graded):
    for run in graded["runs"]:
        assert run.returncode == 0, run.stderr
        assert "There was an error processing" not in run.stderr, run.stderr


def test_every_submission_is_graded_and_kept(graded):
    assert set(graded["first"]) == set(SUBMISSIONS)
    for student in SUBMISSIONS:
        assert autograded(graded, student).cells
        assert all(score is not None for score in points(graded, student)), student


def test_the_solution_earns_every_point_and_the_blank_none(graded):
    assert points(graded, "solution") == (1, 2, 3)
    assert points(graded, "blank") == (0, 0, 0)
    assert graded["first"]["blank"]["explain"] == (0, None)


def test_a_syntax_error_costs_only_its_exercise(graded):
    assert points(graded, "syntax_error") == (1, 0, 3)
    assert errors(graded, "syntax_error", "mean") == ["SyntaxError"]


def test_an_exception_costs_only_the_tests_it_breaks(graded):
    assert points(graded, "exception") == (1, 2, 0)
    assert errors(graded, "exception", "mean") == ["ValueError"]
    assert errors(graded, "exception", "test_clip") == ["TypeError"]


def test_an_infinite_loop_is_stopped_at_the_timeout_and_the_rest_graded(graded):
    assert points(graded, "infinite_loop") == (1, 0, 3)
    assert "CellTimeoutError" in errors(graded, "infinite_loop", "test_mean")


def test_a_loop_that_ignores_interrupts_ends_the_run_but_keeps_earlier_points(graded):
    assert points(graded, "uninterruptible_loop") == (1, 0, 0)
    assert errors(graded, "uninterruptible_loop", "test_mean") == ["CellTimeoutError"]
    assert errors(graded, "uninterruptible_loop", "test_clip") == ["GradingStopped"]


def test_a_killed_kernel_ends_the_run_but_keeps_earlier_points(graded):
    assert points(graded, "killed_kernel") == (1, 0, 0)
    assert errors(graded, "killed_kernel", "mean") == ["DeadKernelError"]
    assert errors(graded, "killed_kernel", "test_clip") == ["GradingStopped"]


def test_a_huge_output_is_cut_and_the_answers_still_graded(graded):
    assert points(graded, "huge_output") == (1, 2, 3)
    notebook = graded["root"] / "autograded" / "huge_output" / "toy" / "toy.ipynb"
    assert notebook.stat().st_size < 1_500_000  # the cell printed 20 MB


def test_endless_output_is_cut_and_stopped_at_the_timeout(graded):
    assert points(graded, "endless_output") == (1, 0, 3)
    assert "CellTimeoutError" in errors(graded, "endless_output", "test_mean")
    notebook = graded["root"] / "autograded" / "endless_output" / "toy" / "toy.ipynb"
    assert notebook.stat().st_size < 1_500_000


def test_a_deleted_test_cell_is_restored_and_graded(graded):
    assert points(graded, "deleted_test") == (1, 2, 0)
    assert "was missing from the submission" in cell(graded, "deleted_test", "test_clip").source
    assert errors(graded, "deleted_test", "test_clip") == ["AssertionError"]


def test_an_edited_test_cell_is_restored_and_graded(graded):
    assert points(graded, "edited_test") == (1, 2, 0)
    source = nbformat.read(graded["root"] / "source" / "toy" / "toy.ipynb", as_version=4)
    original = next(c.source for c in source.cells if grade_id_of(c) == "test_clip")
    cells = [c for c in autograded(graded, "edited_test").cells if grade_id_of(c) == "test_clip"]
    assert [c.source for c in cells] == [original]


def test_a_renamed_test_cell_cannot_grade_itself(graded):
    assert points(graded, "renamed_test") == (1, 2, 0)
    assert set(graded["first"]["renamed_test"]) == set(graded["first"]["solution"])
    ids = [grade_id_of(c) for c in autograded(graded, "renamed_test").cells]
    assert "test_clip_mine" not in ids and ids.count("test_clip") == 1


def test_a_deleted_answer_cell_costs_its_exercise(graded):
    assert points(graded, "deleted_answer") == (1, 0, 3)
    assert errors(graded, "deleted_answer", "test_mean") == ["NameError"]


def test_a_deleted_written_answer_is_restored_for_the_grader(graded):
    assert points(graded, "deleted_written_answer") == (1, 2, 3)
    assert graded["first"]["deleted_written_answer"]["explain"] == (None, None)
    written = cell(graded, "deleted_written_answer", "explain")
    assert "was missing from the submission" in written.source


def test_rebinding_checks_numpy_testing_and_builtins_earns_nothing(graded):
    assert points(graded, "tampered_checks") == (0, 0, 0)
    failures = [
        output.evalue
        for grade_id in ("test_squares", "test_mean", "test_clip")
        for output in cell(graded, "tampered_checks", grade_id).outputs
        if output.output_type == "error"
    ]
    # The visible checks were silenced; the hidden tests failed the answers.
    assert failures == [
        "squares(6) gave [0, 1, 4]",
        "mean([1.0]) must be 1.0, got 2.5",
        "clip(-3, 0, 1) must be 0.0, got 1.0",
    ]


def test_hiding_errors_from_the_grader_earns_nothing(graded):
    assert points(graded, "hidden_errors") == (0, 0, 0)


def test_a_passing_test_keeps_its_points_when_the_answer_writes_to_stderr(graded):
    assert points(graded, "warning") == (1, 2, 3)
    shown = "".join(o.get("text", "") for o in cell(graded, "warning", "test_squares").outputs)
    assert "UserWarning: range() is fine here" in shown and "a log line" in shown


def test_a_number_displayed_by_a_test_is_not_taken_as_its_score(graded):
    assert points(graded, "displayed_score") == (0, 2, 0)


def test_grading_again_changes_nothing(graded):
    assert graded["again"] == graded["first"]


def test_grading_leaves_no_kernel_running(graded):
    root = str(graded["root"])
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd").startswith(root):
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # the process ended, or is not ours to read
    assert left == []


def test_the_course_config_loads_and_installs_the_grading_guards():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ct.COURSE)).load_config()
    assert config.CourseDirectory.course_id == "hpclearn"
    assert config.Execute.timeout == 120 and config.Execute.interrupt_on_timeout
    assert config.OverwriteCells.add_missing_cells
    names = [p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert names[0] == "GradingExecute" and "SaveAutoGrades" in names
    names = [p.__name__ for p in config.Autograde.sanitize_preprocessors]
    assert "RestoreEveryGradedCell" in names and "OverwriteCells" not in names
