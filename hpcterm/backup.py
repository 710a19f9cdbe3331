"""The term's state backed up, checked and put back; nothing of it deleted without a confirmation.

    python -m hpcterm.backup create [--course DIR] [--to DIR]
    python -m hpcterm.backup verify BACKUP
    python -m hpcterm.backup restore BACKUP [--course DIR] --yes
    python -m hpcterm.backup clean-term [--course DIR] --yes

A backup is a folder TO/<UTC time>/ (TO defaults to COURSE/backups) holding

- `gradebook.db`: an online copy made with sqlite's backup API (`sqlite3.Connection.backup`),
  consistent even while nbgrader or the formgrader writes to the gradebook: the copy is one
  snapshot of the database, never a file caught half-written;
- `submissions.tar.gz`: the course's `submitted/` and `downloaded/` (what students handed in and
  the platform's raw download: nothing can make them again), `roster.csv` (the class list that
  `python -m hpcterm.roster import` keeps) and `autograded/` (regenerable, but only by a grading
  pass of hours, and it is what the formgrader shows beside the hand grades);
- `manifest.json`: the sha256 of both files and of every file inside the archive, with counts
  (students, assignments, submissions, grades, comments, files per folder).

`feedback/`, `release/`, `solution/`, `reports/` and the grade exports are not backed up: the
course's commands make them again in seconds from the source and the gradebook (`make clean`
deletes them).

`restore` checks the backup against its manifest, backs the current state up first (into
COURSE/backups/<time>-before-restore; a gradebook too damaged to open is kept there as its raw
bytes), then puts back the gradebook, the folders and the roster exactly as they were. It
refuses to replace anything without `--yes`, and refuses while a grading pass runs. Stop the
formgrader before a restore.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from hpcterm.course import CourseError, command, course_root

GRADEBOOK = "gradebook.db"
ARCHIVE = "submissions.tar.gz"
MANIFEST = "manifest.json"
# Folders and files of the course a backup archives and a restore puts back.
PARTS = ("submitted", "downloaded", "autograded", "roster.csv")
# What `python -m hpcterm.grade` holds locked while it grades.
GRADING_LOCK = Path("autograded") / ".grading" / "writer.lock"
# What the course's commands make again from the source and the gradebook: `make clean` deletes
# these and nothing else.
REGENERABLE = ("release", "feedback", "solution", "reports", "grades*.csv")
# The term's state: deleted only by `clean-term --yes`, after a backup.
TERM_STATE = (GRADEBOOK, *PARTS)
# Gradebook tables counted in the manifest.
COUNTED = {
    "students": "student",
    "assignments": "assignment",
    "submissions": "submitted_assignment",
    "grades": "grade",
    "comments": "comment",
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_database(source: Path, target: Path) -> None:
    """An online copy of the sqlite database `source` into `target` (sqlite's backup API: one
    consistent snapshot even while other connections write); raise sqlite3.DatabaseError if
    `source` is not a sound database."""
    reader = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=60)
    writer = sqlite3.connect(target, timeout=60)
    try:
        reader.backup(writer)
        check = writer.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"integrity check of the copy of {source}: {check}")
    finally:
        writer.close()
        reader.close()


def counts(database: Path) -> dict[str, int]:
    """Rows of the gradebook's main tables."""
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return {
            name: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in COUNTED.items()
        }
    finally:
        connection.close()


def _new_folder(parent: Path, label: str = "") -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{label}" if label else stamp
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        folder = parent / (name if n == 0 else f"{name}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise CourseError(f"{parent} has too many backups named {name}: pass another --to")


def create(root: Path, to: Path | None = None, *, label: str = "", keep_damaged: bool = False):
    """Back up the course `root` into a new folder under `to` (default root/backups); return it.

    With `keep_damaged`, a gradebook that sqlite cannot open is kept as its raw bytes
    (`gradebook.db.damaged`) instead of failing: used before a restore replaces it."""
    folder = _new_folder(Path(to) if to else root / "backups", label)
    manifest: dict = {
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "course": str(root),
        "files": {},
        "members": {},
        "parts": [],
        "counts": {},
    }
    database = root / GRADEBOOK
    if database.exists():
        try:
            copy_database(database, folder / GRADEBOOK)
            manifest["counts"] = counts(folder / GRADEBOOK)
        except sqlite3.DatabaseError as error:
            if not keep_damaged:
                shutil.rmtree(folder)
                raise CourseError(
                    f"{database} cannot be read as a gradebook ({error}); restore it from a "
                    "backup: python -m hpcterm.backup restore <backup> --yes"
                ) from error
            (folder / GRADEBOOK).unlink(missing_ok=True)
            shutil.copyfile(database, folder / f"{GRADEBOOK}.damaged")
            manifest["damaged"] = f"{GRADEBOOK}.damaged: {error}"
    files = {name: 0 for name in PARTS}
    with tarfile.open(folder / ARCHIVE, "w:gz") as archive:
        for name in PARTS:
            if not (root / name).exists():
                continue
            manifest["parts"].append(name)
            archive.add(root / name, arcname=name, recursive=False)
            if (root / name).is_file():
                manifest["members"][name] = sha256(root / name)
                files[name] += 1
                continue
            for path in sorted((root / name).rglob("*")):
                arcname = path.relative_to(root).as_posix()
                archive.add(path, arcname=arcname, recursive=False)
                if path.is_file() and not path.is_symlink():
                    manifest["members"][arcname] = sha256(path)
                    files[name] += 1
    manifest["counts"]["files"] = files
    for path in sorted(folder.iterdir()):
        manifest["files"][path.name] = sha256(path)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return folder


def verify(backup: Path) -> dict:
    """The backup's manifest, after checking every file and archive member against it; raise
    CourseError naming what differs."""
    backup = Path(backup)
    if not (backup / MANIFEST).is_file():
        raise CourseError(
            f"{backup} is not a backup (no {MANIFEST}): pass a folder that "
            "`python -m hpcterm.backup create` made"
        )
    manifest = json.loads((backup / MANIFEST).read_text())
    bad = [
        name
        for name, digest in manifest["files"].items()
        if not (backup / name).is_file() or sha256(backup / name) != digest
    ]
    if not bad:
        found = {}
        with tarfile.open(backup / ARCHIVE, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile():
                    digest = hashlib.sha256(archive.extractfile(member).read()).hexdigest()
                    found[member.name] = digest
        bad = sorted(
            name
            for name in set(found) | set(manifest["members"])
            if found.get(name) != manifest["members"].get(name)
        )
        bad = [f"{ARCHIVE}:{name}" for name in bad]
    if bad:
        raise CourseError(
            f"backup {backup} is damaged: {', '.join(bad)} differ from its manifest; restore "
            "from another backup"
        )
    return manifest


def current_state(root: Path) -> list[str]:
    """The parts of the term's state the course folder holds now."""
    return [name for name in TERM_STATE if (root / name).exists()]


def restore(backup: Path, root: Path, *, yes: bool = False) -> Path | None:
    """Put the backup's gradebook and folders back into the course `root`. Refuses without `yes`
    when there is anything to replace; otherwise backs that up first and returns where."""
    backup = Path(backup).resolve()
    manifest = verify(backup)
    present = current_state(root)
    _not_grading(root)
    if present and not yes:
        raise CourseError(
            f"restoring {backup} replaces {', '.join(present)} in {root}; add --yes to do it "
            "(the current state is backed up first, into backups/<time>-before-restore)"
        )
    saved = None
    if present:
        saved = create(root, root / "backups", label="before-restore", keep_damaged=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".restore-") as scratch:
        scratch = Path(scratch)
        if (backup / GRADEBOOK).exists():
            copy_database(backup / GRADEBOOK, scratch / GRADEBOOK)
        with tarfile.open(backup / ARCHIVE, "r:gz") as archive:
            archive.extractall(scratch / "files", filter="data")
        if (scratch / GRADEBOOK).exists() and _sound(root / GRADEBOOK):
            # Written through sqlite into the gradebook in place: a connection still open on it
            # (a forgotten formgrader) sees the restored gradebook, not a replaced file.
            copy_database(scratch / GRADEBOOK, root / GRADEBOOK)
        else:
            for name in (GRADEBOOK, f"{GRADEBOOK}-journal", f"{GRADEBOOK}-wal", f"{GRADEBOOK}-shm"):
                (root / name).unlink(missing_ok=True)
            if (scratch / GRADEBOOK).exists():
                (scratch / GRADEBOOK).replace(root / GRADEBOOK)
        for name in PARTS:
            _remove(root / name)
            if name in manifest["parts"]:
                (scratch / "files" / name).replace(root / name)
    return saved


def clean_term(root: Path, *, yes: bool = False) -> Path:
    """Back the term up, then delete its state and everything regenerable from the course."""
    if not yes:
        raise CourseError(
            f"this deletes {', '.join(TERM_STATE)} of {root} (after a backup into "
            f"{root / 'backups'}); add --yes (make clean-term CONFIRM=yes) to do it"
        )
    _not_grading(root)
    saved = create(root, root / "backups", label="before-clean-term")
    for name in (*TERM_STATE, *REGENERABLE):
        for path in root.glob(name):
            _remove(path)
    return saved


def _sound(database: Path) -> bool:
    """Whether `database` is there and sqlite finds it sound."""
    if not database.is_file():
        return False
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            return connection.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _not_grading(root: Path) -> None:
    """Raise CourseError while a grading pass holds the course's grading lock."""
    import fcntl

    lock = root / GRADING_LOCK
    if not lock.exists():
        return
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise CourseError(
                f"a grading pass is running in {root}: wait for it to end, then run this again"
            ) from error
        fcntl.flock(handle, fcntl.LOCK_UN)


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.backup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("create", help="back up the gradebook and the submissions")
    made.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or course)")
    made.add_argument("--to", help="where backups go (default: COURSE/backups)")
    checked = commands.add_parser("verify", help="check a backup against its manifest")
    checked.add_argument("backup")
    back = commands.add_parser("restore", help="put a backup back into the course")
    back.add_argument("backup")
    back.add_argument("--course")
    back.add_argument("--yes", action="store_true", help="replace the current state")
    wipe = commands.add_parser("clean-term", help="back up, then delete the term's state")
    wipe.add_argument("--course")
    wipe.add_argument("--yes", action="store_true", help="really delete it")
    args = parser.parse_args(argv)

    if args.command == "verify":
        manifest = verify(Path(args.backup))
        print(f"backup {args.backup} matches its manifest: {json.dumps(manifest['counts'])}")
        return
    root = course_root(args.course)
    if args.command == "create":
        folder = create(root, Path(args.to).resolve() if args.to else None)
        manifest = json.loads((folder / MANIFEST).read_text())
        print(f"counts: {json.dumps(manifest['counts'], sort_keys=True)}")
        print(f"backup: {folder}")
    elif args.command == "restore":
        saved = restore(Path(args.backup), root, yes=args.yes)
        if saved:
            print(f"the state before the restore: {saved}")
        print(f"restored {args.backup} into {root}")
    else:
        saved = clean_term(root, yes=args.yes)
        print(f"backup: {saved}")
        print(f"deleted the term's state and the regenerable folders of {root}")


if __name__ == "__main__":
    main()
