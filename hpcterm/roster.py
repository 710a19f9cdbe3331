"""The class list: students imported from a CSV into nbgrader's gradebook.

    python -m hpcterm.roster import students.csv [--course DIR]
    python -m hpcterm.roster list [--course DIR]

`import` reads the CSV a learning platform exports (or one in nbgrader's own columns), writes it in
nbgrader's columns (id, first_name, last_name, email, lms_user_id) and runs
`nbgrader db student import` on that. The normalised roster is kept as <course>/roster.csv: its
presence tells the other commands that the class list is known, so grading refuses students who are
not on it and every export has a row for every student on it. Importing again adds and updates
students; it never removes one (`nbgrader db student remove ID` does, and asks for --force when the
student has grades).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from pathlib import Path

from hpcterm.course import CourseError, command, course_root, gradebook, nbgrader

ROSTER = "roster.csv"
FIELDS = ["id", "first_name", "last_name", "email", "lms_user_id"]
# The column names platforms export, per nbgrader field, tried in this order (case-insensitive).
COLUMNS = {
    "id": ["id", "student_id", "SIS Login ID", "SIS User ID", "Username", "ID number"],
    "first_name": ["first_name", "First name", "First Name", "Given name"],
    "last_name": ["last_name", "Last name", "Last Name", "Surname", "Family name"],
    "email": ["email", "Email address", "Email", "E-mail", "E-mail address"],
    "lms_user_id": ["lms_user_id", "Canvas User ID", "ID", "User ID"],
}
# A student id becomes a folder name and an nbgrader glob pattern: e-mail style ids work; spaces,
# slashes and glob characters do not.
VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*\Z")


def _pick(header: list[str], field: str, taken: set[str]) -> list[str]:
    """The columns of `header` that can hold `field`, best first: exact names first (Canvas's "ID"
    is its user id, nbgrader's "id" the student id), then names that differ only in case."""
    found: list[str] = []
    for exact in (True, False):
        for candidate in COLUMNS[field]:
            for name in header:
                if exact:
                    same = name.strip() == candidate
                else:  # "ID" and "id" mean different things: never matched by case alone
                    same = candidate.lower() != "id" and name.strip().lower() == candidate.lower()
                if same and name not in taken and name not in found:
                    found.append(name)
    return found


def read_roster_csv(path: Path) -> list[dict[str, str]]:
    """The students of a platform's CSV export, in nbgrader's fields. Canvas's "Student" column
    ("Last, First") gives the names when there are no name columns."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        # nbgrader's and the platforms' own id columns come first, so "ID" (Canvas's user id)
        # only becomes the student id when nothing else can.
        # A row's id is its first non-empty id column (Canvas: SIS Login ID, else SIS User ID).
        columns: dict[str, list[str]] = {}
        taken: set[str] = set()
        for field in ["lms_user_id", "id", "first_name", "last_name", "email"]:
            columns[field] = _pick(header, field, taken)
            if field != "id":
                columns[field] = columns[field][:1]
            taken.update(columns[field])
        if not columns["id"]:
            raise CourseError(
                f"{path}: no student id column; name one of {COLUMNS['id']} "
                f"(the columns are {header})"
            )
        student = next((h for h in header if h.strip().lower() == "student"), None)
        students = []
        for number, row in enumerate(reader, start=2):
            values = {
                f: next((row[c].strip() for c in cs if (row.get(c) or "").strip()), "")
                for f, cs in columns.items()
            }
            if not any(values.values()) or (student and "points possible" in row[student].lower()):
                continue  # a blank line, or Canvas's "Points Possible" row
            if student and not (values["first_name"] or values["last_name"]):
                last, _, first = row[student].partition(",")
                values["last_name"], values["first_name"] = last.strip(), first.strip()
            if not VALID_ID.match(values["id"]):
                raise CourseError(
                    f"{path} line {number}: student id {values['id']!r} is not usable: an id is "
                    "letters, digits and . _ @ + - (an e-mail address works), starting with a "
                    "letter or digit"
                )
            students.append(values)
    _check_unique(path, students)
    return students


def _check_unique(path: Path, students: list[dict[str, str]]) -> None:
    for field in ("id", "lms_user_id"):
        seen: dict[str, str] = {}
        for s in students:
            value = s[field]
            if value and value in seen:
                raise CourseError(f"{path}: {field} {value!r} appears twice; fix the file")
            seen[value] = s["id"]


def enrolled(root: Path) -> set[str] | None:
    """The ids on the course's roster, or None when no roster was ever imported."""
    path = root / ROSTER
    if not path.exists():
        return None
    with path.open(newline="") as f:
        return {row["id"] for row in csv.DictReader(f)}


def roster(root: Path) -> list[dict[str, str]]:
    """The roster's rows (nbgrader's fields), sorted by id; [] when none was imported."""
    path = root / ROSTER
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return sorted(csv.DictReader(f), key=lambda row: row["id"])


def import_roster(root: Path, path: Path) -> list[dict[str, str]]:
    """Add or update the students of `path` in the gradebook and in <course>/roster.csv."""
    students = read_roster_csv(path)
    if not students:
        raise CourseError(f"{path} lists no student")
    merged = {row["id"]: row for row in roster(root)}
    merged.update({s["id"]: s for s in students})
    _check_unique(root / ROSTER, list(merged.values()))
    with tempfile.TemporaryDirectory() as tmp:
        normalised = Path(tmp) / "students.csv"
        _write(normalised, students)
        # nbgrader runs `alembic` by name when this import creates the gradebook.
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
        result = nbgrader(
            root,
            "db",
            "student",
            "import",
            str(normalised),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CourseError(f"nbgrader db student import failed:\n{result.stderr}")
    _write(root / ROSTER, sorted(merged.values(), key=lambda row: row["id"]))
    return students


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in FIELDS} for row in rows)


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.roster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser(
        "import", parents=[where], help="add or update the students of a CSV file"
    )
    load.add_argument("file", type=Path)
    commands.add_parser(
        "list", parents=[where], help="the students on the roster and in the gradebook"
    )
    args = parser.parse_args(argv)
    root = course_root(args.course)
    if args.command == "import":
        if not args.file.is_file():
            raise CourseError(f"no such file: {args.file}")
        students = import_roster(root, args.file)
        print(
            f"roster: {len(students)} students imported; {len(roster(root))} on the roster "
            f"({root / ROSTER})"
        )
        return
    on_roster = {row["id"]: row for row in roster(root)}
    with gradebook(root) as gb:
        in_gradebook = {s.id for s in gb.students}
    for sid in sorted(set(on_roster) | in_gradebook):
        row = on_roster.get(sid, {})
        where = (
            "roster+gradebook"
            if sid in on_roster and sid in in_gradebook
            else ("roster only" if sid in on_roster else "gradebook only (not on the roster)")
        )
        name = f"{row.get('first_name', '')} {row.get('last_name', '')}".strip()
        print(f"{sid}\t{name}\t{row.get('lms_user_id', '')}\t{where}")


if __name__ == "__main__":
    main()
