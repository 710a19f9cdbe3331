"""Grade the collected submissions of an assignment: only what changed, N at a time, one writer.

    python -m hpcterm.grade [A ...] [--student S]... [--jobs N] [--force] [--create] [--slurm]

A pass has two stages. Executing a submission (nbgrader autograde's sanitising and execution,
with the course's guards `RestoreEveryGradedCell` and `GradingExecute`) happens in a worker, in
a temporary course folder of its own holding a snapshot of the gradebook, so workers never touch
the course's gradebook and any number can run at once (`--jobs N` processes here, or one SLURM
array task per submission with `--slurm`). Recording the grades is nbgrader's autograde again,
run by this process alone over the executed notebooks (its `Execute` stage replaced by
`ReplayExecuted`), so exactly one process ever writes the sqlite gradebook.

Incremental: a submission is executed again only if it was never graded, its folder in
submitted/ changed, or the assignment as graded changed (the gradebook's source cells and
points, the other files of source/<A>, nbgrader_config.py); the record of what was graded is
autograded/.grading/<A>.json. Hand grades: a score given by hand stays; it stays confirmed when
the answer it grades is unchanged, and is marked "needs manual grade" again otherwise.
A submission whose cells carry grade ids the gradebook does not know is graded and FLAGGED.
Exit status: 0 fine, 1 a submission failed to grade, 2 a mistake to fix (message says what),
3 graded, but something needs the instructor (FLAGGED or REFUSED lines).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import copy
import datetime
import fcntl
import fnmatch
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.preprocessors.base import NbGraderPreprocessor
from sqlalchemy.exc import SAWarning
from traitlets import Unicode
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from hpcterm.course import CONFIG, CourseError, command, course_root, gradebook, nbgrader

RECORD = Path("autograded") / ".grading"
FAILED, ATTENTION = 1, 3


# ---------------------------------------------------------------------------------------------
# nbgrader configuration: the course's own, with one stage swapped


def course_config(root: Path) -> Config:
    """The course's nbgrader_config.py as nbgrader loads it (grading guards included)."""
    return PyFileConfigLoader(CONFIG, path=str(root)).load_config()


def _class(item):
    return import_item(item) if isinstance(item, str) else item


def _autograde_stages(config: Config) -> list:
    if "autograde_preprocessors" in config.Autograde:
        return [_class(p) for p in config.Autograde.autograde_preprocessors]
    return list(Autograde.class_traits()["autograde_preprocessors"].default())


def execute_config(root: Path, workdir: Path) -> Config:
    """The course's config for a worker: course folder `workdir`, its own gradebook copy, and of
    the autograde stage only the execution (the course's GradingExecute); nothing is recorded."""
    config = copy.deepcopy(course_config(root))
    config.CourseDirectory.root = str(workdir)
    config.CourseDirectory.db_url = f"sqlite:///{workdir / 'gradebook.db'}"
    stages = [p for p in _autograde_stages(config) if issubclass(p, Execute)]
    if len(stages) != 1:
        raise CourseError(f"{root / CONFIG}: the autograde stage must hold one Execute step")
    config.Autograde.autograde_preprocessors = stages
    return config


def record_config(root: Path, executed: Path) -> Config:
    """The course's config for the writer: every autograde step but the execution, which is
    replaced by the notebook a worker executed."""
    config = copy.deepcopy(course_config(root))
    stages = _autograde_stages(config)
    config.Autograde.autograde_preprocessors = [
        ReplayExecuted if issubclass(p, Execute) else p for p in stages
    ]
    config.ReplayExecuted.executed_root = str(executed)
    return config


class ReplayExecuted(NbGraderPreprocessor):
    """In place of Execute: the notebook as a worker executed it (the same sanitised cells)."""

    executed_root = Unicode("", help="Folder of executed notebooks: <student>/<A>/<nb>.ipynb").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = Path(self.executed_root, info["student"], info["assignment"])
        executed = nbformat.read(path / f"{info['notebook']}.ipynb", as_version=4)
        if [c.source for c in executed.cells] != [c.source for c in nb.cells]:
            raise RuntimeError(f"{path}: the executed notebook is not this submission's")
        return executed, resources


def _run_autograde(config: Config, assignment: str, student: str) -> None:
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    converter.create_student = True
    converter.start()


# ---------------------------------------------------------------------------------------------
# The worker: one submission executed in a course folder of its own


def execute_submission(
    root: str, assignment: str, student: str, snapshot: str, into: str
) -> tuple[str, float, str]:
    """Sanitise and execute `student`'s submission of `assignment` in a temporary course folder
    holding a copy of the gradebook snapshot; the executed notebooks go to
    `into`/<student>/<assignment>/. Returns (student, seconds, error or "")."""
    start = time.perf_counter()
    root_path = Path(root)
    try:
        with tempfile.TemporaryDirectory(prefix="hpcterm-grade-") as tmp:
            work = Path(tmp)
            shutil.copy(snapshot, work / "gradebook.db")
            shutil.copytree(root_path / "source" / assignment, work / "source" / assignment)
            shutil.copytree(
                root_path / "submitted" / student / assignment,
                work / "submitted" / student / assignment,
            )
            _run_autograde(execute_config(root_path, work), assignment, student)
            done = work / "autograded" / student / assignment
            target = Path(into) / student / assignment
            target.mkdir(parents=True, exist_ok=True)
            notebooks = sorted(done.glob("*.ipynb"))
            if not notebooks:
                raise RuntimeError("nbgrader wrote no executed notebook (see its log above)")
            for notebook in notebooks:
                shutil.copy(notebook, target / notebook.name)
        return student, time.perf_counter() - start, ""
    except Exception as error:  # reported as FAILED for this submission, the pass goes on
        return student, time.perf_counter() - start, f"{type(error).__name__}: {error}"


def snapshot_gradebook(root: Path, target: Path) -> Path:
    """A consistent copy of the gradebook (sqlite's online backup), for the workers to read."""
    source = sqlite3.connect(root / "gradebook.db")
    copy_ = sqlite3.connect(target)
    with copy_:
        source.backup(copy_)
    source.close()
    copy_.close()
    return target


def execute_locally(
    root: Path, assignment: str, students: list[str], snapshot: Path, into: Path, jobs: int
) -> dict[str, tuple[float, str]]:
    """Each submission in a worker process, `jobs` at a time; with one job, in this process
    (the same function, in a course folder of its own: it saves starting a worker)."""
    results = {}
    if jobs == 1:
        for student in students:
            _, seconds, error = execute_submission(
                str(root), assignment, student, str(snapshot), str(into)
            )
            results[student] = (seconds, error)
        return results
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [
            pool.submit(execute_submission, str(root), assignment, s, str(snapshot), str(into))
            for s in students
        ]
        for future in concurrent.futures.as_completed(futures):
            student, seconds, error = future.result()
            results[student] = (seconds, error)
    return results


# ---------------------------------------------------------------------------------------------
# Fingerprints: what a grade depends on


def _digest(items) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(repr(item).encode())
        h.update(b"\0")
    return h.hexdigest()


def _files(folder: Path, ignore: list[str], *, skip_notebooks: bool = False):
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in ignore):
            continue
        if path.is_file() and not (skip_notebooks and path.suffix == ".ipynb"):
            yield str(rel), hashlib.sha256(path.read_bytes()).hexdigest()


def _ignore(root: Path) -> list[str]:
    config = course_config(root)
    return list(
        config.CourseDirectory.get("ignore", CourseDirectory.class_traits()["ignore"].default())
    )


def assignment_fingerprint(root: Path, assignment: str) -> str:
    """The assignment as autograde uses it: the gradebook's source cells and points, the other
    files of source/<A>, and the course's nbgrader_config.py."""
    with gradebook(root) as gb:
        items = []
        for notebook in sorted(gb.find_assignment(assignment).notebooks, key=lambda n: n.name):
            items.append(notebook.name)
            for cell in sorted(notebook.source_cells, key=lambda c: c.name):
                items.append((cell.name, cell.cell_type, cell.locked, cell.checksum, cell.source))
            for cell in sorted(notebook.grade_cells, key=lambda c: c.name):
                items.append((cell.name, cell.max_score))
    items.extend(_files(root / "source" / assignment, _ignore(root), skip_notebooks=True))
    config = (root / CONFIG).read_text()
    items.append(config)
    # A course folder outside the checkout (hpcterm.state) loads the checkout's config: its text
    # is part of the assignment as graded too.
    loaded = re.search(r"^CHECKOUT_CONFIG = Path\((.+)\)$", config, re.MULTILINE)
    if loaded:
        checkout = Path(ast.literal_eval(loaded.group(1)))
        items.append(checkout.read_text() if checkout.is_file() else "")
    return _digest(items)


def submission_fingerprint(root: Path, assignment: str, student: str) -> str:
    """Everything in the student's submitted folder (notebooks, timestamp.txt, other files),
    the assignment's due date and the student's extension (the late penalty's inputs)."""
    with gradebook(root) as gb:
        due = gb.find_assignment(assignment).duedate
        try:
            extension = gb.find_submission(assignment, student).extension
        except MissingEntry:
            extension = None
    items = list(_files(root / "submitted" / student / assignment, _ignore(root)))
    return _digest([*items, ("duedate", str(due)), ("extension", str(extension))])


def read_record(root: Path, assignment: str) -> dict:
    path = root / RECORD / f"{assignment}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_record(root: Path, assignment: str, record: dict) -> None:
    path = root / RECORD / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(record, indent=1, sort_keys=True))
    partial.replace(path)


# ---------------------------------------------------------------------------------------------
# Hand grades and unknown grade ids


def _nbgrader_cells(path: Path) -> list:
    if not path.exists():
        return []
    return [c for c in nbformat.read(path, as_version=4).cells if "nbgrader" in c.metadata]


def answer_checksums(folder: Path) -> dict[tuple[str, str], str]:
    """(notebook, grade_id) -> nbgrader checksum of every answer cell of the notebooks in
    `folder` (an autograded submission: the answers as they were graded)."""
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        for cell in _nbgrader_cells(path):
            if utils.is_solution(cell) and "grade_id" in cell.metadata.nbgrader:
                found[(path.stem, cell.metadata.nbgrader.grade_id)] = utils.compute_checksum(cell)
    return found


def unknown_grade_ids(root: Path, assignment: str, student: str) -> list[str]:
    """Grade ids of graded, answer or locked cells of the submission that the gradebook does not
    know for its notebook: another notebook handed in under this name, or edited metadata."""
    unknown = []
    with gradebook(root) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            known = {c.name for c in notebook.source_cells}
            known |= {c.name for c in notebook.grade_cells} | {c.name for c in notebook.task_cells}
            path = root / "submitted" / student / assignment / f"{notebook.name}.ipynb"
            for cell in _nbgrader_cells(path):
                grade_id = cell.metadata.nbgrader.get("grade_id")
                marked = utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)
                if grade_id and grade_id not in known and (marked or utils.is_task(cell)):
                    unknown.append(grade_id)
    return unknown


def hand_grades(root: Path, assignment: str, student: str) -> dict:
    """(notebook, grade_id) -> (manual score, needs manual grade, auto score) of the cells
    graded by hand so far."""
    with gradebook(root) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        return {
            (notebook.name, grade.name): (
                grade.manual_score,
                grade.needs_manual_grade,
                grade.auto_score,
            )
            for notebook in submission.notebooks
            for grade in notebook.grades
            if grade.manual_score is not None
        }


@dataclass
class HandGradeOutcome:
    kept: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


def settle_hand_grades(
    root: Path,
    assignment: str,
    student: str,
    before: dict,
    old_answers: dict,
    flagged: bool,
) -> HandGradeOutcome:
    """After a grading pass, which nbgrader ends by marking every hand-graded cell "needs manual
    grade": a hand grade that was confirmed and grades an unchanged answer is confirmed again.
    An answer cell's grade depends on that cell's checksum; a test cell overridden by hand on
    its auto score and on every answer cell of its notebook. A flagged submission first has
    every graded cell marked "needs manual grade"."""
    outcome = HandGradeOutcome()
    new_answers = answer_checksums(root / "autograded" / student / assignment)
    with gradebook(root) as gb:
        submission = gb.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if flagged:
                    grade.needs_manual_grade = True
                key = (notebook.name, grade.name)
                if key not in before:
                    continue
                _, needed, auto_before = before[key]
                if needed:  # never confirmed: it stays to be graded
                    continue
                if key in new_answers or key in old_answers:
                    same = key in old_answers and old_answers.get(key) == new_answers.get(key)
                else:
                    mine = {k: v for k, v in new_answers.items() if k[0] == notebook.name}
                    theirs = {k: v for k, v in old_answers.items() if k[0] == notebook.name}
                    same = mine == theirs and auto_before == grade.auto_score
                label = grade.name if len(submission.notebooks) == 1 else "/".join(key)
                if same:
                    grade.needs_manual_grade = False
                    outcome.kept.append(label)
                else:
                    grade.needs_manual_grade = True
                    outcome.reopened.append(label)
        gb.db.commit()
    return outcome


# ---------------------------------------------------------------------------------------------
# A pass over one assignment


@dataclass
class Summary:
    lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("graded", "unchanged", "failed", "refused", "flagged"), 0
        )
    )
    kept: int = 0
    reopened: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> int:
        if self.counts["failed"]:
            return FAILED
        if self.counts["refused"] or self.counts["flagged"]:
            return ATTENTION
        return 0


def enrolled(root: Path) -> set[str] | None:
    """The roster's student ids (hpcterm.roster), or None while no roster was imported: then
    students are created as they hand in, as `nbgrader autograde --create` does."""
    try:
        from hpcterm.roster import enrolled as roster
    except ImportError:
        return None
    return roster(root)


def submissions(root: Path, assignment: str) -> list[str]:
    """Students with a notebook in submitted/<student>/<assignment>/."""
    found = (root / "submitted").glob(f"*/{assignment}/*.ipynb")
    return sorted({p.parent.parent.name for p in found})


def _score(root: Path, assignment: str, student: str) -> str:
    with gradebook(root) as gb:
        try:
            s = gb.find_submission(assignment, student)
        except MissingEntry:
            return "-"
        return f"{s.score:g}/{s.max_score:g}"


def grade_assignment(
    root: Path,
    assignment: str,
    *,
    students: list[str] | None = None,
    jobs: int = 1,
    force: bool = False,
    create: bool = False,
    spread=None,
    say=print,
) -> Summary:
    """Grade `assignment`'s submissions (or those of `students`) that changed since their last
    grading (all of them with `force`); `spread(root, assignment, students, snapshot, into)`
    executes them elsewhere (SLURM) instead of `jobs` local processes."""
    summary = Summary()
    with gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(
                f"{assignment} is not in the gradebook: release it first "
                f"(`make release A={assignment}`)"
            ) from None
    roster = enrolled(root)
    handed_in = submissions(root, assignment)
    if students:
        missing = sorted(set(students) - set(handed_in))
        if missing:
            raise CourseError(
                f"no submission of {assignment} from {', '.join(missing)} in "
                f"{root / 'submitted'}: collect it first (make collect)"
            )
        handed_in = [s for s in handed_in if s in students]

    fingerprint = assignment_fingerprint(root, assignment)
    record = read_record(root, assignment)
    todo = []
    for student in handed_in:
        if roster is not None and student not in roster and not create:
            summary.counts["refused"] += 1
            summary.lines.append(
                f"REFUSED   {assignment} {student}  not on the roster: add the student "
                "(make roster) or grade with --create"
            )
            continue
        seen = record.get(student, {})
        done = root / "autograded" / student / assignment
        if (
            not force
            and seen.get("assignment") == fingerprint
            and seen.get("submission") == submission_fingerprint(root, assignment, student)
            and any(done.glob("*.ipynb"))
        ):
            summary.counts["unchanged"] += 1
            summary.lines.append(
                f"unchanged {assignment} {student}  {_score(root, assignment, student)}"
                "  (not graded again)"
            )
            if seen.get("unknown_ids") and _needs_manual_grade(root, assignment, student):
                summary.lines.append(_flag_line(assignment, student, seen["unknown_ids"]))
                summary.counts["flagged"] += 1
            continue
        todo.append(student)

    if todo:
        say(f"{assignment}: executing {len(todo)} submission(s), {jobs} at a time")
        executing = root / RECORD / f"executing-{assignment}-{os.getpid()}"
        shutil.rmtree(executing, ignore_errors=True)
        executing.mkdir(parents=True)
        try:
            snapshot = snapshot_gradebook(root, executing / "gradebook.db")
            into = executing / "executed"
            if spread is not None:
                results = spread(root, assignment, todo, snapshot, into)
            else:
                results = execute_locally(root, assignment, todo, snapshot, into, jobs)
            _record_all(root, assignment, todo, results, into, fingerprint, record, summary)
        finally:
            shutil.rmtree(executing, ignore_errors=True)
    summary.lines.append(
        f"{assignment}: {len(handed_in)} submission(s): "
        + ", ".join(f"{n} {k}" for k, n in summary.counts.items())
        + f"; hand grades kept {summary.kept}, back to needs manual grade {summary.reopened}"
    )
    return summary


def _needs_manual_grade(root: Path, assignment: str, student: str) -> bool:
    with gradebook(root) as gb:
        return bool(gb.find_submission(assignment, student).needs_manual_grade)


def _flag_line(assignment: str, student: str, unknown: list[str]) -> str:
    shown = ", ".join(unknown[:4]) + (f" and {len(unknown) - 4} more" if len(unknown) > 4 else "")
    return (
        f"FLAGGED   {assignment} {student}  cells with grade ids the gradebook does not know "
        f"({shown}): another notebook handed in under this name? Graded as ordinary code; "
        "every graded cell marked needs manual grade until you grade it by hand"
    )


def _record_all(root, assignment, todo, results, into, fingerprint, record, summary):
    """The one writer: nbgrader records each executed submission's grades, in turn."""
    config = record_config(root, into)
    for student in todo:
        seconds, error = results.get(student, (0.0, "no result from its worker"))
        summary.seconds[student] = seconds
        if error:
            summary.counts["failed"] += 1
            summary.lines.append(f"FAILED    {assignment} {student}  {error}")
            continue
        before = hand_grades(root, assignment, student)
        old_answers = answer_checksums(root / "autograded" / student / assignment)
        unknown = unknown_grade_ids(root, assignment, student)
        submitted = submission_fingerprint(root, assignment, student)
        started = time.perf_counter()
        try:
            _run_autograde(config, assignment, student)
        except Exception as error:
            summary.counts["failed"] += 1
            summary.lines.append(
                f"FAILED    {assignment} {student}  recording: {type(error).__name__}: {error}"
            )
            continue
        outcome = settle_hand_grades(
            root, assignment, student, before, old_answers, flagged=bool(unknown)
        )
        summary.kept += len(outcome.kept)
        summary.reopened += len(outcome.reopened)
        summary.counts["graded"] += 1
        line = f"graded    {assignment} {student}  {_score(root, assignment, student)}"
        line += f"  [{seconds:.1f} s]"
        if outcome.reopened:
            line += f"; answer changed, needs manual grade again: {', '.join(outcome.reopened)}"
        summary.lines.append(line)
        if unknown:
            summary.counts["flagged"] += 1
            summary.lines.append(_flag_line(assignment, student, unknown))
        record[student] = {
            "assignment": fingerprint,
            "submission": submitted,
            "graded_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "seconds": round(seconds, 2),
            "recording_seconds": round(time.perf_counter() - started, 2),
            "unknown_ids": unknown,
        }
        write_record(root, assignment, record)


# ---------------------------------------------------------------------------------------------
# Command line


def assignments_with_submissions(root: Path) -> list[str]:
    return sorted({p.parent.name for p in (root / "submitted").glob("*/*/*.ipynb")})


def parser(prog: str = "python -m hpcterm.grade") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("assignments", nargs="*", metavar="A", help="assignment ids (default: all)")
    p.add_argument("--student", action="append", metavar="S", help="only this student (repeat)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="submissions run at once")
    p.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    p.add_argument("--create", action="store_true", help="grade students the roster does not hold")
    p.add_argument("--slurm", action="store_true", help="execute as a SLURM array")
    p.add_argument("--partition", help="SLURM partition (with --slurm)")
    p.add_argument("--time", type=int, default=30, help="SLURM minutes per task (with --slurm)")
    p.add_argument("--cpus-per-task", type=int, default=1, help="SLURM CPUs per task (--slurm)")
    p.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)")
    p.add_argument("--execute-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--into", help=argparse.SUPPRESS)
    p.add_argument("--snapshot", help=argparse.SUPPRESS)
    return p


def run(args: argparse.Namespace, say=print) -> int:
    root = course_root(args.course)
    if args.jobs < 1:
        raise CourseError("--jobs must be 1 or more")
    if args.execute_only:  # one SLURM array task
        if not (args.into and args.snapshot and args.student and len(args.assignments) == 1):
            raise CourseError("--execute-only needs one A, --student, --into and --snapshot")
        for student in args.student:
            _, seconds, error = execute_submission(
                str(root), args.assignments[0], student, args.snapshot, args.into
            )
            say(f"executed {args.assignments[0]} {student} in {seconds:.1f} s {error}".rstrip())
            if error:
                return FAILED
        return 0
    if not (root / "gradebook.db").exists():
        raise CourseError(f"{root} has no gradebook.db: release the assignments first")
    spread = None
    if args.slurm:
        from hpcterm.slurm_grade import spread_over_slurm

        def spread(root, assignment, students, snapshot, into):
            return spread_over_slurm(
                root,
                assignment,
                students,
                snapshot,
                into,
                partition=args.partition,
                minutes=args.time,
                cpus=args.cpus_per_task,
            )

    chosen = args.assignments or assignments_with_submissions(root)
    if not chosen:
        raise CourseError(f"nothing to grade: {root / 'submitted'} holds no submission")
    if args.student and len(chosen) > 1:  # the assignments these students handed in
        chosen = [a for a in chosen if set(args.student) & set(submissions(root, a))]
        if not chosen:
            raise CourseError(
                f"no submission from {', '.join(args.student)} in {root / 'submitted'}: "
                "collect it first (make collect)"
            )
    with one_writer(root):
        return _grade_all(root, chosen, args, spread, say)


@contextlib.contextmanager
def one_writer(root: Path):
    """Only one grading pass per course at a time: the gradebook has one writer."""
    path = root / RECORD / "writer.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CourseError(
                f"another grading pass is running on {root} (it holds {path}): wait for it"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _grade_all(root, chosen, args, spread, say) -> int:
    status = 0
    for assignment in chosen:
        summary = grade_assignment(
            root,
            assignment,
            students=args.student,
            jobs=args.jobs,
            force=args.force,
            create=args.create,
            spread=spread,
            say=say,
        )
        for line in summary.lines:
            say(line)
        status = _worse(status, summary.status)
    return status


def _worse(a: int, b: int) -> int:
    """FAILED outranks ATTENTION, which outranks 0."""
    return FAILED if FAILED in (a, b) else max(a, b)


def regenerate(root: Path, assignment: str, say=print) -> list[str]:
    """`nbgrader generate_assignment A --force`: the gradebook's copy of the source (cells,
    checksums, points) brought up to date; returns the grade ids whose source changed."""

    def cells():
        with gradebook(root) as gb:
            try:
                a = gb.find_assignment(assignment)
            except MissingEntry:
                return {}
            return {
                (n.name, c.name): (c.checksum, c.source)
                for n in a.notebooks
                for c in n.source_cells
            }

    before = cells()
    result = nbgrader(
        root,
        "generate_assignment",
        assignment,
        "--force",
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log = "\n".join(line for line in result.stderr.splitlines() if "ERROR" in line)
        raise CourseError(
            f"nbgrader generate_assignment {assignment} --force failed (nbgrader refuses to add "
            f"or remove graded cells once submissions exist: fix the test in place):\n{log}"
        )
    after = cells()
    changed = sorted(k[1] for k in after if before.get(k) != after[k])
    say(f"{assignment}: gradebook source updated; changed cells: {', '.join(changed) or 'none'}")
    return changed


def quiet_sessions() -> None:
    """SQLAlchemy's warnings about nbgrader's own session handling stay quiet."""
    warnings.filterwarnings("ignore", category=SAWarning)


@command
def main(argv=None) -> None:
    quiet_sessions()
    sys.exit(run(parser().parse_args(argv)))


if __name__ == "__main__":
    main()
