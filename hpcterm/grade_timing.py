"""Seconds to grade one submission of every course notebook, on this machine.

    python -m hpcterm.grade_timing --out FILE.json [--assignments A ...] [--parallel A ...]
                                   [--submissions N] [--lock /tmp/hpclearn-cpu.lock]

For each assignment, in a temporary copy of the course (its config and that source folder):
release it, hand in the instructor's source notebook as student `solution` (every cell runs
to the end) and the released blank as `blank` (its tests fail fast), and grade each alone
with `python -m hpcterm.grade A --student S` (serial, as a pass grades them). The wall time of
that command is the seconds per submission; the execution stage alone is reported too. For the
assignments named by --parallel, N copies of the solution are graded with --jobs 1 and again
with --jobs 2. Every measurement holds the CPU lock file while it runs (taken per measurement,
so other work can interleave between them). Writes JSON and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from hpcterm.course import CONFIG, course_root, nbgrader
from hpcterm.grade import read_record

STUDENTS_PER_TERM = 200
HAND_INS = ("solution", "blank")


@contextmanager
def held(lock: str | None):
    if not lock:
        yield
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _environment() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def grade(root: Path, assignment: str, students: list[str], jobs: int, lock: str | None):
    """Wall seconds of one `hpcterm.grade` pass over `students` (forced), and its output."""
    command = [sys.executable, "-m", "hpcterm.grade", assignment, "--force", "--jobs", str(jobs)]
    command += [arg for s in students for arg in ("--student", s)] + ["--course", str(root)]
    with held(lock):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=_environment())
        seconds = time.perf_counter() - start
    if result.returncode not in (0, 3):
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout


def prepare(course: Path, folder: Path, assignment: str) -> Path:
    """A course copy holding only `assignment`, released."""
    root = folder / assignment
    root.mkdir(parents=True)
    shutil.copy(course / CONFIG, root / CONFIG)
    shutil.copytree(course / "source" / assignment, root / "source" / assignment)
    nbgrader(
        root, "generate_assignment", assignment, "--force", capture_output=True, env=_environment()
    )
    return root


def hand_in(root: Path, assignment: str, student: str, notebook: Path) -> None:
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, folder / f"{assignment}.ipynb")


def measure(
    course: Path, assignments, parallel, submissions: int, lock: str | None, kinds=HAND_INS
) -> dict:
    results = {
        "machine": f"{platform.node()}: {os.cpu_count()} cores, {platform.processor() or ''}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "per_submission": {},
        "parallel": {},
    }
    with tempfile.TemporaryDirectory(prefix="hpcterm-timing-") as tmp:
        for assignment in assignments:
            root = prepare(course, Path(tmp), assignment)
            source = root / "source" / assignment / f"{assignment}.ipynb"
            hand_in(root, assignment, "solution", source)
            blank = root / "release" / assignment / f"{assignment}.ipynb"
            hand_in(root, assignment, "blank", blank)
            row = {}
            for student in kinds:
                seconds, output = grade(root, assignment, [student], 1, lock)
                done = read_record(root, assignment)[student]
                executed, recorded = done["seconds"], done["recording_seconds"]
                score = next(
                    (line.split()[3] for line in output.splitlines() if line.startswith("graded")),
                    "?",
                )
                row[student] = {
                    "command": round(seconds, 1),
                    "executing": executed,
                    "recording": recorded,
                    "seconds": round(executed + recorded, 1),
                    "score": score,
                }
            results["per_submission"][assignment] = row
            print(f"{assignment}: {row}", flush=True)
            if assignment in parallel:
                names = [f"s{i}" for i in range(submissions)]
                for name in names:
                    hand_in(root, assignment, name, source)
                runs = {}
                for jobs in (1, 2):
                    seconds, _ = grade(root, assignment, names, jobs, lock)
                    runs[f"jobs{jobs}"] = round(seconds, 1)
                runs["submissions"] = submissions
                results["parallel"][assignment] = runs
                print(f"{assignment} x{submissions}: {runs}", flush=True)
            shutil.rmtree(root)
    return results


def table(results: dict) -> str:
    """Markdown: seconds per submission and the time of one pass for 200 students."""
    lines = [
        "| notebook | solution: s per submission | blank: s | 200 students, serial |",
        "|---|---:|---:|---:|",
    ]
    total = 0.0
    for assignment, row in results["per_submission"].items():
        seconds = row["solution"]["seconds"]
        total += seconds * STUDENTS_PER_TERM
        lines.append(
            f"| {assignment} | {seconds:.0f} | {row.get('blank', {}).get('seconds', 0):.0f} | "
            f"{seconds * STUDENTS_PER_TERM / 3600:.1f} h |"
        )
    lines.append(f"| whole term | | | {total / 3600:.1f} h |")
    for assignment, runs in results["parallel"].items():
        lines.append(
            f"\n{assignment}, {runs['submissions']} submissions: --jobs 1 {runs['jobs1']:.0f} s, "
            f"--jobs 2 {runs['jobs2']:.0f} s"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m hpcterm.grade_timing", description=__doc__)
    p.add_argument("--out", required=True, help="JSON file for the figures")
    p.add_argument("--assignments", nargs="*", help="default: every assignment of the course")
    p.add_argument("--parallel", nargs="*", default=[], help="also time --jobs 1 vs 2 for these")
    p.add_argument("--submissions", type=int, default=4, help="copies graded with --parallel")
    p.add_argument("--hand-ins", nargs="+", choices=HAND_INS, default=list(HAND_INS))
    p.add_argument("--lock", default="/tmp/hpclearn-cpu.lock", help="held per measurement")
    p.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)")
    args = p.parse_args(argv)
    course = course_root(args.course)
    assignments = args.assignments or sorted(
        d.name for d in (course / "source").iterdir() if d.is_dir() and d.name[:2].isdigit()
    )
    results = measure(
        course, assignments, args.parallel, args.submissions, args.lock or None, args.hand_ins
    )
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
