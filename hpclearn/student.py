"""The student's side of the course: a workspace of released notebooks, and self-checking.

A workspace holds one folder per assignment, copied from the course's release (the student
versions nbgrader makes: no solutions, no hidden tests). Building it again never overwrites a
student's work: a new assignment is added, and a release that changed since it was handed out
is offered beside the student's copy. JupyterLab opens it with nbgrader's student tools only.

From a terminal (the Makefile's `student` and `self-check` targets call these)::

    python -m hpclearn.student workspace workspace --course course
    python -m hpclearn.student lab workspace
    python -m hpclearn.student check workspace/00_hardware/00_hardware.ipynb
    python -m hpclearn.student check workspace/00_hardware/00_hardware.ipynb --hidden

This module never reads or holds a solution. `grade` reads the course's source, where there is
one, to run its hidden tests, and reports only their verdicts and messages. It needs nbgrader
(the `course` extra), imported only when called.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import filecmp
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Change",
    "Report",
    "TestResult",
    "configure_lab",
    "grade",
    "release",
    "update_workspace",
    "validate",
]

# The grader's execution settings (course/nbgrader_config.py), so that the Validate button and
# `check` give a cell as long as grading does; nbgrader's own default is 30 s.
GRADER_EXECUTION = {"timeout": 120, "interrupt_on_timeout": True}

# Instructor tools a student never needs: the formgrader and "Create Assignment" sidebar, and
# JupyterLab's pop-up asking to fetch news from the internet.
_INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
_NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
# Without an exchange directory (a shared server) there is nothing to fetch or submit, and the
# Nbgrader menu, which lists only those tools and the instructor's, would be empty.
_EXCHANGE_PLUGINS = [
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",
]
_EXCHANGE_SERVER = [
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
]

_CONFIG = ".jupyter"  # the workspace's own Jupyter config folder
_HANDED_OUT = ".released"  # what the workspace last received of each release, to compare against
_SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
STUDENT = "student"  # the id a self-check grades under, in its temporary gradebook


@dataclass(frozen=True)
class Change:
    """What `update_workspace` did with one released file, by its path in the workspace.

    `action` is "added" (new here), "kept" (your copy stays as it is), "updated" (you had not
    changed it, so the new release replaced it) or "offered" (the release changed and you had
    worked on your copy: the new release is at `offered`, beside yours).

    >>> Change("00_hardware/00_hardware.ipynb", "kept")
    """

    path: str
    action: str
    offered: str = ""

    def __str__(self) -> str:
        if self.action == "offered":
            return (
                f"offered  {self.offered}  (the release changed; {self.path} is yours, untouched)"
            )
        return f"{self.action:8} {self.path}"


def release(course: Path, destination: Path) -> Path:
    """The student version of every assignment in `course/source`, made by nbgrader with the
    course's own config in a temporary copy (the course's gradebook and release stay as they
    are), written to `destination/<id>/`; returns `destination`.

    >>> release(Path("course"), Path("/tmp/released"))
    """
    from nbgrader.apps import NbGrader, NbGraderAPI

    course, destination = Path(course).resolve(), Path(destination)
    sources = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    if not sources:
        raise ValueError(f"{course / 'source'} holds no assignment folder; nothing to release.")
    _venv_on_path()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(course / "nbgrader_config.py", work)
        shutil.copytree(course / "source", work / "source", ignore=_SKIP)
        with _inside(work):
            api = _api(NbGrader, NbGraderAPI)
            for assignment in sources:
                result = api.generate_assignment(assignment, force=True)
                if not result["success"]:
                    raise RuntimeError(f"releasing {assignment} failed:\n{result['log']}")
        destination.mkdir(parents=True, exist_ok=True)
        for assignment in sources:
            shutil.rmtree(destination / assignment, ignore_errors=True)
            shutil.copytree(work / "release" / assignment, destination / assignment)
    return destination


def update_workspace(
    released: Path, workspace: Path, *, today: datetime.date | None = None
) -> list[Change]:
    """Bring `workspace` up to date with the released assignments in `released/<id>/`, never
    overwriting a student's work; return what happened to each released file.

    A file the workspace lacks is added. A file whose release has not changed since it was
    handed out is kept. A changed release replaces a copy the student never changed, and is
    otherwise written beside it as `<name>.release-<date><suffix>`.

    >>> for change in update_workspace(Path("course/release"), Path("workspace")): print(change)
    """
    released, workspace = Path(released), Path(workspace)
    if not released.is_dir():
        raise ValueError(
            f"{released} does not exist: it should hold the released assignments "
            "(course/release, made from course/source or shipped in a student edition)."
        )
    today = today or datetime.date.today()
    changes = []
    for new in sorted(p for p in released.rglob("*") if p.is_file() and not _skipped(p)):
        relative = new.relative_to(released)
        yours, handed_out = workspace / relative, workspace / _HANDED_OUT / relative
        if not yours.exists():
            _copy(new, yours)
            changes.append(Change(str(relative), "added"))
        elif _same(new, handed_out) or _same(new, yours):
            changes.append(Change(str(relative), "kept"))
        elif _same(yours, handed_out):
            _copy(new, yours)
            changes.append(Change(str(relative), "updated"))
        else:
            beside = _free_name(yours, today)
            _copy(new, beside)
            changes.append(Change(str(relative), "offered", str(beside.relative_to(workspace))))
        _copy(new, handed_out)
    return changes


def configure_lab(workspace: Path, *, exchange: bool | None = None) -> Path:
    """Write the workspace's own Jupyter config folder and return it: JupyterLab started with
    it on `JUPYTER_CONFIG_PATH` shows nbgrader's Validate button (and, where an `exchange`
    directory exists, its Assignment List) but no formgrader, no "Create Assignment" and no
    news pop-up, and validates with the grader's timeout. Nothing outside `workspace` changes.
    `exchange=None` looks for nbgrader's exchange directory as a student's server would.

    >>> os.environ["JUPYTER_CONFIG_PATH"] = str(configure_lab(Path("workspace")))
    """
    config = Path(workspace) / _CONFIG
    if exchange is None:
        exchange = _exchange_exists()
    disabled = [*_INSTRUCTOR_PLUGINS, _NEWS_PLUGIN, *([] if exchange else _EXCHANGE_PLUGINS)]
    server = {"nbgrader.server_extensions.formgrader": False}
    server |= {} if exchange else dict.fromkeys(_EXCHANGE_SERVER, False)
    files = {
        "labconfig/page_config.json": {"disabledExtensions": dict.fromkeys(disabled, True)},
        "jupyter_server_config.json": {
            "ServerApp": {"jpserver_extensions": server},
            # No request to the internet for news or for a newer JupyterLab.
            "LabApp": {
                "news_url": None,
                "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            },
        },
        "nbgrader_config.json": {"Execute": GRADER_EXECUTION},
    }
    for name, content in files.items():
        (config / name).parent.mkdir(parents=True, exist_ok=True)
        (config / name).write_text(json.dumps(content, indent=2) + "\n")
    return config


@dataclass(frozen=True)
class TestResult:
    """One autograded test cell's outcome: the exercise it tests (the answer cell's grade id),
    the points it earned out of `max_points`, and the error it raised ("" when it passed).

    >>> TestResult("matmul_flops", 0.0, 2.0, "AssertionError: matmul_flops(2, 3, 4): ...")
    """

    exercise: str
    points: float
    max_points: float
    message: str = ""


@dataclass(frozen=True)
class Report:
    """The self-check of one notebook: each autograded test's result, the written answers left
    to a human grader, and the locked cells the student changed (grading restores them).
    `hidden` says whether the hidden tests ran. `str(report)` is what `check` prints.

    >>> print(validate(Path("workspace/00_hardware/00_hardware.ipynb")))
    """

    notebook: str
    hidden: bool
    tests: tuple[TestResult, ...]
    written: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)

    def __str__(self) -> str:
        how = "the visible and the hidden tests, graded" if self.hidden else "the visible tests"
        lines = [f"{self.notebook}: {how} as the grader runs them"]
        width = max([len(t.exercise) for t in self.tests] + [8])
        for test in self.tests:
            lines.append(
                f"  {test.exercise:{width}}  {_num(test.points)} / {_num(test.max_points)}"
            )
            lines += [f"      {line}" for line in test.message.splitlines()]
        lines.append(f"  {'total':{width}}  {_num(self.points)} / {_num(self.max_points)}")
        if self.written:
            lines.append(f"  written answers, graded by hand: {', '.join(self.written)}")
        if self.changed:
            lines.append(
                f"  you changed locked cells ({', '.join(self.changed)}): grading puts back the "
                "originals, so your results may differ from these"
            )
        if not self.hidden:
            lines.append(
                "  The hidden tests decide the grade; passing the visible ones is a first check."
            )
        return "\n".join(lines)


def validate(notebook: Path) -> Report:
    """Run `notebook` as nbgrader's Validate button does (a fresh kernel, the visible tests in
    it, the grader's timeout) and report each test's points and failure message.

    >>> print(validate(Path("workspace/00_hardware/00_hardware.ipynb")))
    """
    from nbgrader import utils
    from nbgrader.validator import Validator
    from traitlets.config import Config

    class KeepingValidator(Validator):
        executed = None

        def _preprocess(self, nb):
            self.executed = super()._preprocess(nb)
            return self.executed

    notebook = _existing(notebook)
    validator = KeepingValidator(config=Config({"Execute": GRADER_EXECUTION}))
    results = validator.validate(str(notebook))
    if validator.executed is None:  # nbgrader stops before running when a cell's type changed
        raise ValueError(
            f"{notebook}: a graded cell's type was changed (code to markdown or back); "
            "change it back (Cell type in the toolbar) and check again."
        )
    changed = [
        c.metadata.nbgrader["grade_id"] for c in validator._get_changed_cells(validator.executed)
    ]
    tests, written = [], []
    for cell, exercise in _graded(validator.executed):
        if cell.cell_type != "code":
            written.append(cell.metadata.nbgrader["grade_id"])
            continue
        points, max_points = utils.determine_grade(cell, validator.log)
        tests.append(TestResult(exercise, float(points), float(max_points), _errors(cell)))
    del results
    return Report(notebook.name, False, tuple(tests), tuple(written), tuple(changed))


def grade(notebook: Path, course: Path) -> Report:
    """Grade `notebook` as the course's autograder does, hidden tests included, in a temporary
    copy of `course` (which must hold `source/<id>/`, the assignment's folder name being the
    workspace folder's), and report each test's points and failure message. This reveals the
    hidden tests' verdicts, never their code.

    >>> print(grade(Path("workspace/00_hardware/00_hardware.ipynb"), Path("course")))
    """
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGrader, NbGraderAPI

    notebook, course = _existing(notebook), Path(course).resolve()
    assignment = notebook.parent.name
    source = course / "source" / assignment
    if not source.is_dir():
        raise ValueError(
            f"{source} does not exist: grading with the hidden tests needs the course's source "
            f"(the course repository, not a student edition), and {notebook} must sit in a "
            "folder named after its assignment, as in the workspace."
        )
    names = [p.name for p in source.glob("*.ipynb")]
    name = notebook.name if notebook.name in names else (names[0] if len(names) == 1 else None)
    if name is None:
        raise ValueError(f"{notebook.name} is none of {assignment}'s notebooks: {names}")
    _venv_on_path()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(course / "nbgrader_config.py", work)
        shutil.copytree(source, work / "source" / assignment, ignore=_SKIP)
        submitted = work / "submitted" / STUDENT / assignment
        shutil.copytree(notebook.parent, submitted, ignore=_only_helper_files)
        shutil.copy(notebook, submitted / name)
        with _inside(work):
            api = _api(NbGrader, NbGraderAPI)
            for step in (
                lambda: api.generate_assignment(assignment, force=True),
                lambda: api.autograde(assignment, STUDENT, force=True, create=True),
            ):
                result = step()
                if not result["success"]:
                    raise RuntimeError(f"grading {notebook} failed:\n{result['log']}")
        import nbformat

        graded = nbformat.read(work / "autograded" / STUDENT / assignment / name, as_version=4)
        with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gradebook:
            scores = {
                g.name: (g.score, g.max_score, g.auto_score is not None)
                for g in gradebook.find_submission_notebook(
                    Path(name).stem, assignment, STUDENT
                ).grades
            }
    tests, written = [], []
    for cell, exercise in _graded(graded):
        grade_id = cell.metadata.nbgrader["grade_id"]
        score, max_score, autograded = scores[grade_id]
        if autograded:
            tests.append(TestResult(exercise, float(score), float(max_score), _errors(cell)))
        else:
            written.append(grade_id)
    return Report(notebook.name, True, tuple(tests), tuple(written))


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module's docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m hpclearn.student", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("workspace", help="build or update a student workspace")
    build.add_argument("workspace", type=Path)
    build.add_argument(
        "--course",
        type=Path,
        default=Path("course"),
        help="released from COURSE/source when there is one, else taken from COURSE/release",
    )
    lab = commands.add_parser("lab", help="JupyterLab on a workspace, with student tools only")
    lab.add_argument("workspace", type=Path)
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    check = commands.add_parser("check", help="run a notebook's tests as the grader does")
    check.add_argument("notebook", type=Path)
    check.add_argument(
        "--hidden", action="store_true", help="grade with the hidden tests (reveals their verdicts)"
    )
    check.add_argument("--course", type=Path, default=Path("course"))
    args = parser.parse_args(argv)

    try:
        if args.command == "workspace":
            return _build(args.workspace, args.course)
        if args.command == "lab":
            return _lab(args.workspace, args.lab_args)
        report = grade(args.notebook, args.course) if args.hidden else validate(args.notebook)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.points == report.max_points and not report.changed else 1


def _build(workspace: Path, course: Path) -> int:
    if (course / "source").is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            print(f"releasing {course / 'source'}: solutions and hidden tests removed")
            changes = update_workspace(release(course, Path(tmp)), workspace)
    else:
        changes = update_workspace(course / "release", workspace)
    configure_lab(workspace)
    print(f"workspace {workspace}:")
    for change in changes:
        print(f"  {change}")
    return 0


def _lab(workspace: Path, lab_args: Sequence[str]) -> int:
    config = configure_lab(workspace)
    paths = [str(config.resolve()), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    os.chdir(workspace)
    jupyter = Path(sys.executable).parent / "jupyter"
    os.execv(jupyter, [str(jupyter), "lab", *lab_args])
    return 1  # not reached: the server replaces this process


def _graded(nb):
    """(graded cell, the exercise it belongs to) in order: a test cell belongs to the answer
    cell before it."""
    exercise = ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            exercise = meta["grade_id"]
        if meta.get("grade"):
            yield cell, (exercise if cell.cell_type == "code" and exercise else meta["grade_id"])


def _errors(cell) -> str:
    """The error a cell raised, as `Name: message` (never its traceback, which would show the
    code of a hidden test)."""
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    return "\n".join(f"{o.ename}: {o.evalue}" if o.evalue else o.ename for o in errors)


def _num(value: float) -> str:
    return f"{value:g}"


def _existing(notebook: Path) -> Path:
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise ValueError(
            f"{notebook} does not exist: name a notebook of your workspace, e.g. "
            "workspace/00_hardware/00_hardware.ipynb (`make student` builds the workspace)."
        )
    return notebook


def _exchange_exists() -> bool:
    from nbgrader.apps import NbGrader
    from nbgrader.exchange.default.exchange import Exchange

    app = NbGrader(log_level="ERROR")  # a workspace has no nbgrader_config.py: no warning
    app.load_config_file()
    return Path(Exchange(config=app.config).root).is_dir()


@contextlib.contextmanager
def _inside(folder: Path):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)


def _api(app_class, api_class):
    """nbgrader's API configured as its command line is in the current folder (the course's
    nbgrader_config.py there, and the user's own config)."""
    app = app_class()
    app.load_config_file()
    return api_class(config=app.config)


def _venv_on_path() -> None:
    # nbgrader runs `alembic` by name when it creates a gradebook.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def _skipped(path: Path) -> bool:
    return any(part in (".ipynb_checkpoints", "__pycache__") for part in path.parts)


def _only_helper_files(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n.endswith(".ipynb") or n in (".ipynb_checkpoints", "__pycache__")]


def _same(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _free_name(path: Path, today: datetime.date) -> Path:
    stem = f"{path.stem}.release-{today.isoformat()}"
    candidate, n = path.with_name(stem + path.suffix), 2
    while candidate.exists():
        candidate, n = path.with_name(f"{stem}-{n}{path.suffix}"), n + 1
    return candidate


if __name__ == "__main__":
    sys.exit(main())
