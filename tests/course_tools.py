"""Driving nbgrader's real command line on a temporary copy of the course, and reading its
sqlite gradebook. Used by the grading tests; never touches the committed course folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
NBGRADER = Path(sys.executable).parent / "nbgrader"


def assignments() -> list[str]:
    """Assignment ids: the folders of course/source named like 00_topic."""
    return sorted(
        p.name for p in (COURSE / "source").iterdir() if p.is_dir() and p.name[:2].isdigit()
    )


def copy_course(destination: Path) -> Path:
    """A fresh course folder holding only the config and the sources (no gradebook, no release)."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(COURSE / "nbgrader_config.py", destination)
    shutil.copytree(COURSE / "source", destination / "source")
    return destination


def nbgrader(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in `course`; raise with its log if it fails."""
    # nbgrader runs `alembic` by name, so the interpreter's bin directory leads PATH.
    env = {**os.environ, "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(NBGRADER), *args], cwd=course, capture_output=True, text=True, timeout=timeout, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


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


def graded_cells(notebook: Path) -> dict[str, dict]:
    """nbgrader metadata of the graded cells of a notebook file, by grade_id."""
    nb = nbformat.read(notebook, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: {**cell.metadata["nbgrader"], "type": cell.cell_type}
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
