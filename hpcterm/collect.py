"""Collect an assignment's hand-ins from a folder or a learning platform's download.

    python -m hpcterm.collect A FROM [--platform folder|canvas|moodle] [--timestamps FILE.csv]
                                     [--worksheet FILE.csv] [--tz ZONE] [--partial] [--course DIR]

FROM is a folder or an archive (.zip, .tar.gz) as downloaded. It is copied, file times kept, to
<course>/downloaded/A/raw/<UTC time>/ and never deleted; nbgrader's `zip_collect` then unpacks it
(archives inside archives too) and files every hand-in as submitted/<student>/A/<notebook>.ipynb
with a timestamp.txt, through the collector plugin `PlatformCollector` below. Presets:

- folder: one sub-folder or archive per student, named by the student id (or e-mail, or platform
  user id, when a roster exists): FROM/alice/A.ipynb, FROM/bob.zip; FROM may itself be an
  archive of such folders.
- canvas: Canvas's "Download Submissions": flat files
  `lastfirst_[LATE_]<canvas user id>_<submission id>_<name as uploaded>[-N].ipynb`; the student
  is the roster's lms_user_id (Canvas's user id, column "ID" of its gradebook export).
- moodle: Moodle's "Download all submissions": folders
  `Full Name_<participant>_assignsubmission_file_/` (or flat files with that prefix). The
  participant number is Moodle's per-assignment id; with --worksheet (the assignment's grading
  worksheet CSV) it is matched through the worksheet's e-mail address, otherwise the full name
  is matched against the roster (it must be unique).

A student's one notebook is filed under the released name whatever the platform or browser renamed
it to (`A (1).ipynb`, `A-1.ipynb`, `a.ipynb`, ...). Debris is ignored (`__MACOSX`, `._*`,
`.DS_Store`, checkpoints, Moodle's online-text pages, the archives once unpacked). Several copies
of one notebook: the newest resubmission is kept (Canvas: the highest submission id; otherwise the
highest `(N)`/`-N` copy number, then the newest file time) and the report says which.

Timestamps (nbgrader's timestamp.txt, which due dates and late penalties read), first that applies:
--timestamps CSV (a student column id/student_id/email/lms_user_id/ID and a time column
timestamp/submitted_at; times without a zone are in --tz, default UTC); the Moodle worksheet's
"Last modified (submission)" (in --tz); folder preset: the newest modification time of the
student's files as downloaded (of the archive they came in, for files from an archive); Canvas:
a file without LATE_ was on time by Canvas's own judgement and is stamped with the due date (its
download gives no time). Otherwise that hand-in cannot be
filed.

A file that cannot be filed (unknown student, two different notebooks, not a notebook, no time)
makes the command fail (exit 1) naming it, and NOTHING is filed; --partial files the rest and still
fails. Every run writes its report to downloaded/A/collect-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Bool, Enum, Unicode

from hpcterm.course import CourseError, command, course_root, gradebook, nbgrader_command
from hpcterm.roster import roster

PLATFORMS = ("folder", "canvas", "moodle")
ARCHIVES = (".zip", ".gz", ".tgz")
DEBRIS_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
DEBRIS_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
CANVAS = re.compile(
    r"(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<original>.+)\Z"
)
MOODLE = re.compile(
    r"(?P<name>[^_]+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)\Z"
)
# A copy number a platform or a browser appends: "toy (1)", "toy-1".
COPY = re.compile(r"(?:\s*\((?P<paren>\d+)\)|-(?P<dash>\d+))\Z")


class Roster:
    """The roster's students, found by id, e-mail, platform user id or full name."""

    def __init__(self, rows: list[dict[str, str]]):
        self.rows = rows
        self.ids = {r["id"] for r in rows}

    def find(self, key: str) -> str | None:
        key = key.strip()
        for field in ("id", "email", "lms_user_id"):
            hits = [r["id"] for r in self.rows if r.get(field) and r[field].lower() == key.lower()]
            if len(hits) == 1:
                return hits[0]
        return None

    def by_platform_id(self, uid: str) -> str | None:
        hits = [r["id"] for r in self.rows if r.get("lms_user_id") == uid]
        return hits[0] if len(hits) == 1 else None

    def by_name(self, full_name: str) -> list[str]:
        wanted = _name_key(full_name)
        return [
            r["id"]
            for r in self.rows
            if wanted
            in (
                _name_key(f"{r['first_name']} {r['last_name']}"),
                _name_key(f"{r['last_name']} {r['first_name']}"),
            )
        ]


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _when(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A time as naive UTC (nbgrader's convention); a time without a zone is in `zone`."""
    from dateutil import parser

    try:
        moment = parser.parse(text)
    except (ValueError, OverflowError) as error:
        raise CourseError(f"{text!r} is not a date and time") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def read_timestamps(path: Path, people: Roster, zone: dt.tzinfo) -> dict[str, dt.datetime]:
    """--timestamps: student id -> submission time (naive UTC)."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
        who = next(
            (header[k] for k in ("student_id", "id", "email", "lms_user_id") if k in header), None
        )
        when = next(
            (header[k] for k in ("timestamp", "submitted_at", "submitted at") if k in header), None
        )
        if who is None or when is None:
            raise CourseError(
                f"{path}: needs a student column (student_id, id, email or lms_user_id) and a time "
                f"column (timestamp or submitted_at); it has {reader.fieldnames}"
            )
        found = {}
        for row in reader:
            if not (row[when] or "").strip():
                continue
            student = people.find(row[who]) if people.rows else row[who].strip()
            if student is None:
                raise CourseError(f"{path}: {row[who]!r} is not on the roster")
            found[student] = _when(row[when], zone)
        return found


def read_worksheet(path: Path, zone: dt.tzinfo) -> dict[str, dict[str, object]]:
    """Moodle's grading worksheet: participant number -> e-mail, full name, submission time."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"Identifier", "Full name"} <= set(reader.fieldnames or []):
            raise CourseError(
                f"{path} is not a Moodle grading worksheet (columns Identifier, Full name, "
                f"Email address, Last modified (submission)); it has {reader.fieldnames}"
            )
        found = {}
        for row in reader:
            number = re.sub(r"\D", "", row["Identifier"])
            modified = (row.get("Last modified (submission)") or "").strip()
            found[number] = {
                "email": (row.get("Email address") or "").strip(),
                "name": row["Full name"].strip(),
                "time": _when(modified, zone) if modified and modified != "-" else None,
            }
        return found


def _copy_number(stem: str) -> int:
    match = COPY.search(stem)
    return int(match["paren"] or match["dash"]) if match else 0


def _stems(name: str) -> list[str]:
    """A notebook's name as released, without the copy number a platform may have added."""
    stem = Path(name).stem.strip().lower()
    return [stem, COPY.sub("", stem)]


def _debris(parts: tuple[str, ...]) -> str | None:
    if any(p in DEBRIS_DIRS for p in parts[:-1]):
        return "platform or editor debris (" + next(p for p in parts if p in DEBRIS_DIRS) + ")"
    name = parts[-1]
    if name in DEBRIS_FILES or name.startswith("._"):
        return "platform debris"
    if name.endswith(ARCHIVES):
        return "archive, unpacked beside it"
    return None


def _unpacked_name(archive: str) -> str:
    """The folder nbgrader unpacks `archive` into: its name without the archive's extension
    (and `.tar`), as nbgrader.utils.unzip names it."""
    stem = os.path.splitext(archive)[0]
    base, ext = os.path.splitext(stem)
    return base if ext == ".tar" else stem


def _raw_mtime(raw: Path, parts: tuple[str, ...]) -> float | None:
    """The modification time of a file as downloaded, or of the archive it came out of."""
    if (raw / Path(*parts)).is_file():
        return (raw / Path(*parts)).stat().st_mtime
    for i in range(len(parts) - 1, 0, -1):
        for ext in (".zip", ".tar.gz", ".tgz", ".gz"):
            archive = raw / Path(*parts[: i - 1]) / (parts[i - 1] + ext)
            if archive.is_file():
                return archive.stat().st_mtime
    return None


def plan(
    extracted: Path,
    *,
    platform: str,
    released: list[str],
    people: Roster,
    duedate: dt.datetime | None,
    timestamps: dict[str, dt.datetime] | None = None,
    worksheet: dict[str, dict[str, object]] | None = None,
    raw: Path | None = None,
) -> dict[str, list]:
    """Decide, for every file nbgrader extracted, where it goes: a dict with "filed" (student,
    notebook, source, timestamp and where the time came from), "dropped" (older copies),
    "ignored" (debris) and "problems" (files that cannot be filed, and why)."""
    report: dict[str, list] = {"filed": [], "dropped": [], "ignored": [], "problems": []}
    candidates: dict[str, list[dict]] = {}
    # FROM given as one archive of the student folders: nbgrader unpacks it into a folder named
    # after it, which is not a student.
    entries = list(raw.iterdir()) if raw else []
    wrapper = (
        _unpacked_name(entries[0].name)
        if len(entries) == 1 and entries[0].name.endswith(ARCHIVES)
        else None
    )

    def wrapped(parts: tuple[str, ...]) -> bool:
        return platform == "folder" and wrapper is not None and parts[0] == wrapper

    for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
        parts = path.relative_to(extracted).parts
        rel = "/".join(parts)
        why = _debris(parts)
        if why:
            report["ignored"].append({"file": rel, "why": why})
            continue
        found = _identify(parts[1:] if wrapped(parts) else parts, platform, people, worksheet)
        if "ignore" in found:
            report["ignored"].append({"file": rel, "why": found["ignore"]})
            continue
        if "problem" in found:
            report["problems"].append({"file": rel, "why": found["problem"]})
            continue
        if not path.name.endswith(".ipynb"):
            report["problems"].append(
                {"file": rel, "why": f"not a notebook (from {found['student']})"}
            )
            continue
        # A hand-in inside one archive of the whole class has no time of its own: the archive's
        # is when it was made, not when the student handed in.
        mtime = _raw_mtime(raw, parts) if raw and not wrapped(parts) else None
        upload = found.get("upload") or path.name
        found.update(
            file=rel,
            path=str(path),
            mtime=mtime,
            upload=upload,
            copy=_copy_number(Path(upload).stem),
        )
        candidates.setdefault(found["student"], []).append(found)

    names = {Path(r).stem.lower(): r for r in released}
    for student, files in sorted(candidates.items()):
        groups: dict[str, list[dict]] = {}
        for f in files:
            stems = _stems(f["upload"])
            match = next((names[s] for s in stems if s in names), None)
            if match is None and len(released) == 1:
                match = released[0]
            if match is None:
                report["problems"].append(
                    {
                        "file": f["file"],
                        "why": f"{student}: not a notebook of the assignment "
                        f"(released: {', '.join(released)})",
                    }
                )
                continue
            groups.setdefault(match, []).append(f)
        if len(released) == 1 and len(groups) == 1:
            only = next(iter(groups.values()))
            distinct = {_stems(f["upload"])[1] for f in only}
            if len(distinct) > 1:
                report["problems"].append(
                    {
                        "file": ", ".join(f["file"] for f in only),
                        "why": f"{student}: two different notebooks; keep one in the download",
                    }
                )
                continue
        student_time, source = _timestamp(student, groups, platform, duedate, timestamps, worksheet)
        if student_time is None:
            report["problems"].extend(
                {"file": f["file"], "why": source} for g in groups.values() for f in g
            )
            continue
        for notebook, copies in sorted(groups.items()):
            copies.sort(key=lambda f: (int(f.get("sid") or 0), f["copy"], f["mtime"] or 0))
            kept = copies[-1]
            for older in copies[:-1]:
                report["dropped"].append(
                    {
                        "file": older["file"],
                        "why": f"older copy of {student}'s {notebook}; kept {kept['file']}",
                    }
                )
            report["filed"].append(
                {
                    "student": student,
                    "notebook": notebook,
                    "file": kept["file"],
                    "path": kept["path"],
                    "timestamp": student_time.isoformat(sep=" "),
                    "timestamp_from": source,
                }
            )
    return report


def _identify(parts, platform, people: Roster, worksheet) -> dict:
    """The student a file belongs to, by the platform's naming."""
    if platform == "folder":
        if len(parts) < 2:
            return {"problem": "not in a student's folder or archive (FROM/<student>/...)"}
        key = parts[0]
        if not people.rows:
            from hpcterm.roster import VALID_ID

            if not VALID_ID.match(key):
                return {"problem": f"folder name {key!r} is not a usable student id"}
            return {"student": key}
        student = people.find(key)
        return {"student": student} if student else {"problem": f"{key!r} is not on the roster"}
    if platform == "canvas":
        for i, part in enumerate(parts):
            match = CANVAS.match(part)
            if match:
                student = people.by_platform_id(match["uid"])
                if student is None:
                    return {
                        "problem": f"Canvas user {match['uid']} is not on the roster (lms_user_id)"
                    }
                upload = match["original"] if i == len(parts) - 1 else parts[-1]
                return {
                    "student": student,
                    "late": bool(match["late"]),
                    "sid": match["sid"],
                    "upload": upload,
                }
        return {"problem": "not named as Canvas names submissions (name_[LATE_]uid_sid_file)"}
    for i, part in enumerate(parts):
        match = MOODLE.match(part)
        if not match:
            continue
        if match["plugin"] != "file":
            return {"ignore": f"Moodle {match['plugin']} submission, not a file"}
        if worksheet is not None:
            entry = worksheet.get(match["pid"])
            if entry is None:
                return {"problem": f"participant {match['pid']} is not in the worksheet"}
            student = people.find(str(entry["email"])) if entry["email"] else None
            names = [student] if student else people.by_name(str(entry["name"]))
        else:
            names = people.by_name(match["name"])
        if len(names) != 1:
            found = "nobody" if not names else " and ".join(names)
            return {
                "problem": f"Moodle participant {match['name']!r} ({match['pid']}) matches "
                f"{found} on the roster; pass --worksheet or fix the roster's names"
            }
        upload = match["rest"] if i == len(parts) - 1 else parts[-1]
        return {"student": names[0], "pid": match["pid"], "upload": upload}
    return {
        "problem": "not named as Moodle names submissions (Full Name_id_assignsubmission_file_)"
    }


def _timestamp(student, groups, platform, duedate, timestamps, worksheet):
    files = [f for g in groups.values() for f in g]
    if timestamps and student in timestamps:
        return timestamps[student], "timestamps CSV"
    if platform == "moodle" and worksheet is not None:
        entry = worksheet.get(files[0]["pid"], {})
        if entry.get("time"):
            return entry["time"], "Moodle worksheet"
        return None, f"{student}: the worksheet gives no submission time; pass --timestamps"
    if platform == "folder":
        times = [f["mtime"] for f in files if f["mtime"] is not None]
        if times:
            stamp = dt.datetime.fromtimestamp(max(times), dt.UTC).replace(tzinfo=None)
            return stamp, "file time as downloaded"
        return None, (
            f"{student}: no time of its own (inside one archive of the whole class, the archive's "
            "time is when it was made); pass --timestamps"
        )
    if platform == "canvas":
        newest = max(files, key=lambda f: int(f["sid"]))
        if newest["late"]:
            return None, (
                f"{student}: Canvas marks it LATE but its download gives no time; "
                "pass --timestamps (Canvas's submitted_at)"
            )
        if duedate is None:
            return None, (
                f"{student}: no time: set the due date (python -m hpcterm.calendar due) "
                "or pass --timestamps"
            )
        return duedate, "due date (Canvas: not late)"
    return None, f"{student}: Moodle's download gives no time; pass --worksheet or --timestamps"


class PlatformCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector, made to file what a platform downloads: it plans the whole
    download at its first call (see `plan`), fails before anything is filed when a file cannot
    be filed (unless `partial`), and answers nbgrader file by file from that plan."""

    platform = Enum(PLATFORMS, default_value="folder", help="Which download.").tag(config=True)
    timestamps = Unicode("", help="A CSV of submission times.").tag(config=True)
    worksheet = Unicode("", help="Moodle's grading worksheet CSV.").tag(config=True)
    timezone = Unicode("UTC", help="The zone of times given without one.").tag(config=True)
    partial = Bool(False, help="File what can be filed even when a file cannot.").tag(config=True)
    report = Unicode("", help="Where to write the collect report (JSON).").tag(config=True)

    _plan: dict | None = None

    def collect(self, submitted_file: str) -> dict | None:
        if self._plan is None:
            self._plan = self._make_plan()
        return self._plan.get(os.path.abspath(submitted_file))

    def _make_plan(self) -> dict:
        from dateutil import tz

        app = self.parent
        root = Path(app.coursedir.root)
        assignment = app.coursedir.assignment_id
        zone = tz.gettz(self.timezone)
        people = Roster(roster(root))
        if self.platform != "folder" and not people.rows:
            app.fail(
                f"the {self.platform} preset finds students through the roster: import it "
                "first (python -m hpcterm.roster import FILE)"
            )
        released = sorted(p.name for p in (root / "release" / assignment).glob("*.ipynb"))
        duedate = None
        try:
            with gradebook(root) as gb:
                duedate = gb.find_assignment(assignment).duedate
        except Exception:  # no gradebook or no such assignment yet: no due date
            duedate = None
        raw = Path(app._format_collect_path(app.archive_directory))
        report = plan(
            Path(app._format_collect_path(app.extracted_directory)),
            platform=self.platform,
            released=released,
            people=people,
            duedate=duedate,
            timestamps=read_timestamps(Path(self.timestamps), people, zone)
            if self.timestamps
            else None,
            worksheet=read_worksheet(Path(self.worksheet), zone) if self.worksheet else None,
            raw=raw,
        )
        failed = bool(report["problems"]) and not self.partial
        report["filed_nothing"] = failed
        if self.report:
            Path(self.report).write_text(json.dumps(report, indent=1))
        if failed:
            problems = "\n".join(f"  {p['file']}: {p['why']}" for p in report["problems"])
            app.fail(
                f"{len(report['problems'])} file(s) cannot be filed, so nothing was filed:\n"
                + problems
            )
        return {
            os.path.abspath(f["path"]): {
                "student_id": f["student"],
                "file_id": f["notebook"],
                "timestamp": f["timestamp"],
            }
            for f in report["filed"]
        }


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def collect(
    root: Path,
    assignment: str,
    source: Path,
    *,
    platform: str = "folder",
    timestamps: Path | None = None,
    worksheet: Path | None = None,
    timezone: str = "UTC",
    partial: bool = False,
) -> dict:
    """Copy `source` to downloaded/<assignment>/raw/<time>/, run nbgrader zip_collect on it with
    PlatformCollector, and return the report (see `plan`), with "raw" and "returncode"."""
    if not (root / "release" / assignment).is_dir():
        raise CourseError(f"{assignment} is not released: make release A={assignment} first")
    if not source.exists():
        raise CourseError(f"no such folder or archive: {source}")
    for extra in (timestamps, worksheet):
        if extra is not None and not extra.is_file():
            raise CourseError(f"no such file: {extra}")
    # Read the extra files here first, so that a mistake in them is named before anything runs.
    from dateutil import tz

    zone = tz.gettz(timezone)
    if zone is None:
        raise CourseError(f"unknown time zone {timezone!r}; use a name such as Europe/Berlin")
    people = Roster(roster(root))
    if platform != "folder" and not people.rows:
        raise CourseError(
            f"the {platform} preset finds students through the roster: import it first "
            "(make roster FILE=...)"
        )
    if timestamps is not None:
        read_timestamps(timestamps, people, zone)
    if worksheet is not None:
        read_worksheet(worksheet, zone)
    stamp = _stamp()
    downloaded = root / "downloaded" / assignment
    raw = downloaded / "raw" / stamp
    if source.is_dir():
        shutil.copytree(source, raw)
    else:
        raw.mkdir(parents=True)
        shutil.copy2(source, raw / source.name)
    if not any(p.is_file() for p in raw.rglob("*")):
        raise CourseError(f"{source} holds no file")
    report_path = downloaded / f"collect-{stamp}.json"
    settings = {
        "ZipCollectApp.archive_directory": f"raw/{stamp}",
        "ZipCollectApp.collector_plugin": "hpcterm.collect.PlatformCollector",
        "PlatformCollector.platform": platform,
        "PlatformCollector.timezone": timezone,
        "PlatformCollector.report": str(report_path),
        "PlatformCollector.timestamps": str(timestamps.resolve()) if timestamps else "",
        "PlatformCollector.worksheet": str(worksheet.resolve()) if worksheet else "",
    }
    command = [nbgrader_command(), "zip_collect", assignment, "--force"]
    command += [f"--{k}={v}" for k, v in settings.items()]
    if partial:
        command.append("--PlatformCollector.partial=True")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    if not report_path.exists():
        raise CourseError(f"nbgrader zip_collect filed nothing:\n{result.stderr[-3000:]}")
    report = json.loads(report_path.read_text())
    report.update(raw=str(raw), returncode=result.returncode, log=result.stderr[-3000:])
    missing = [
        f
        for f in report["filed"]
        if not report["filed_nothing"]
        and not (root / "submitted" / f["student"] / assignment / "timestamp.txt").is_file()
    ]
    if result.returncode == 0 and missing:
        report["problems"].append({"file": missing[0]["file"], "why": "not filed by nbgrader"})
    return report


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.collect",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("assignment")
    parser.add_argument("source", type=Path, help="the folder or archive downloaded")
    parser.add_argument("--platform", choices=PLATFORMS, default="folder")
    parser.add_argument("--timestamps", type=Path, help="CSV: student, submission time")
    parser.add_argument("--worksheet", type=Path, help="Moodle's grading worksheet (CSV)")
    parser.add_argument("--tz", default="UTC", help="zone of times given without one")
    parser.add_argument(
        "--partial",
        action="store_true",
        help="file what can be filed even when some file cannot (still fails)",
    )
    parser.add_argument(
        "--course", help="the course folder (default: $HPCLEARN_COURSE or ./course)"
    )
    args = parser.parse_args(argv)
    root = course_root(args.course)
    report = collect(
        root,
        args.assignment,
        args.source,
        platform=args.platform,
        timestamps=args.timestamps,
        worksheet=args.worksheet,
        timezone=args.tz,
        partial=args.partial,
    )
    print(f"raw download kept in {report['raw']}")
    for f in report["ignored"]:
        print(f"ignored  {f['file']}: {f['why']}")
    for f in report["dropped"]:
        print(f"dropped  {f['file']}: {f['why']}")
    if not report["filed_nothing"]:
        for f in report["filed"]:
            renamed = (
                "" if Path(f["file"]).name == f["notebook"] else f" (was {Path(f['file']).name})"
            )
            print(
                f"filed    {f['student']}/{args.assignment}/{f['notebook']}{renamed} "
                f"<- {f['file']}, submitted {f['timestamp']} UTC ({f['timestamp_from']})"
            )
    for f in report["problems"]:
        print(f"NOT FILED {f['file']}: {f['why']}", file=sys.stderr)
    if report["problems"] or report["returncode"] != 0:
        filed = (
            "nothing was filed"
            if report["filed_nothing"]
            else (f"{len(report['filed'])} hand-ins filed, the rest NOT")
        )
        if not report["problems"]:
            print(report["log"], file=sys.stderr)
        sys.exit(
            f"collect {args.assignment}: {len(report['problems'])} file(s) cannot be filed; "
            f"{filed}. Fix the download (or the roster) and collect again."
        )
    print(f"collect {args.assignment}: {len(report['filed'])} hand-ins filed")


if __name__ == "__main__":
    main()
