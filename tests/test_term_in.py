"""The term's way in and out: the roster, collecting from a folder, Canvas and Moodle, due dates,
the late policy, and the exports a platform imports.

Most tests drive the pure parts (reading a roster, planning where each downloaded file goes,
writing an export) on files made here; the last ones run `python -m hpcterm.collect` through
nbgrader's zip_collect on a released copy of the toy course.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import runpy
import shutil
import zipfile
from pathlib import Path

import course_tools as ct
import nbformat
import pytest

from hpcterm import calendar, collect, export, roster
from hpcterm.course import CourseError

UTC = dt.UTC
DUE = dt.datetime(2027, 2, 1, 22, 59)  # 23:59 in Berlin, as nbgrader stores it (naive UTC)

STUDENTS = [
    {"id": "ada@uni.edu", "first_name": "Ada", "last_name": "Lovelace",
     "email": "ada@uni.edu", "lms_user_id": "101"},
    {"id": "charles", "first_name": "Charles", "last_name": "Babbage",
     "email": "charles@uni.edu", "lms_user_id": "102"},
    {"id": "grace", "first_name": "Grace", "last_name": "Hopper",
     "email": "grace@uni.edu", "lms_user_id": "103"},
]  # fmt: skip
PEOPLE = collect.Roster(STUDENTS)
NOTEBOOK = nbformat.v4.new_notebook()


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def touch(root: Path, *files: str, mtime: float | None = None) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(NOTEBOOK, path) if name.endswith(".ipynb") else path.write_text("x")
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return root


def plan(tmp_path, files, platform, **kwargs):
    extracted = touch(tmp_path / "extracted", *files)
    kwargs = {"released": ["toy.ipynb"], "people": PEOPLE, "duedate": None, **kwargs}
    return collect.plan(extracted, platform=platform, **kwargs)


def filed(report) -> dict[str, tuple[str, str, str]]:
    return {f["student"]: (f["notebook"], f["file"], f["timestamp"]) for f in report["filed"]}


def problems(report) -> dict[str, str]:
    return {p["file"]: p["why"] for p in report["problems"]}


# --- the roster ---------------------------------------------------------------------------------


def test_roster_reads_canvas_gradebook_export(tmp_path):
    path = write_csv(tmp_path / "canvas.csv", [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
        ["    Points Possible", "", "", "", ""],
        ["Lovelace, Ada", "101", "s1", "ada@uni.edu", "A"],
        ["Babbage, Charles", "102", "s2", "", "A"],
    ])  # fmt: skip
    assert roster.read_roster_csv(path) == [
        {"id": "ada@uni.edu", "lms_user_id": "101", "first_name": "Ada",
         "last_name": "Lovelace", "email": ""},
        {"id": "s2", "lms_user_id": "102", "first_name": "Charles",
         "last_name": "Babbage", "email": ""},
    ]  # fmt: skip


def test_roster_reads_moodle_and_nbgrader_columns(tmp_path):
    moodle = write_csv(tmp_path / "moodle.csv", [
        ["First name", "Last name", "Username", "Email address"],
        ["Ada", "Lovelace", "alovelace", "ada@uni.edu"],
    ])  # fmt: skip
    own = write_csv(tmp_path / "own.csv", [roster.FIELDS, list(STUDENTS[0].values())])
    assert roster.read_roster_csv(moodle) == [
        {"id": "alovelace", "lms_user_id": "", "first_name": "Ada",
         "last_name": "Lovelace", "email": "ada@uni.edu"},
    ]  # fmt: skip
    assert roster.read_roster_csv(own) == [STUDENTS[0]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["id"], ["ada lovelace"]], "is not usable"),
        ([["id"], ["a/b"]], "is not usable"),
        ([["id", "lms_user_id"], ["a", "1"], ["b", "1"]], "appears twice"),
        ([["name"], ["Ada"]], "no student id column"),
    ],
)
def test_roster_refuses_what_it_cannot_use(tmp_path, rows, message):
    with pytest.raises(CourseError, match=message):
        roster.read_roster_csv(write_csv(tmp_path / "bad.csv", rows))


# --- collect: where each file of a download goes ------------------------------------------------


def test_canvas_keeps_the_newest_resubmission_and_files_renamed_notebooks(tmp_path):
    report = plan(
        tmp_path,
        [
            "lovelaceada_101_5001_toy.ipynb",
            "lovelaceada_101_5002_toy-1.ipynb",
            "babbagecharles_LATE_102_5003_toy.ipynb",
            "hoppergrace_103_5004_Toy (1).ipynb",
            "__MACOSX/._hoppergrace_103_5004_Toy (1).ipynb",
            ".DS_Store",
        ],
        "canvas",
        duedate=DUE,
        timestamps={"charles": dt.datetime(2027, 2, 3, 10)},
    )
    assert filed(report) == {
        "ada@uni.edu": ("toy.ipynb", "lovelaceada_101_5002_toy-1.ipynb", "2027-02-01 22:59:00"),
        "charles": ("toy.ipynb", "babbagecharles_LATE_102_5003_toy.ipynb", "2027-02-03 10:00:00"),
        "grace": ("toy.ipynb", "hoppergrace_103_5004_Toy (1).ipynb", "2027-02-01 22:59:00"),
    }
    assert [d["file"] for d in report["dropped"]] == ["lovelaceada_101_5001_toy.ipynb"]
    assert "kept lovelaceada_101_5002_toy-1.ipynb" in report["dropped"][0]["why"]
    assert len(report["ignored"]) == 2 and not report["problems"]


def test_canvas_cannot_file_a_late_hand_in_without_its_time_nor_an_unknown_user(tmp_path):
    report = plan(
        tmp_path,
        ["babbagecharles_LATE_102_5003_toy.ipynb", "someone_999_5005_toy.ipynb",
         "hoppergrace_103_5004_toy.ipynb"],
        "canvas",
    )  # fmt: skip
    assert not report["filed"]
    why = problems(report)
    assert "pass --timestamps" in why["babbagecharles_LATE_102_5003_toy.ipynb"]
    assert "Canvas user 999 is not on the roster" in why["someone_999_5005_toy.ipynb"]
    assert "set the due date" in why["hoppergrace_103_5004_toy.ipynb"]


def test_moodle_folders_by_name_or_worksheet(tmp_path):
    files = [
        "Ada Lovelace_501_assignsubmission_file_/toy.ipynb",
        "Ada Lovelace_501_assignsubmission_onlinetext_/onlinetext.html",
        "__MACOSX/Ada Lovelace_501_assignsubmission_file_/._toy.ipynb",
        "Hopper Grace_503_assignsubmission_file_toy-2.ipynb",  # flat, last name first
    ]
    by_name = plan(tmp_path / "a", files, "moodle")
    assert "Moodle's download gives no time" in by_name["problems"][0]["why"]
    worksheet = {
        "501": {"email": "ada@uni.edu", "name": "Ada Lovelace",
                "time": dt.datetime(2027, 2, 1, 20)},
        "503": {"email": "", "name": "Grace Hopper", "time": dt.datetime(2027, 2, 2, 9)},
    }  # fmt: skip
    report = plan(tmp_path / "b", files, "moodle", worksheet=worksheet)
    assert filed(report) == {
        "ada@uni.edu": ("toy.ipynb", files[0], "2027-02-01 20:00:00"),
        "grace": ("toy.ipynb", files[3], "2027-02-02 09:00:00"),
    }
    assert len(report["ignored"]) == 2 and not report["problems"]


def test_moodle_name_matching_nobody_or_twice_cannot_be_filed(tmp_path):
    twins = collect.Roster([*STUDENTS, {**STUDENTS[0], "id": "ada2", "lms_user_id": "9"}])
    report = plan(
        tmp_path,
        ["Ada Lovelace_501_assignsubmission_file_/toy.ipynb",
         "Nobody Here_502_assignsubmission_file_/toy.ipynb"],
        "moodle",
        people=twins,
        timestamps={"ada@uni.edu": DUE},
    )  # fmt: skip
    why = problems(report)
    assert (
        "matches ada@uni.edu and ada2" in why["Ada Lovelace_501_assignsubmission_file_/toy.ipynb"]
    )
    assert "matches nobody" in why["Nobody Here_502_assignsubmission_file_/toy.ipynb"]


def test_folder_files_a_students_one_notebook_and_refuses_two_or_a_non_notebook(tmp_path):
    report = plan(
        tmp_path,
        [
            "ada@uni.edu/Toy.ipynb",
            "ada@uni.edu/.ipynb_checkpoints/Toy-checkpoint.ipynb",
            "charles/toy.ipynb",
            "charles/toy (1).ipynb",
            "grace/toy.ipynb",
            "grace/homework.ipynb",
            "grace/notes.pdf",
            "stranger/toy.ipynb",
        ],
        "folder",
        raw=tmp_path / "extracted",
    )
    assert {s: f[:2] for s, f in filed(report).items()} == {
        "ada@uni.edu": ("toy.ipynb", "ada@uni.edu/Toy.ipynb"),
        "charles": ("toy.ipynb", "charles/toy (1).ipynb"),
    }
    why = problems(report)
    assert "two different notebooks" in why["grace/homework.ipynb, grace/toy.ipynb"]
    assert "not a notebook" in why["grace/notes.pdf"]
    assert "'stranger' is not on the roster" in why["stranger/toy.ipynb"]


def test_folder_download_as_one_archive_asks_for_times_not_the_archives(tmp_path):
    """One archive of the whole class: its file time is when it was zipped, not when anyone
    handed in, so the hand-ins inside need --timestamps; nbgrader unpacks "toy.v2.zip" into
    "toy.v2", which is not a student."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "toy.v2.zip").write_bytes(b"")
    files = ["toy.v2/ada@uni.edu/toy.ipynb", "toy.v2/charles/toy.ipynb"]
    report = plan(tmp_path, files, "folder", raw=raw)
    assert filed(report) == {}
    assert all("pass --timestamps" in why for why in problems(report).values())
    when = dt.datetime(2027, 2, 1, 12)
    times = {"ada@uni.edu": when, "charles": when}
    report = plan(tmp_path, files, "folder", raw=raw, timestamps=times)
    assert filed(report) == {
        "ada@uni.edu": ("toy.ipynb", files[0], "2027-02-01 12:00:00"),
        "charles": ("toy.ipynb", files[1], "2027-02-01 12:00:00"),
    }


def test_timestamps_csv_reads_platform_ids_and_zones(tmp_path):
    path = write_csv(tmp_path / "t.csv", [
        ["lms_user_id", "submitted_at"], ["101", "2027-02-01T23:30:00+01:00"],
        ["102", "2027-02-02 08:00"], ["103", ""],
    ])  # fmt: skip
    berlin = calendar_zone("Europe/Berlin")
    assert collect.read_timestamps(path, PEOPLE, berlin) == {
        "ada@uni.edu": dt.datetime(2027, 2, 1, 22, 30),
        "charles": dt.datetime(2027, 2, 2, 7, 0),
    }
    with pytest.raises(CourseError, match="not on the roster"):
        collect.read_timestamps(write_csv(tmp_path / "u.csv", [["id", "timestamp"],
                                                               ["x", "2027-01-01"]]),
                                PEOPLE, berlin)  # fmt: skip


def calendar_zone(name):
    from dateutil import tz

    return tz.gettz(name)


def test_moodle_worksheet_is_read(tmp_path):
    path = write_csv(tmp_path / "ws.csv", [
        ["Identifier", "Full name", "Email address", "Status", "Grade",
         "Last modified (submission)"],
        ["Participant 501", "Ada Lovelace", "ada@uni.edu", "Submitted", "",
         "Monday, 1 February 2027, 11:30 PM"],
        ["Participant 502", "Grace Hopper", "grace@uni.edu", "No submission", "", "-"],
    ])  # fmt: skip
    sheet = collect.read_worksheet(path, calendar_zone("Europe/Berlin"))
    assert sheet["501"] == {"email": "ada@uni.edu", "name": "Ada Lovelace",
                            "time": dt.datetime(2027, 2, 1, 22, 30)}  # fmt: skip
    assert sheet["502"]["time"] is None


# --- the calendar and the late policy -----------------------------------------------------------


def test_due_dates_are_stored_in_utc():
    assert calendar.parse_due("2027-02-01T23:59", "Europe/Berlin") == DUE
    assert calendar.parse_due("2027-07-01T23:59", "Europe/Berlin") == dt.datetime(
        2027, 7, 1, 21, 59
    )
    assert calendar.parse_due("2027-02-01T23:59Z") == dt.datetime(2027, 2, 1, 23, 59)
    assert calendar.parse_due("none") is None
    with pytest.raises(CourseError, match="time zone"):
        calendar.parse_due("2027-02-01T23:59", "Mars/Olympus")
    with pytest.raises(CourseError, match="not a date"):
        calendar.parse_due("next friday")


def test_late_policy_of_the_config_is_ten_percent_per_started_day_at_most_half():
    from traitlets.config import Config

    config = runpy.run_path(str(ct.COURSE / "nbgrader_config.py"),
                            init_globals={"get_config": Config})  # fmt: skip
    policy = config["LatePerStartedDay"]()
    assert config["c"].AssignLatePenalties.plugin_class is config["LatePerStartedDay"]
    day = 86400
    penalties = [policy.late_submission_penalty("s", 8.0, late)
                 for late in (0, 1, day, day + 1, 3 * day, 10 * day)]  # fmt: skip
    assert penalties == [None, 0.8, 0.8, 1.6, pytest.approx(2.4), 4.0]


# --- the exports ---------------------------------------------------------------------------------

DATA = {
    "students": STUDENTS,
    "assignments": {"toy": 8.0, "toy2": 4.0},
    "scores": {("ada@uni.edu", "toy"): 8.0, ("ada@uni.edu", "toy2"): 0.0,
               ("charles", "toy"): 6.4, ("charles", "toy2"): 3.0,
               ("grace", "toy"): 5.0, ("grace", "toy2"): 4.0},
}  # fmt: skip


def test_canvas_export_is_the_gradebook_import_format():
    assert export.rows_for("canvas", DATA, blank={("grace", "toy2")}) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy", "toy2"],
        ["    Points Possible", "", "", "", "", "8", "4"],
        ["Lovelace, Ada", "101", "", "", "", "8", "0"],
        ["Babbage, Charles", "102", "", "", "", "6.4", "3"],
        ["Hopper, Grace", "103", "", "", "", "5", ""],
    ]
    no_id = {**DATA, "students": [{**STUDENTS[0], "lms_user_id": ""}]}
    with pytest.raises(CourseError, match="no Canvas user id"):
        export.rows_for("canvas", no_id, blank=set())


def test_moodle_and_wide_exports():
    assert export.rows_for("moodle", DATA, blank=set())[:2] == [
        ["First name", "Last name", "Email address", "toy", "toy2"],
        ["Ada", "Lovelace", "ada@uni.edu", "8", "0"],
    ]
    assert export.rows_for("csv", DATA, blank=set())[2] == [
        "charles", "Charles", "Babbage", "charles@uni.edu", "102", "6.4", "3",
    ]  # fmt: skip


# --- collect end to end, through nbgrader's zip_collect -----------------------------------------
# (`make roster`, `make due` and the CLI's output are run in tests/test_term.py.)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The toy course, released, with a roster of three and a due date."""
    root = ct.copy_fixture_course(tmp_path_factory.mktemp("released"))
    ct.make("release", course=root, A="toy")
    roster._write(root / roster.ROSTER, STUDENTS)
    calendar.set_due(root, "toy", DUE)
    return root


@pytest.fixture
def course(released, tmp_path):
    return Path(shutil.copytree(released, tmp_path / "course"))


def hand_ins(course: Path) -> dict[str, list[str]]:
    submitted = course / "submitted"
    if not submitted.exists():
        return {}
    return {s.name: sorted(p.name for p in (s / "toy").iterdir()) for s in submitted.iterdir()}


@pytest.mark.slow
def test_canvas_download_zip_is_filed_with_timestamps_and_kept(course, tmp_path):
    released = course / "release" / "toy" / "toy.ipynb"
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("lovelaceada_101_5001_toy.ipynb", nbformat.writes(ct.fill(released, {})))
        z.writestr("lovelaceada_101_5002_toy-1.ipynb",
                   nbformat.writes(ct.fill(released, ct.TOY_ANSWERS)))  # fmt: skip
        z.writestr("babbagecharles_LATE_102_5003_toy.ipynb", nbformat.writes(ct.fill(released, {})))
    times = write_csv(tmp_path / "times.csv", [["lms_user_id", "submitted_at"],
                                               ["102", "2027-02-03T10:00:00Z"]])  # fmt: skip
    report = collect.collect(course, "toy", download, platform="canvas", timestamps=times)
    assert report["returncode"] == 0 and not report["problems"], report["log"]
    assert [d["file"] for d in report["dropped"]] == ["submissions/lovelaceada_101_5001_toy.ipynb"]
    assert hand_ins(course) == {"ada@uni.edu": ["timestamp.txt", "toy.ipynb"],
                                "charles": ["timestamp.txt", "toy.ipynb"]}  # fmt: skip
    ada = course / "submitted" / "ada@uni.edu" / "toy"
    assert (ada / "timestamp.txt").read_text() == "2027-02-01 22:59:00"
    assert (course / "submitted/charles/toy/timestamp.txt").read_text() == "2027-02-03 10:00:00"
    cells = nbformat.read(ada / "toy.ipynb", as_version=4).cells
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in cells}
    assert {k: answers[k] for k in ct.TOY_ANSWERS} == ct.TOY_ANSWERS
    # The raw download stays, as downloaded, beside the run's report.
    assert (Path(report["raw"]) / "submissions.zip").read_bytes() == download.read_bytes()
    (saved,) = (course / "downloaded/toy").glob("collect-*.json")
    assert len(json.loads(saved.read_text())["filed"]) == 2


@pytest.mark.slow
def test_a_file_that_cannot_be_filed_fails_the_collect_and_files_nothing(course, tmp_path):
    download = touch(tmp_path / "moodle", "Ada Lovelace_501_assignsubmission_file_/toy.ipynb",
                     "Nobody Here_502_assignsubmission_file_/toy.ipynb")  # fmt: skip
    sheet = write_csv(tmp_path / "ws.csv", [
        ["Identifier", "Full name", "Email address", "Last modified (submission)"],
        ["Participant 501", "Ada Lovelace", "ada@uni.edu", "1 February 2027, 10:00 PM"],
        ["Participant 502", "Nobody Here", "nobody@uni.edu", "1 February 2027, 10:00 PM"],
    ])  # fmt: skip
    args = {"platform": "moodle", "worksheet": sheet, "timezone": "Europe/Berlin"}
    report = collect.collect(course, "toy", download, **args)
    assert report["returncode"] != 0 and report["filed_nothing"]
    assert problems(report) == {
        "Nobody Here_502_assignsubmission_file_/toy.ipynb": "Moodle participant 'Nobody Here' "
        "(502) matches nobody on the roster; pass --worksheet or fix the roster's names"
    }
    assert hand_ins(course) == {}
    partial = collect.collect(course, "toy", download, partial=True, **args)
    assert partial["returncode"] == 0 and not partial["filed_nothing"] and partial["problems"]
    assert hand_ins(course) == {"ada@uni.edu": ["timestamp.txt", "toy.ipynb"]}
    assert (course / "submitted/ada@uni.edu/toy/timestamp.txt").read_text() == "2027-02-01 21:00:00"


def test_collect_before_release_says_what_to_do(tmp_path, capsys):
    bare = ct.copy_fixture_course(tmp_path / "bare")
    with pytest.raises(SystemExit) as stopped:
        collect.main(["toy", str(tmp_path), "--platform", "canvas", "--course", str(bare)])
    assert stopped.value.code == 2
    assert "make release A=toy first" in capsys.readouterr().err


def test_collect_names_a_bad_extra_file_before_copying_anything(tmp_path):
    root = ct.copy_fixture_course(tmp_path / "course")
    (root / "release" / "toy").mkdir(parents=True)
    download = touch(tmp_path / "download", "hoppergrace_103_5004_toy.ipynb")
    with pytest.raises(CourseError, match="import it first"):
        collect.collect(root, "toy", download, platform="canvas")
    roster._write(root / roster.ROSTER, STUDENTS)
    times = write_csv(tmp_path / "t.csv", [["id", "timestamp"], ["grace", "soon"]])
    with pytest.raises(CourseError, match="'soon' is not a date and time"):
        collect.collect(root, "toy", download, platform="canvas", timestamps=times)
    with pytest.raises(CourseError, match="unknown time zone"):
        collect.collect(root, "toy", download, platform="canvas", timezone="Mars/Base")
    assert not (root / "downloaded").exists()


@pytest.mark.slow
def test_export_waits_for_an_ungraded_hand_in_and_an_extension_alone_is_no_hand_in(course):
    """A hand-in collected but not graded is not a 0: the export waits for `make grade`; an
    extension granted before a student hands anything in is no hand-in: a 0, nothing pending."""
    from hpcterm.course import gradebook

    with gradebook(course) as gb:
        for student in STUDENTS:
            gb.update_or_create_student(student["id"])
    calendar.extend(course, "toy", "charles", days=2)
    ada = course / "submitted" / "ada@uni.edu" / "toy"
    ada.mkdir(parents=True)
    shutil.copy(course / "release" / "toy" / "toy.ipynb", ada / "toy.ipynb")
    (ada / "timestamp.txt").write_text("2027-02-01 12:00:00")
    data = export.table(course)
    waiting = ["the hand-in is not graded yet: make grade"]
    assert data["pending"] == {("ada@uni.edu", "toy"): waiting}
    assert data["scores"]["charles", "toy"] == 0.0


def test_a_due_date_for_an_unknown_assignment_is_refused(course):
    with pytest.raises(CourseError, match="no assignment 'toyy'"):
        calendar.set_due(course, "toyy", DUE)
