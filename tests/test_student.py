"""The student's path: the workspace (`make student`), self-checking (`make self-check`) and the
published student edition (`make publish`).

The workspace and self-check tests use the fixture assignment (and 04's helper scripts, which
cost only a release); the edition is published from the whole course, checked for leaks with
the grading tests' own checks, and run from a clean clone. That clone reuses this project's venv
(with the edition first on PYTHONPATH) instead of downloading the pinned stack again.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import course_tools as ct
import nbformat
import pytest
from test_grading import (
    INSTRUCTOR_ONLY,
    STUDENT_CELL_METADATA,
    STUDENT_NBGRADER_METADATA,
    STUDENT_NOTEBOOK_METADATA,
    assert_blank,
    public_lines,
)
from traitlets.config.loader import PyFileConfigLoader

from hpclearn import student

DAY = datetime.date(2026, 11, 30)
# Answers to the fixture: two right, `mean` wrong on the empty list (only a hidden test tries it).
ANSWERS = {
    "squares": ct.TOY_ANSWERS["squares"],
    "mean": "def mean(values):\n    return sum(values) / len(values)",
    "explain": "A sum of nothing divided by a count of zero: 0/0.",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- the workspace -------------------------------------------------------------------------


def test_a_first_run_adds_every_released_file(tmp_path):
    write(tmp_path / "release/00_a/00_a.ipynb", "a1")
    write(tmp_path / "release/04_b/train.py", "b1")
    write(tmp_path / "release/04_b/.ipynb_checkpoints/x.ipynb", "never copied")
    changes = student.update_workspace(tmp_path / "release", tmp_path / "ws")
    assert [(c.path, c.action) for c in changes] == [
        ("00_a/00_a.ipynb", "added"),
        ("04_b/train.py", "added"),
    ]
    assert (tmp_path / "ws/04_b/train.py").read_text() == "b1"
    assert not (tmp_path / "ws/04_b/.ipynb_checkpoints").exists()


def test_a_second_run_keeps_the_answers_and_adds_a_new_assignment(tmp_path):
    write(tmp_path / "release/00_a/00_a.ipynb", "a1")
    student.update_workspace(tmp_path / "release", tmp_path / "ws")
    write(tmp_path / "ws/00_a/00_a.ipynb", "a1 with my answers")
    write(tmp_path / "release/01_c/01_c.ipynb", "c1")
    changes = student.update_workspace(tmp_path / "release", tmp_path / "ws")
    assert [(c.path, c.action) for c in changes] == [
        ("00_a/00_a.ipynb", "kept"),
        ("01_c/01_c.ipynb", "added"),
    ]
    assert (tmp_path / "ws/00_a/00_a.ipynb").read_text() == "a1 with my answers"


def test_a_changed_release_is_offered_beside_a_worked_copy_never_over_it(tmp_path):
    write(tmp_path / "release/00_a/00_a.ipynb", "a1")
    student.update_workspace(tmp_path / "release", tmp_path / "ws")
    write(tmp_path / "ws/00_a/00_a.ipynb", "a1 with my answers")
    for version in ("a2", "a3"):
        write(tmp_path / "release/00_a/00_a.ipynb", version)
        (change,) = student.update_workspace(tmp_path / "release", tmp_path / "ws", today=DAY)
        assert change.action == "offered"
        assert (tmp_path / "ws" / change.offered).read_text() == version
    assert (tmp_path / "ws/00_a/00_a.ipynb").read_text() == "a1 with my answers"
    offered = sorted(p.name for p in (tmp_path / "ws/00_a").iterdir())
    assert offered == [
        "00_a.ipynb",
        "00_a.release-2026-11-30-2.ipynb",
        "00_a.release-2026-11-30.ipynb",
    ]
    # Once offered, the same release is not offered again.
    (again,) = student.update_workspace(tmp_path / "release", tmp_path / "ws", today=DAY)
    assert again.action == "kept"


def test_a_changed_release_replaces_a_copy_the_student_never_changed(tmp_path):
    write(tmp_path / "release/04_b/train.py", "b1")
    student.update_workspace(tmp_path / "release", tmp_path / "ws")
    write(tmp_path / "release/04_b/train.py", "b2")
    (change,) = student.update_workspace(tmp_path / "release", tmp_path / "ws")
    assert change.action == "updated"
    assert (tmp_path / "ws/04_b/train.py").read_text() == "b2"


def test_a_missing_release_folder_is_reported_with_what_should_be_there(tmp_path):
    with pytest.raises(ValueError, match="released assignments"):
        student.update_workspace(tmp_path / "nothing", tmp_path / "ws")


@pytest.mark.parametrize("exchange", [False, True])
def test_the_lab_config_hides_every_instructor_tool(tmp_path, exchange):
    config = student.configure_lab(tmp_path, exchange=exchange)
    assert config == tmp_path / ".jupyter"
    page = json.loads((config / "labconfig/page_config.json").read_text())["disabledExtensions"]
    server = json.loads((config / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert page["@jupyter/nbgrader:formgrader"] and page["@jupyter/nbgrader:create-assignment"]
    assert page["@jupyterlab/apputils-extension:announcements"]
    assert server["LabApp"]["news_url"] is None
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert "@jupyter/nbgrader:validate-assignment" not in page
    assert "nbgrader.server_extensions.validate_assignment" not in extensions
    # The Assignment List needs an exchange to fetch from and submit to.
    assert ("@jupyter/nbgrader:assignment-list" in page) is not exchange
    assert ("@jupyter/nbgrader:menu" in page) is not exchange
    assert ("nbgrader.server_extensions.assignment_list" in extensions) is not exchange


def test_the_workspace_validates_with_the_graders_execution_settings(tmp_path):
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ct.COURSE)).load_config()
    assert {k: course.Execute[k] for k in student.GRADER_EXECUTION} == student.GRADER_EXECUTION
    config = student.configure_lab(tmp_path, exchange=False)
    nbgrader = json.loads((config / "nbgrader_config.json").read_text())
    assert nbgrader == {"Execute": student.GRADER_EXECUTION}


def test_a_report_gives_points_per_exercise_and_each_failure_message():
    report = student.Report(
        "toy.ipynb",
        False,
        (
            student.TestResult("squares", 1, 1),
            student.TestResult("clip", 0, 3, "AssertionError: clip(5, 0, 1): expected 1, got 5."),
        ),
        written=("explain",),
    )
    text = str(report)
    assert re.search(r"squares\s+1 / 1\n\s+clip\s+0 / 3\n\s+AssertionError: clip\(5, 0, 1\)", text)
    assert re.search(r"total\s+1 / 4", text) and "explain" in text
    assert "hidden tests decide the grade" in text


def test_checking_a_notebook_that_is_not_there_says_how_to_make_one(tmp_path):
    with pytest.raises(ValueError, match="make student"):
        student.validate(tmp_path / "00_hardware" / "00_hardware.ipynb")


def test_hidden_grading_without_the_course_source_says_why(tmp_path):
    notebook = write(tmp_path / "ws/toy/toy.ipynb", "{}")
    with pytest.raises(ValueError, match="not a student edition"):
        student.grade(notebook, tmp_path / "course")


# --- the workspace and self-check, end to end on the fixture -------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with the fixture assignment and 04 (for its helper scripts)."""
    root = ct.copy_fixture_course(tmp_path_factory.mktemp("course"))
    shutil.copytree(ct.COURSE / "source/04_multi_worker", root / "source/04_multi_worker")
    return root


def build(course: Path, workspace: Path) -> str:
    result = subprocess.run(
        [
            str(ct.NBGRADER.parent / "python"),
            "-m",
            "hpclearn.student",
            "workspace",
            str(workspace),
            "--course",
            str(course),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=ct.environment(),
    )
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    return result.stdout


@pytest.mark.slow
def test_the_workspace_holds_the_release_and_keeps_answers_on_a_second_run(course, tmp_path):
    workspace = tmp_path / "workspace"
    first = build(course, workspace)
    for name in ["toy/toy.ipynb", "04_multi_worker/train.py", "04_multi_worker/train_ps.py"]:
        assert re.search(rf"added\s+{name}", first)
    released = nbformat.read(workspace / "toy/toy.ipynb", 4)
    assert "BEGIN SOLUTION" not in json.dumps(released)
    assert "BEGIN HIDDEN TESTS" not in json.dumps(released)
    nbformat.write(ct.fill(workspace / "toy/toy.ipynb", ANSWERS), workspace / "toy/toy.ipynb")
    answered = (workspace / "toy/toy.ipynb").read_text()
    second = build(course, workspace)
    assert re.search(r"kept\s+toy/toy.ipynb", second) and "added" not in second
    assert (workspace / "toy/toy.ipynb").read_text() == answered
    files = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    print("workspace after the second run:", *files, sep="\n  ")
    assert "toy/toy.ipynb" in files and not [f for f in files if ".release-" in f]


@pytest.fixture(scope="module")
def answered(course, tmp_path_factory):
    """A workspace whose toy notebook holds `ANSWERS`."""
    workspace = tmp_path_factory.mktemp("answered") / "workspace"
    build(course, workspace)
    nbformat.write(ct.fill(workspace / "toy/toy.ipynb", ANSWERS), workspace / "toy/toy.ipynb")
    return workspace


def self_check(course: Path, workspace: Path, **variables) -> subprocess.CompletedProcess:
    result = ct.make("self-check", course=course, check=False, WORKSPACE=workspace, **variables)
    print(result.stdout, result.stderr[-2000:])
    return result


@pytest.mark.slow
def test_self_check_runs_the_visible_tests_as_validate_does(course, answered):
    result = self_check(course, answered, A="toy")
    assert result.returncode != 0  # clip is not answered
    expected = r"squares\s+1 / 1\n\s+mean\s+2 / 2\n\s+clip\s+0 / 3\n\s+NotImplementedError"
    assert re.search(expected, result.stdout)
    assert "written answers, graded by hand: explain" in result.stdout


@pytest.mark.slow
def test_self_check_with_hidden_tests_scores_as_the_autograder_does(course, answered):
    result = self_check(course, answered, A="toy", HIDDEN=1)
    assert re.search(r"squares\s+1 / 1\n\s+mean\s+0 / 2\n\s+ZeroDivisionError", result.stdout)
    assert re.search(r"clip\s+0 / 3\n\s+NotImplementedError", result.stdout)
    assert "BEGIN HIDDEN" not in result.stdout and "_builtins" not in result.stdout
    # The same notebook, handed in and autograded by the instructor's commands.
    ct.nbgrader(course, "generate_assignment", "toy", "--force")
    ct.submit(course, "alice", "toy", answered / "toy/toy.ipynb")
    ct.nbgrader(course, "autograde", "toy", "--create", "--force")
    graded = ct.grades(course, "toy", "alice")
    expected = {g: graded[f"test_{g}"].score for g in ("squares", "mean", "clip")}
    for exercise, score in expected.items():
        assert re.search(rf"{exercise}\s+{score:g} / ", result.stdout), exercise


# --- the student edition -------------------------------------------------------------------


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition of the whole course."""
    course = ct.copy_course(tmp_path_factory.mktemp("course"))
    destination = tmp_path_factory.mktemp("edition") / "hpclearn-students"
    ct.make("publish", course=course, DEST=destination)
    return destination


@pytest.mark.slow
def test_the_edition_holds_only_what_students_need(edition):
    top = sorted(p.name for p in edition.iterdir())
    assert top == sorted(
        [
            ".gitignore",
            ".student-edition",
            "Makefile",
            "README.md",
            "course",
            "environment.yml",
            "hpclearn",
            "pyproject.toml",
        ]
    )
    assert sorted(p.name for p in (edition / "course").iterdir()) == ["release"]
    assert sorted(p.name for p in (edition / "course/release").iterdir()) == ct.assignments()
    assert {p.name for p in (edition / "course/release/04_multi_worker").iterdir()} >= {
        "train.py",
        "train_ps.py",
    }
    assert not list(edition.rglob("gradebook.db")) and not list(edition.rglob("nbgrader_config.py"))
    readme = (edition / "README.md").read_text()
    assert "## For students" in readme and "make student" in readme and "make lab" not in readme


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ct.assignments())
def test_the_editions_notebooks_hold_no_solution_no_hidden_test_no_instructor_metadata(
    edition, assignment
):
    released = nbformat.read(edition / f"course/release/{assignment}/{assignment}.ipynb", 4)
    source = nbformat.read(ct.COURSE / f"source/{assignment}/{assignment}.ipynb", 4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in released.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    public = public_lines(source)
    released_text = "\n".join(c.source for c in released.cells)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert_blank(answers[meta["grade_id"]], cell.source, f"{assignment}: {meta}")
        for line in hidden_lines(cell.source):
            if len(line) > 25 and line not in public:
                assert line not in released_text, f"{assignment}: hidden test leaked: {line}"
    assert set(released.metadata) <= STUDENT_NOTEBOOK_METADATA
    for cell in released.cells:
        assert set(cell.metadata) <= STUDENT_CELL_METADATA
        assert set(cell.metadata.get("nbgrader", {})) <= STUDENT_NBGRADER_METADATA
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{assignment}: a released cell keeps its output"


# Solution lines that a file of the edition may hold anyway, with the reason.
SHARED_LINES = {
    # 00's roofline_time checks its arguments as its statement asks, and so does plots.roofline,
    # with the same names; the answer itself (the max of the two times) is not in the package.
    "if peak_gflops <= 0 or bandwidth_gbs <= 0:": "hpclearn/plots.py",
    # 00's time_median times calls as bench.time_call does, with the same three lines; the package
    # does not answer it: bench.time_call waits for TensorFlow tensors only, not for any result
    # with a .numpy() method as the task asks, and scores 0 (tests/variants/00_hardware.py).
    "if repeats < 1 or warmup < 0:": "hpclearn/bench.py",
    "start = time.perf_counter()": "hpclearn/bench.py",
    "times.append(time.perf_counter() - start)": "hpclearn/bench.py",
}


def hidden_lines(source: str) -> list[str]:
    hidden = source.split("### BEGIN HIDDEN TESTS")[1:]
    body = "\n".join(h.split("### END HIDDEN TESTS")[0] for h in hidden)
    return [ln.strip() for ln in body.splitlines() if ln.strip()]


@pytest.mark.slow
def test_no_file_of_the_edition_holds_an_instructor_marker_or_a_solution_line(edition):
    # A line that any released notebook or released script (04's train.py) shows is public: 03's
    # answer to replica_step ends with the two lines of Keras's training step that 04's scripts
    # show too.
    secret, public = set(), set()
    for assignment in ct.assignments():
        source = nbformat.read(ct.COURSE / f"source/{assignment}/{assignment}.ipynb", 4)
        public |= public_lines(source)
        for script in (ct.COURSE / "source" / assignment).glob("*.py"):
            public |= {ln.strip() for ln in script.read_text().splitlines()}
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            solution = cell.source.split("### BEGIN SOLUTION")[1:]
            body = [s.split("### END SOLUTION")[0] for s in solution]
            if meta.get("solution") and cell.cell_type == "code":
                lines = [ln.strip() for part in body for ln in part.splitlines()]
            else:
                lines = hidden_lines(cell.source)
            secret |= {ln for ln in lines if len(ln) > 25}
    secret -= public
    files = [p for p in edition.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb":  # what a student reads, not its JSON escaping
            text = "\n".join(c.source for c in nbformat.reads(text, 4).cells)
        where = path.relative_to(edition)
        assert not INSTRUCTOR_ONLY.search(text), f"{where} holds an instructor-only marker"
        known = SHARED_LINES
        lines = {ln.strip() for ln in text.splitlines()}
        leaked = {line for line in secret & lines if known.get(line) != str(where)}
        assert not leaked, f"{where} holds solution or hidden-test lines: {leaked}"


@pytest.mark.slow
def test_the_edition_has_no_instructor_target(edition):
    for target in ["lab", "test", "release", "collect", "grade", "feedback", "grades", "publish"]:
        result = subprocess.run(
            ["make", "-n", "-C", str(edition), target], capture_output=True, text=True
        )
        assert result.returncode != 0 and "No rule to make target" in result.stderr, target


@pytest.fixture(scope="module")
def clone(edition, tmp_path_factory):
    """A clean copy of the edition, as a student gets it: committed to git, then cloned."""
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org"]
    repository = shutil.copytree(edition, tmp_path_factory.mktemp("published") / "hpclearn")
    subprocess.run([*git, "init", "-q", str(repository)], check=True)
    subprocess.run([*git, "-C", str(repository), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repository), "commit", "-qm", "edition"], check=True)
    target = tmp_path_factory.mktemp("student") / "hpclearn"
    subprocess.run(["git", "clone", "-q", str(repository), str(target)], check=True)
    return target


@pytest.mark.slow
def test_a_clean_copy_of_the_edition_sets_up_and_opens_a_student_workspace(clone, tmp_path):
    # `make setup`: what it would run (the install itself is this project's venv, reused).
    setup = subprocess.run(
        ["make", "-n", "-C", str(clone), "setup"], capture_output=True, text=True
    )
    assert "pip install --quiet -e '.[dev]'" in setup.stdout
    assert (clone / "pyproject.toml").read_text() == (ct.ROOT / "pyproject.toml").read_text()
    port, token = ct.free_port(), "student-edition"
    lab_args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
    lab_args += f"--IdentityProvider.token={token}" + (" --allow-root" if os.geteuid() == 0 else "")
    venv = Path(ct.NBGRADER).parent.parent
    environment = {
        **ct.environment(),
        "PYTHONPATH": str(clone),  # the edition's own hpclearn, not this checkout's
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = (tmp_path / "student.log").open("w")
    server = subprocess.Popen(
        [
            "make",
            "-C",
            str(clone),
            "-o",
            str(venv / ".installed"),
            "student",
            f"VENV={venv}",
            f"LAB_ARGS={lab_args}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        ct.wait_for_jupyter(server, url, token, tmp_path / "student.log", timeout=120)
        listing = json.load(urllib.request.urlopen(f"{url}/api/contents?token={token}"))
        assert sorted(item["name"] for item in listing["content"]) == ct.assignments()
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{url}/formgrader?token={token}")
    finally:
        ct.stop_server(server, clone)
        log.close()
    print((tmp_path / "student.log").read_text().split("[I ")[0])
    workspace = clone / "workspace"
    assert (workspace / "04_multi_worker/train.py").exists()
    status = subprocess.run(
        ["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""  # the workspace is ignored by git
    hidden = subprocess.run(
        [
            "make",
            "-C",
            str(clone),
            "-o",
            str(venv / ".installed"),
            "self-check",
            f"VENV={venv}",
            "A=00_hardware",
            "HIDDEN=1",
        ],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert hidden.returncode != 0 and "not a student edition" in hidden.stderr
