"""Driving nbgrader's real command line on a temporary copy of the course, and reading its
sqlite gradebook. Used by the grading tests; never touches the committed course folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
NBGRADER = Path(sys.executable).parent / "nbgrader"
# A tiny assignment ("toy": three autograded exercises and a written question, NumPy only) for
# the tests that exercise nbgrader's machinery rather than the course's notebooks.
FIXTURE = ROOT / "tests" / "fixtures" / "course"
# Debian's Chromium, which the browser tests drive through Playwright (no downloaded browser).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Without the networking flags Chromium keeps calling Google's services, which a closed network
# refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def assignments() -> list[str]:
    """Assignment ids: the folders of course/source named like 00_topic; only those named in
    HPCLEARN_ASSIGNMENTS (space-separated) where it is set, as `make check A=<id>` sets it."""
    found = sorted(
        p.name for p in (COURSE / "source").iterdir() if p.is_dir() and p.name[:2].isdigit()
    )
    chosen = os.environ.get("HPCLEARN_ASSIGNMENTS", "").split()
    unknown = sorted(set(chosen) - set(found))
    if unknown:
        raise ValueError(f"HPCLEARN_ASSIGNMENTS names {unknown}; the course has {found}")
    return [a for a in found if a in chosen] if chosen else found


def copy_course(destination: Path) -> Path:
    """A fresh course folder holding only the config and the sources (no gradebook, no release)."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(COURSE / "nbgrader_config.py", destination)
    shutil.copytree(COURSE / "source", destination / "source")
    return destination


def copy_fixture_course(destination: Path, *, timeout: int | None = None) -> Path:
    """A fresh course folder with the course's own nbgrader_config.py and the fixture's sources;
    `timeout` (seconds per cell) replaces the course's, so a test can stop a loop quickly."""
    destination.mkdir(parents=True, exist_ok=True)
    config = (COURSE / "nbgrader_config.py").read_text()
    if timeout is not None:
        config += "\n# Shortened for the tests; the rest is the course's own config.\n"
        config += f"c.Execute.timeout = {int(timeout)}\n"
    (destination / "nbgrader_config.py").write_text(config)
    shutil.copytree(FIXTURE / "source", destination / "source")
    return destination


def environment() -> dict[str, str]:
    """This process's environment with the interpreter's bin directory leading PATH (nbgrader
    runs `alembic` by name)."""
    return {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def nbgrader(
    course: Path, *args: str, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in `course`; raise with its log if it fails (unless not `check`) or if
    the course's config file failed to load (nbgrader only logs that, then uses its defaults)."""
    result = subprocess.run(
        [str(NBGRADER), *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
    )
    config_failed = "Exception while loading config file" in result.stderr
    if config_failed or (check and result.returncode != 0):
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_in(folder: Path) -> list[int]:
    """Processes working in `folder` (a Jupyter server's kernels run there)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd").startswith(str(folder)):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def stop_server(server: subprocess.Popen, folder: Path) -> None:
    """Stop `server`'s process group (started with start_new_session), then any process still
    working in `folder`: a kernel the server failed to stop."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    for pid in processes_in(folder):
        os.kill(pid, signal.SIGKILL)


def wait_for_jupyter(
    server: subprocess.Popen, url: str, token: str, log: Path, *, timeout: float
) -> None:
    """Wait until the Jupyter server started as `server` answers at `url`; fail with its log if
    it exits first or does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, log.read_text()
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)


def make_command(target: str, *, course: Path, **variables: object) -> list[str]:
    """The command line of `make TARGET` from the project's Makefile on `course` (never the
    committed course folder), with the environment running the tests as the venv."""
    prefix = Path(sys.prefix)
    # -o: that environment counts as installed; the tests never reinstall it.
    command = ["make", "-C", str(ROOT), "-o", str(prefix / ".installed"), target]
    variables = {"VENV": prefix, "COURSE": course, **variables}
    return command + [f"{name}={value}" for name, value in variables.items()]


def make(target: str, *, course: Path, check: bool = True, **variables: object):
    """Run `make TARGET` on `course`; raise with the output if it fails and `check`."""
    result = subprocess.run(
        make_command(target, course=course, **variables),
        capture_output=True,
        text=True,
        timeout=900,
        env=environment(),
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"make {target} failed:\n{result.stdout}\n{result.stderr}")
    return result


# Right answers to the fixture assignment's exercises, by grade_id, as a student might write them.
TOY_ANSWERS = {
    "squares": "def squares(n):\n    return [i * i for i in range(n)]",
    "mean": (
        "def mean(values):\n"
        "    if not values:\n"
        "        raise ValueError('the mean of nothing')\n"
        "    return sum(values) / len(values)"
    ),
    "clip": "def clip(x, low, high):\n    return max(low, min(x, high))",
}


def fill(released: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook as a student saves it: the cells named in `answers` (by grade_id)
    hold the given text."""
    notebook = nbformat.read(released, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def submit(course: Path, student: str, assignment: str, notebook: Path) -> Path:
    """Place `notebook` as `student`'s submission of `assignment`, as nbgrader collects it."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{assignment}.ipynb"
    shutil.copy(notebook, target)
    return target


@dataclass(frozen=True)
class CellGrade:
    grade_id: str
    score: float | None
    max_score: float
    autograded: bool


def grades(course: Path, assignment: str, student: str) -> dict[str, CellGrade]:
    """Every graded cell of `student`'s `assignment` as recorded in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        return {
            g.name: CellGrade(
                grade_id=g.name,
                score=g.score,
                max_score=g.max_score,
                autograded=g.auto_score is not None,
            )
            for g in notebook.grades
        }


def scores(course: Path, assignment: str) -> dict[str, dict[str, tuple]]:
    """Every student's (auto score, manual score) per graded cell, as the gradebook holds them."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebooks = {
            s.id: gradebook.find_submission_notebook(assignment, assignment, s.id)
            for s in gradebook.students
        }
        return {
            student: {g.name: (g.auto_score, g.manual_score) for g in notebook.grades}
            for student, notebook in notebooks.items()
        }


def graded_cells(notebook: Path) -> dict[str, dict]:
    """nbgrader metadata of the graded cells of a notebook file, by grade_id."""
    nb = nbformat.read(notebook, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: {**cell.metadata["nbgrader"], "type": cell.cell_type}
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
