"""Grading a term's hand-ins: incremental passes, a regrade after fixing a hidden test that keeps
hand grades, parallel execution with one writer (same grades as serial), the loud flag for a
notebook whose cells the gradebook does not know, the one-node SLURM spread, and the timing
command's smoke run. All on the toy fixture, through `python -m hpcterm.grade` and
`python -m hpcterm.regrade` as an instructor runs them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import course_tools as ct
import nbformat
import pytest
from slurm import SKIP_REASON, LocalSlurm

pytestmark = pytest.mark.slow

# squares that only knows the squares the tests asked for: full marks until a test asks for more.
SQUARES_GAMED = "def squares(n):\n    return [0, 1, 4, 9, 16, 25][:n]"
SQUARES_FROM_ONE = "def squares(n):\n    return [i * i for i in range(1, n + 1)]"
HAND_INS = {
    "alice": {**ct.TOY_ANSWERS, "explain": "0/0 has no value."},
    "bob": {**ct.TOY_ANSWERS, "squares": SQUARES_FROM_ONE, "explain": "Nothing to divide."},
    "carol": {**ct.TOY_ANSWERS, "squares": SQUARES_GAMED, "explain": "No numbers."},
    "dave": {"mean": ct.TOY_ANSWERS["mean"]},
}
# Hand grades of the written answer (out of 2).
HAND_GRADES = {"alice": 2.0, "bob": 1.0, "carol": 2.0}
STRICTER = "assert _builtins.len(squares(8)) == 8, 'squares(8) must hold 8 squares'\n"


def grade(root: Path, *args: str, module: str = "hpcterm.grade", env=None):
    """`python -m <module> ARGS --course root`: (exit status, stdout)."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args, "--course", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env or ct.environment(),
        cwd=ct.ROOT,
    )
    assert result.returncode in (0, 3), f"{result.stdout}\n{result.stderr}"
    return result.returncode, result.stdout


def lines(output: str, word: str) -> dict[str, str]:
    """Student -> line, for the summary lines starting with `word`."""
    return {line.split()[2]: line for line in output.splitlines() if line.startswith(word)}


def gradebook_state(root: Path) -> dict:
    """Every grade and comment of every submission, as the gradebook holds it."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        state = {}
        for submission in gb.assignment_submissions("toy"):
            notebook = submission.notebooks[0]
            state[submission.student_id] = {
                "grades": {
                    g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                    for g in notebook.grades
                },
                "comments": {c.name: (c.auto_comment, c.manual_comment) for c in notebook.comments},
                "score": submission.score,
            }
        return state


def new_course(folder: Path, students=HAND_INS) -> Path:
    root = ct.copy_fixture_course(folder)
    ct.nbgrader(root, "generate_assignment", "toy", "--force")
    released = root / "release" / "toy" / "toy.ipynb"
    for student, answers in students.items():
        notebook = ct.fill(released, answers)
        if student == "dave":  # another notebook handed in under this name
            for cell in notebook.cells:
                if "nbgrader" in cell.metadata:
                    cell.metadata.nbgrader.grade_id = "lab2_" + cell.metadata.nbgrader.grade_id
        path = folder / f"{student}.ipynb"
        nbformat.write(notebook, path)
        ct.submit(root, student, "toy", path)
    return root


def give_hand_grades(root: Path) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, points in HAND_GRADES.items():
            grade = gb.find_grade("explain", "toy", "toy", student)
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()


def edit_hidden_test(root: Path) -> None:
    path = root / "source" / "toy" / "toy.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_squares":
            cell.source = cell.source.replace(
                "### END HIDDEN TESTS", STRICTER + "### END HIDDEN TESTS"
            )
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """One course graded with --jobs 2, the same hand-ins graded with --jobs 1 in another; then
    the first is graded again unchanged, hand-graded, its hidden test made stricter and
    regraded, and one answer changed and graded again."""
    runs = {}
    parallel = new_course(tmp_path_factory.mktemp("parallel"))
    serial = new_course(tmp_path_factory.mktemp("serial"))
    runs["parallel"] = grade(parallel, "toy", "--jobs", "2")
    runs["serial"] = grade(serial, "toy", "--jobs", "1")
    runs["state_parallel"] = gradebook_state(parallel)
    runs["state_serial"] = gradebook_state(serial)
    runs["again"] = grade(parallel, "toy", "--jobs", "2")

    give_hand_grades(parallel)
    runs["before_fix"] = gradebook_state(parallel)
    edit_hidden_test(parallel)
    runs["regrade"] = grade(parallel, "toy", module="hpcterm.regrade")
    runs["after_fix"] = gradebook_state(parallel)

    bob = parallel / "submitted" / "bob" / "toy" / "toy.ipynb"
    notebook = ct.fill(bob, {"explain": "A sum of no numbers over a count of zero: 0/0."})
    nbformat.write(notebook, bob)
    runs["late_change"] = grade(parallel, "toy")
    runs["after_change"] = gradebook_state(parallel)
    return {"root": parallel, "serial_root": serial, **runs}


def test_parallel_and_serial_passes_record_the_same_grades_and_lose_none(term):
    parallel, serial = term["state_parallel"], term["state_serial"]
    assert parallel == serial
    assert sorted(parallel) == sorted(HAND_INS)
    assert all(len(s["grades"]) == 4 and len(s["comments"]) == 4 for s in parallel.values())
    assert {s: v["score"] for s, v in parallel.items()} == {
        "alice": 6.0,
        "bob": 5.0,
        "carol": 6.0,
        "dave": 0.0,
    }
    for _, output in (term["parallel"], term["serial"]):
        assert sorted(lines(output, "graded")) == sorted(HAND_INS), output
        assert "4 submission(s): 4 graded, 0 unchanged, 0 failed" in output


def test_workers_never_open_the_course_gradebook(tmp_path):
    from hpcterm.grade import execute_config, record_config

    root = ct.copy_fixture_course(tmp_path / "course")
    work = tmp_path / "work"
    config = execute_config(root, work)
    assert config.CourseDirectory.db_url == f"sqlite:///{work / 'gradebook.db'}"
    stages = [p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert stages == ["GradingExecute"]  # the course's guard, and nothing that records
    written = record_config(root, work)
    names = [p.__name__ for p in written.Autograde.autograde_preprocessors]
    assert "ReplayExecuted" in names and "SaveAutoGrades" in names
    assert not {"Execute", "GradingExecute"} & set(names)


def test_a_second_pass_grades_nothing_unchanged(term):
    _, output = term["again"]
    assert sorted(lines(output, "unchanged")) == sorted(HAND_INS), output
    assert not lines(output, "graded")


def test_another_notebook_under_the_name_is_flagged_loudly(term):
    for status, output in (term["parallel"], term["again"]):
        assert status == 3
        assert list(lines(output, "FLAGGED")) == ["dave"], output
        assert "lab2_" in lines(output, "FLAGGED")["dave"]
    assert all(g[2] for g in term["state_parallel"]["dave"]["grades"].values())


def test_regrade_after_a_stricter_hidden_test_changes_only_what_it_must(term):
    before, after = term["before_fix"], term["after_fix"]
    _, output = term["regrade"]
    assert "changed cells: test_squares" in output, output
    assert before["carol"]["grades"]["test_squares"][0] == 1.0
    assert after["carol"]["grades"]["test_squares"][0] == 0.0
    for student in HAND_INS:
        for cell, grade in after[student]["grades"].items():
            if (student, cell) != ("carol", "test_squares"):
                assert grade == before[student]["grades"][cell], (student, cell)
    assert "hand grades kept 3, back to needs manual grade 0" in output, output


def test_hand_grades_stay_and_a_changed_answer_goes_back_to_be_graded(term):
    _, output = term["late_change"]
    assert list(lines(output, "graded")) == ["bob"], output
    assert "needs manual grade again: explain" in lines(output, "graded")["bob"]
    explain = {s: v["grades"]["explain"] for s, v in term["after_change"].items()}
    assert explain["alice"] == (None, 2.0, False)
    assert explain["carol"] == (None, 2.0, False)
    assert explain["bob"][1:] == (1.0, True)  # the score stays, to be checked


def test_a_student_off_the_roster_is_refused(term, monkeypatch):
    import hpcterm.grade as grading

    monkeypatch.setattr(grading, "enrolled", lambda root: {"alice", "bob", "carol"})
    summary = grading.grade_assignment(term["serial_root"], "toy", say=lambda *_: None)
    assert summary.status == 3
    assert [line.split()[2] for line in summary.lines if line.startswith("REFUSED")] == ["dave"]
    assert summary.counts["unchanged"] == 3


def test_a_second_grading_pass_at_once_is_refused(term):
    from hpcterm.course import CourseError
    from hpcterm.grade import one_writer

    refused = pytest.raises(CourseError, match="another grading pass")
    with one_writer(term["serial_root"]), refused, one_writer(term["serial_root"]):
        pass


@pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON)
def test_slurm_array_executes_and_one_writer_records_the_same_grades(tmp_path_factory, term):
    students = {s: a for s, a in HAND_INS.items() if s in ("bob", "carol")}
    root = new_course(tmp_path_factory.mktemp("slurm-course"), students)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm")).start()
    try:
        env = {**ct.environment(), **cluster.env}
        status, output = grade(root, "toy", "--slurm", env=env)
    finally:
        cluster.stop()
    assert status == 0, output
    assert sorted(lines(output, "graded")) == sorted(students), output
    script = (root / "autograded" / ".grading" / "slurm" / "toy" / "grade.sbatch").read_text()
    assert "#SBATCH --array=0-1" in script
    expected = {s: v for s, v in term["state_serial"].items() if s in students}
    assert gradebook_state(root) == expected


def test_timing_command_measures_a_notebook(tmp_path):
    root = ct.copy_fixture_course(tmp_path / "course")
    out = tmp_path / "timing.json"
    command = [sys.executable, "-m", "hpcterm.grade_timing", "--out", str(out), "--lock", ""]
    result = subprocess.run(
        [*command, "--assignments", "toy", "--hand-ins", "solution", "--course", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ct.environment(),
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())["per_submission"]["toy"]
    assert figures["solution"]["score"] == "6/8"
    assert figures["solution"]["executing"] > 0
    assert "| toy |" in result.stdout
    shutil.rmtree(root)
