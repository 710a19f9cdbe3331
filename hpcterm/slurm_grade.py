"""Spread a grading pass over a SLURM cluster's nodes: one array task per submission.

    python -m hpcterm.grade A --slurm [--partition P] [--time MINUTES] [--cpus-per-task N]

`hpcterm.grade` calls `spread_over_slurm` for the execution stage: it writes
autograded/.grading/slurm/<A>/grade.sbatch, an array with one task per submission to grade, and
submits it with `sbatch --wait`. Each task runs `python -m hpcterm.grade A --execute-only
--student S`, which executes that submission in a temporary course folder on its node (with a
copy of the gradebook snapshot) and leaves the executed notebook in the shared course folder.
When the array is done, the grading process records every grade as the one writer. The course
folder and this Python environment must be reachable at the same paths on every node (a shared
file system), as they are for the course's other SLURM jobs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from hpcterm.course import CourseError

SBATCH = """\
#!/bin/bash
# One task per submission of {assignment}: execute it (sanitise and run, with the course's guards)
# into {into}; the grading process records the grades when the array is done.
#SBATCH --job-name=grade-{assignment}
#SBATCH --array=0-{last}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={cpus}
#SBATCH --time={minutes}
#SBATCH --output={folder}/task-%a.out
{partition}
mapfile -t STUDENTS < {folder}/students.txt
STUDENT="${{STUDENTS[$SLURM_ARRAY_TASK_ID]}}"
cd {root}
exec {python} -m hpcterm.grade {assignment} --execute-only --student "$STUDENT" \\
    --into {into} --snapshot {snapshot} --course {root}
"""


def write_sbatch(
    root: Path,
    assignment: str,
    students: list[str],
    snapshot: Path,
    into: Path,
    *,
    partition: str | None = None,
    minutes: int = 30,
    cpus: int = 1,
) -> Path:
    """The array script and its list of students, in autograded/.grading/slurm/<A>/."""
    folder = root / "autograded" / ".grading" / "slurm" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("task-*.out"):
        old.unlink()
    (folder / "students.txt").write_text("".join(f"{s}\n" for s in students))
    script = folder / "grade.sbatch"
    q = shlex.quote
    script.write_text(
        SBATCH.format(
            assignment=assignment,
            into=q(str(into)),
            last=len(students) - 1,
            cpus=cpus,
            minutes=minutes,
            folder=q(str(folder)),
            partition=f"#SBATCH --partition={partition}" if partition else "",
            root=q(str(root)),
            python=q(sys.executable),
            snapshot=q(str(snapshot)),
        )
    )
    return script


def spread_over_slurm(
    root: Path,
    assignment: str,
    students: list[str],
    snapshot: Path,
    into: Path,
    *,
    partition: str | None = None,
    minutes: int = 30,
    cpus: int = 1,
) -> dict[str, tuple[float, str]]:
    """Execute the submissions as one SLURM array and wait for it; per student (seconds of its
    task, error or "")."""
    script = write_sbatch(
        root, assignment, students, snapshot, into, partition=partition, minutes=minutes, cpus=cpus
    )
    try:
        result = subprocess.run(
            ["sbatch", "--parsable", "--wait", str(script)],
            capture_output=True,
            text=True,
            cwd=root,
        )
    except FileNotFoundError:
        raise CourseError("--slurm needs sbatch on PATH: run it where SLURM is") from None
    if "Submitted" not in result.stdout and not result.stdout.strip()[:1].isdigit():
        raise CourseError(f"sbatch refused {script}: {result.stderr.strip() or result.stdout}")
    results = {}
    for index, student in enumerate(students):
        log = script.parent / f"task-{index}.out"
        text = log.read_text(errors="replace") if log.exists() else ""
        done = re.search(rf"^executed {re.escape(assignment)} \S+ in ([\d.]+) s$", text, re.M)
        executed = any((into / student / assignment).glob("*.ipynb"))
        if done and executed:
            results[student] = (float(done.group(1)), "")
        else:
            tail = " | ".join(text.strip().splitlines()[-3:]) or "no output"
            results[student] = (0.0, f"SLURM task {index} did not execute it ({log}): {tail}")
    return results
