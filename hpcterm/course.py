"""What every term command shares: the course folder, its gradebook, and nbgrader run in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

CONFIG = "nbgrader_config.py"


class CourseError(SystemExit):
    """A mistake the instructor can fix; the message says how. Exits with status 2."""

    def __init__(self, message: str):
        super().__init__(f"error: {message}")
        self.code = 2


def course_root(path: str | os.PathLike | None = None) -> Path:
    """The course folder: `path`, else $HPCLEARN_COURSE, else ./course. It must hold the
    course's nbgrader_config.py."""
    root = Path(path or os.environ.get("HPCLEARN_COURSE") or "course").resolve()
    if not (root / CONFIG).is_file():
        raise CourseError(
            f"{root} holds no {CONFIG}: pass the course folder (the one with source/ and "
            f"{CONFIG}), or set HPCLEARN_COURSE"
        )
    return root


def db_url(root: Path) -> str:
    """The gradebook's URL: the sqlite file gradebook.db in the course folder."""
    return f"sqlite:///{root / 'gradebook.db'}"


def gradebook(root: Path) -> Gradebook:
    """nbgrader's gradebook API on the course's database (use it as a context manager)."""
    return Gradebook(db_url(root), course_id="hpclearn")


def nbgrader_command() -> str:
    """The nbgrader executable of this environment."""
    beside = Path(sys.executable).parent / "nbgrader"
    return str(beside) if beside.exists() else (shutil.which("nbgrader") or "nbgrader")


def nbgrader(root: Path, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run `nbgrader <args>` in the course folder, as the Makefile does."""
    return subprocess.run([nbgrader_command(), *args], cwd=root, check=check, **kwargs)


def command(main):
    """Wrap a command's `main(argv=None)` so that a CourseError's message reaches stderr: Python
    prints nothing for a SystemExit whose code is a number, and CourseError's is 2."""
    import functools

    @functools.wraps(main)
    def run(argv=None):
        try:
            return main(argv)
        except CourseError as error:
            print(error.args[0], file=sys.stderr)
            raise

    return run
