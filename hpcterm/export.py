"""Grades out of the gradebook, in a format a learning platform imports.

    python -m hpcterm.export [--platform nbgrader|csv|canvas|moodle] [--out FILE]
                             [--allow-pending] [--course DIR]

Every format has a row for every student on the roster (without a roster: every student in the
gradebook); a student who handed nothing in gets an explicit 0. A score is nbgrader's: the points
of the assignment's notebooks minus the late penalty, never below 0.

- nbgrader (default; <course>/grades.csv): `nbgrader export`, one row per student and assignment
  (assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
  late_submission_penalty, score, max_score).
- csv (<course>/grades-wide.csv): one row per student: id, first_name, last_name, email,
  lms_user_id, then one column per assignment.
- canvas (<course>/grades-canvas.csv): Canvas's gradebook import: Student ("Last, First"), ID
  (Canvas's user id: the roster's lms_user_id), SIS User ID, SIS Login ID, Section, then one
  column per assignment, headed by the assignment's name (name the Canvas assignment the same,
  or rename the header to Canvas's "Name (id)"); a "Points Possible" row first.
- moodle (<course>/grades-moodle.csv): for Moodle's "Import grades: CSV file": First name, Last
  name, Email address (map it to "Email address" in the import form), then one column per
  assignment (map each to its grade item).

An answer still waiting for a hand grade (nbgrader's "needs manual grade") makes the export fail
(exit 1) naming student, assignment and cell, and write nothing; with --allow-pending it writes
the file with those students' scores of that assignment left blank (the nbgrader format: as
nbgrader has them) and names them on stderr.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from nbgrader.api import MissingEntry

from hpcterm import grade as grading
from hpcterm.course import CourseError, command, course_root, gradebook, nbgrader
from hpcterm.roster import roster

FORMATS = ("nbgrader", "csv", "canvas", "moodle")
DEFAULT_OUT = {
    "nbgrader": "grades.csv",
    "csv": "grades-wide.csv",
    "canvas": "grades-canvas.csv",
    "moodle": "grades-moodle.csv",
}


def _number(value: float) -> str:
    return format(round(value, 2), "g")


def table(root: Path) -> dict:
    """Students (roster rows), assignments (name -> max score), scores {(student, assignment):
    score}, pending {(student, assignment): [cell, ...]} and the gradebook's students not on
    the roster."""
    rows = roster(root)
    with gradebook(root) as gb:
        in_gradebook = {s.id: s for s in gb.students}
        if not rows:
            rows = [
                {
                    "id": s.id,
                    "first_name": s.first_name or "",
                    "last_name": s.last_name or "",
                    "email": s.email or "",
                    "lms_user_id": s.lms_user_id or "",
                }
                for s in sorted(in_gradebook.values(), key=lambda s: s.id)
            ]
        assignments = {a.name: a.max_score for a in sorted(gb.assignments, key=lambda a: a.name)}
        scores, pending = {}, {}
        for row in rows:
            for name in assignments:
                handed_in = (root / "submitted" / row["id"] / name).is_dir()
                if handed_in and not _graded_as_collected(root, name, row["id"]):
                    scores[row["id"], name] = 0.0
                    pending[row["id"], name] = ["the hand-in is not graded yet: make grade"]
                    continue
                try:
                    submission = gb.find_submission(name, row["id"])
                except MissingEntry:
                    submission = None
                if submission is None or not handed_in:
                    # No hand-in (an extension granted beforehand records an empty submission).
                    scores[row["id"], name] = 0.0
                    continue
                penalty = submission.late_submission_penalty or 0.0
                scores[row["id"], name] = max(0.0, submission.score - penalty)
                waiting = [
                    f"{notebook.name}/{grade.name}"
                    for notebook in submission.notebooks
                    for grade in notebook.grades
                    if grade.needs_manual_grade
                ]
                if waiting:
                    pending[row["id"], name] = waiting
        on_roster = {row["id"] for row in rows}
        outside = sorted(set(in_gradebook) - on_roster)
    return {
        "students": rows,
        "assignments": assignments,
        "scores": scores,
        "pending": pending,
        "outside": outside,
    }


def _graded_as_collected(root: Path, assignment: str, student: str) -> bool:
    """Whether the hand-in in submitted/ is the one the gradebook holds: it was autograded, and
    not collected again since (the grading record's fingerprint of it still matches)."""
    if not (root / "autograded" / student / assignment).is_dir():
        return False
    graded = grading.read_record(root, assignment).get(student)
    if graded is None:  # graded by nbgrader directly: nothing to compare with
        return True
    return graded["submission"] == grading.submission_fingerprint(root, assignment, student)


def rows_for(platform: str, data: dict, *, blank: set) -> list[list[str]]:
    """The export's rows, header first, for `platform` (csv, canvas or moodle)."""
    names = list(data["assignments"])

    def score(student: str, name: str) -> str:
        return "" if (student, name) in blank else _number(data["scores"][student, name])

    students = data["students"]
    if platform == "canvas":
        missing = [s["id"] for s in students if not s["lms_user_id"]]
        if missing:
            raise CourseError(
                f"no Canvas user id (lms_user_id) for {', '.join(missing)}: import the roster "
                "from Canvas's gradebook export (its ID column)"
            )
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names]
        possible = ["    Points Possible", "", "", "", ""]
        possible += [_number(data["assignments"][n]) for n in names]
        body = [
            [f"{s['last_name']}, {s['first_name']}", s["lms_user_id"], "", "", ""]
            + [score(s["id"], n) for n in names]
            for s in students
        ]
        return [header, possible, *body]
    if platform == "moodle":
        missing = [s["id"] for s in students if not s["email"]]
        if missing:
            raise CourseError(
                f"no e-mail address for {', '.join(missing)}: Moodle's import matches students "
                "by it; add it to the roster"
            )
        header = ["First name", "Last name", "Email address", *names]
        body = [
            [s["first_name"], s["last_name"], s["email"]] + [score(s["id"], n) for n in names]
            for s in students
        ]
        return [header, *body]
    header = ["id", "first_name", "last_name", "email", "lms_user_id", *names]
    body = [
        [s["id"], s["first_name"], s["last_name"], s["email"], s["lms_user_id"]]
        + [score(s["id"], n) for n in names]
        for s in students
    ]
    return [header, *body]


def export(
    root: Path, platform: str = "nbgrader", out: Path | None = None, *, allow_pending: bool = False
) -> dict:
    """Write the export; returns the table (see `table`) with "out". Raises CourseError (or
    exits 1 through main) when answers wait for a hand grade and not `allow_pending`."""
    data = table(root)
    out = out or root / DEFAULT_OUT[platform]
    data["out"] = out
    if data["pending"] and not allow_pending:
        return data
    if platform == "nbgrader":
        result = nbgrader(
            root, "export", "--to", str(out.resolve()), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise CourseError(f"nbgrader export failed:\n{result.stderr[-2000:]}")
        return data
    rows = rows_for(platform, data, blank=set(data["pending"]))
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return data


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--platform", choices=FORMATS, default="nbgrader")
    parser.add_argument("--out", type=Path, help="the file to write (default: in the course)")
    parser.add_argument(
        "--allow-pending",
        action="store_true",
        help="export even while answers wait for a hand grade (their scores left blank)",
    )
    parser.add_argument(
        "--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)"
    )
    args = parser.parse_args(argv)
    root = course_root(args.course)
    data = export(root, args.platform, args.out, allow_pending=args.allow_pending)
    for student in data["outside"]:
        print(
            f"WARNING: {student} has grades but is not on the roster: not exported", file=sys.stderr
        )
    for (student, name), cells in sorted(data["pending"].items()):
        print(f"WAITING FOR A HAND GRADE: {student} {name}: {', '.join(cells)}", file=sys.stderr)
    if data["pending"] and not args.allow_pending:
        sys.exit(
            f"export: {len(data['pending'])} hand-in(s) still wait for a hand grade (listed "
            "above); nothing written. Grade them (formgrader), or pass --allow-pending to "
            "export with those scores left blank."
        )
    if data["pending"]:
        print(
            f"WARNING: {len(data['pending'])} score(s) left BLANK in {data['out']}: they wait "
            "for a hand grade",
            file=sys.stderr,
        )
    print(
        f"export: {len(data['students'])} students x {len(data['assignments'])} assignments "
        f"-> {data['out']}"
    )


if __name__ == "__main__":
    main()
