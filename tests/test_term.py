"""A term in miniature, on the toy assignment and the course's own commands.

Five students on a roster imported from CSV (one with an e-mail address for id, one who never
hands in). The toy assignment is released with a wrong hidden test (it wants the squares from 1²),
due 2027-02-01 23:59 Berlin time. Ada (a resubmission: `toy-1`), Charles (LATE_, 35 hours after
the due date) and Grace (`toy (1).ipynb`) hand in through Canvas; Alan, a day and a half late with
a two-day extension, through Moodle (a zip with a __MACOSX folder, and the grading worksheet for
his time). Grading; the export refuses while written answers wait; the written answers graded by
hand through the gradebook API; the hidden test fixed in the source and the assignment regraded:
the squares scores change, the hand grades stay, Charles's late penalty follows his new score.
Then the platform exports cell by cell, the feedback of the e-mail id, the per-cell statistics,
and a backup restored after the gradebook is deleted.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import shutil
import zipfile
from pathlib import Path

import course_tools as ct
import nbformat
import pytest

pytestmark = pytest.mark.slow

RIGHT_SQUARES = "assert _got == [0, 1, 4, 9, 16, 25]"
WRONG_SQUARES = "assert _got == [1, 4, 9, 16, 25, 36]"
SQUARES_FROM_ONE = "def squares(n):\n    return [i * i for i in range(1, n + 1)]"

ROSTER = [
    ["id", "first_name", "last_name", "email", "lms_user_id"],
    ["ada@uni.edu", "Ada", "Lovelace", "ada@uni.edu", "101"],
    ["charles", "Charles", "Babbage", "charles@uni.edu", "102"],
    ["grace", "Grace", "Hopper", "grace@uni.edu", "103"],
    ["alan", "Alan", "Turing", "alan@uni.edu", "104"],
    ["emmy", "Emmy", "Noether", "emmy@uni.edu", "105"],
]
HAND_GRADES = {"ada@uni.edu": 2.0, "charles": 2.0, "grace": 1.0, "alan": 2.0}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def run(module: str, *args: str) -> str:
    """`python -m hpcterm.<module> ARGS`, run in this process (a new Python costs seconds of
    imports per command); its standard output. The Makefile's targets call the same `main`;
    `make` itself runs the grading steps, the refused export and the feedback here."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        importlib.import_module(f"hpcterm.{module}").main(list(args))
    return out.getvalue()


def set_hidden_squares_test(root: Path, line: str) -> None:
    path = root / "source" / "toy" / "toy.ipynb"
    text = path.read_text()
    other = RIGHT_SQUARES if line == WRONG_SQUARES else WRONG_SQUARES
    assert other in text
    path.write_text(text.replace(other, line))


def gradebook_state(root: Path) -> dict:
    from hpcterm.course import gradebook

    with gradebook(root) as gb:
        state = {}
        for submission in gb.assignment_submissions("toy"):
            notebook = gb.find_submission_notebook("toy", "toy", submission.student_id)
            state[submission.student_id] = {
                "cells": {g.name: (g.auto_score, g.manual_score) for g in notebook.grades},
                "waiting": sorted(g.name for g in notebook.grades if g.needs_manual_grade),
                "penalty": notebook.late_submission_penalty,
                "score": submission.score,
            }
        return state


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", ct.environment()["PATH"])  # nbgrader runs alembic by name
        yield from _term(tmp_path_factory)


def _term(tmp_path_factory):
    root = ct.copy_fixture_course(tmp_path_factory.mktemp("term") / "course")
    files = tmp_path_factory.mktemp("files")
    set_hidden_squares_test(root, WRONG_SQUARES)
    ct.make("release", course=root, A="toy")
    course = ["--course", str(root)]
    run("roster", "import", str(write_csv(files / "students.csv", ROSTER)), *course)
    run("calendar", "due", "toy", "2027-02-01T23:59", "--tz", "Europe/Berlin", *course)

    released = root / "release" / "toy" / "toy.ipynb"

    def notebook(answers: dict[str, str], written: str) -> str:
        return nbformat.writes(ct.fill(released, {**answers, "explain": written}))

    canvas = files / "canvas"
    canvas.mkdir()
    (canvas / "lovelaceada_101_5001_toy.ipynb").write_text(notebook({}, ""))
    (canvas / "lovelaceada_101_5002_toy-1.ipynb").write_text(notebook(ct.TOY_ANSWERS, "0/0."))
    (canvas / "babbagecharles_LATE_102_5003_toy.ipynb").write_text(
        notebook(ct.TOY_ANSWERS, "No count.")
    )
    (canvas / "hoppergrace_103_5004_toy (1).ipynb").write_text(
        notebook({**ct.TOY_ANSWERS, "squares": SQUARES_FROM_ONE}, "Empty.")
    )
    times = write_csv(files / "times.csv", [["lms_user_id", "submitted_at"],
                                            ["102", "2027-02-03T10:00:00Z"]])  # fmt: skip
    collected = {
        "canvas": run("collect", "toy", str(canvas), "--platform", "canvas", "--timestamps",
                      str(times), *course),
    }  # fmt: skip

    moodle = files / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as z:
        folder = "Alan Turing_555_assignsubmission_file_"
        z.writestr(f"{folder}/toy.ipynb", notebook(ct.TOY_ANSWERS, "Nothing to divide."))
        z.writestr(f"__MACOSX/{folder}/._toy.ipynb", "resource fork")
    worksheet = write_csv(files / "worksheet.csv", [
        ["Identifier", "Full name", "Email address", "Status", "Last modified (submission)"],
        ["Participant 555", "Alan Turing", "alan@uni.edu", "Submitted",
         "Wednesday, 3 February 2027, 11:00 AM"],
        ["Participant 556", "Emmy Noether", "emmy@uni.edu", "No submission", "-"],
    ])  # fmt: skip
    collected["moodle"] = run(
        "collect",
        "toy",
        str(moodle),
        "--platform",
        "moodle",
        "--worksheet",
        str(worksheet),
        "--tz",
        "Europe/Berlin",
        *course,
    )
    run("calendar", "extend", "toy", "alan", "--days", "2", *course)

    ct.make("grade", course=root, A="toy", JOBS=2)
    graded = gradebook_state(root)
    refused = ct.make("grades", course=root, PLATFORM="canvas", check=False)
    run("export", "--platform", "canvas", "--allow-pending", *course)
    pending_export = read_csv(root / "grades-canvas.csv")

    from hpcterm.course import gradebook

    with gradebook(root) as gb:
        for student, points in HAND_GRADES.items():
            grade = gb.find_grade("explain", "toy", "toy", student)
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()
    run("export", "--platform", "canvas", *course)
    before_fix = read_csv(root / "grades-canvas.csv")

    set_hidden_squares_test(root, RIGHT_SQUARES)
    ct.make("regrade", course=root, A="toy")
    regraded = gradebook_state(root)
    for platform in ("canvas", "moodle", "csv"):
        run("export", "--platform", platform, *course)
    ct.make("grades", course=root)
    ct.make("feedback", course=root, A="toy")
    stats = run("stats", "toy", *course)
    yield {
        "root": root,
        "collected": collected,
        "graded": graded,
        "refused": refused,
        "pending_export": pending_export,
        "before_fix": before_fix,
        "regraded": regraded,
        "stats": stats,
    }


def test_each_platform_download_is_filed_under_the_released_name(term):
    root = term["root"]
    submitted = {p.name: sorted(f.name for f in (p / "toy").iterdir())
                 for p in (root / "submitted").iterdir()}  # fmt: skip
    both = ["timestamp.txt", "toy.ipynb"]
    assert submitted == {"ada@uni.edu": both, "charles": both, "grace": both, "alan": both}
    stamps = {s: (root / "submitted" / s / "toy" / "timestamp.txt").read_text() for s in submitted}
    assert stamps == {
        "ada@uni.edu": "2027-02-01 22:59:00",  # on time by Canvas: stamped with the due date
        "charles": "2027-02-03 10:00:00",  # from the timestamps CSV
        "grace": "2027-02-01 22:59:00",
        "alan": "2027-02-03 10:00:00",  # 11:00 Berlin, from Moodle's worksheet
    }
    canvas = term["collected"]["canvas"]
    assert "lovelaceada_101_5001_toy.ipynb: older copy of ada@uni.edu's toy.ipynb" in canvas
    assert "grace/toy/toy.ipynb (was hoppergrace_103_5004_toy (1).ipynb)" in canvas
    assert "ignored  moodle/__MACOSX/" in term["collected"]["moodle"]
    raws = list((root / "downloaded" / "toy" / "raw").iterdir())
    assert sorted(p.name for r in raws for p in r.iterdir()) == [
        "babbagecharles_LATE_102_5003_toy.ipynb",
        "hoppergrace_103_5004_toy (1).ipynb",
        "lovelaceada_101_5001_toy.ipynb",
        "lovelaceada_101_5002_toy-1.ipynb",
        "moodle.zip",
    ]


def test_the_late_hand_in_is_penalised_and_the_extended_one_is_not(term):
    graded = term["graded"]
    # Charles: 35 hours late, two started days: 20 % of what the notebook scored.
    assert graded["charles"]["penalty"] == pytest.approx(0.2 * graded["charles"]["score"])
    assert graded["charles"]["score"] > 0
    # Alan: as late, but his two-day extension covers it.
    assert graded["alan"]["penalty"] in (None, 0.0)
    assert graded["alan"]["score"] == graded["charles"]["score"]
    assert all(graded[s]["penalty"] in (None, 0.0) for s in ("ada@uni.edu", "grace"))


def test_export_refuses_while_written_answers_wait_for_a_hand_grade(term):
    refused = term["refused"]
    assert refused.returncode != 0
    for student in HAND_GRADES:
        assert f"WAITING FOR A HAND GRADE: {student} toy: toy/explain" in refused.stderr
    assert [row[0] for row in term["pending_export"]][2:] == [
        "Lovelace, Ada", "Turing, Alan", "Babbage, Charles", "Noether, Emmy", "Hopper, Grace",
    ]  # fmt: skip
    # --allow-pending: the waiting scores are blank; the non-submitter's 0 is there.
    assert [row[5] for row in term["pending_export"][2:]] == ["", "", "", "0", ""]


def test_the_regrade_after_the_fix_changes_the_squares_and_keeps_the_hand_grades(term):
    graded, regraded = term["graded"], term["regraded"]
    squares = {s: (graded[s]["cells"]["test_squares"][0], regraded[s]["cells"]["test_squares"][0])
               for s in HAND_GRADES}  # fmt: skip
    assert squares == {"ada@uni.edu": (0.0, 1.0), "charles": (0.0, 1.0), "alan": (0.0, 1.0),
                       "grace": (0.0, 0.0)}  # fmt: skip
    for student, points in HAND_GRADES.items():
        assert regraded[student]["cells"]["explain"][1] == points
        assert regraded[student]["waiting"] == []
        for cell in ("test_mean", "test_clip"):
            assert regraded[student]["cells"][cell] == graded[student]["cells"][cell]
    assert regraded["charles"]["penalty"] == pytest.approx(1.6)  # 20 % of 6 + 2 points


def test_the_platform_exports_cell_by_cell(term):
    root = term["root"]
    assert term["before_fix"][2:] == [
        ["Lovelace, Ada", "101", "", "", "", "7"],
        ["Turing, Alan", "104", "", "", "", "7"],
        ["Babbage, Charles", "102", "", "", "", "6"],  # 5 + 2 hand - 1 (20 % of 5 when graded)
        ["Noether, Emmy", "105", "", "", "", "0"],
        ["Hopper, Grace", "103", "", "", "", "6"],
    ]
    assert read_csv(root / "grades-canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"],
        ["    Points Possible", "", "", "", "", "8"],
        ["Lovelace, Ada", "101", "", "", "", "8"],
        ["Turing, Alan", "104", "", "", "", "8"],
        ["Babbage, Charles", "102", "", "", "", "6.4"],
        ["Noether, Emmy", "105", "", "", "", "0"],
        ["Hopper, Grace", "103", "", "", "", "6"],
    ]
    assert read_csv(root / "grades-moodle.csv") == [
        ["First name", "Last name", "Email address", "toy"],
        ["Ada", "Lovelace", "ada@uni.edu", "8"],
        ["Alan", "Turing", "alan@uni.edu", "8"],
        ["Charles", "Babbage", "charles@uni.edu", "6.4"],
        ["Emmy", "Noether", "emmy@uni.edu", "0"],
        ["Grace", "Hopper", "grace@uni.edu", "6"],
    ]
    assert read_csv(root / "grades-wide.csv")[1] == [*ROSTER[1], "8"]
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades.csv").open())}
    assert sorted(rows) == sorted(r[0] for r in ROSTER[1:])
    assert (rows["emmy"]["score"], rows["emmy"]["timestamp"]) == ("0.0", "")
    assert (rows["charles"]["raw_score"], rows["charles"]["score"]) == ("8.0", "6.4")
    assert rows["charles"]["late_submission_penalty"] == "1.6"


def test_the_email_id_gets_its_feedback(term):
    page = term["root"] / "feedback" / "ada@uni.edu" / "toy" / "toy.html"
    assert "0/0." in page.read_text()


def test_statistics_show_which_exercise_the_class_failed(term):
    from hpcterm.stats import cell_stats

    cells = {c["grade_id"]: c for c in cell_stats(term["root"], "toy")}
    assert (cells["test_squares"]["submissions"], cells["test_squares"]["full"]) == (4, 3)
    assert cells["test_squares"]["pass_rate"] == 0.75
    assert cells["test_mean"]["pass_rate"] == cells["test_clip"]["pass_rate"] == 1.0
    assert "enrolled without a submission: 1" in term["stats"]


def test_a_backup_brings_back_a_deleted_gradebook(term, tmp_path):
    root = Path(shutil.copytree(term["root"], tmp_path / "course"))
    made = run("backup", "create", "--course", str(root))
    folder = made.strip().splitlines()[-1].removeprefix("backup: ").strip()
    before = gradebook_state(root)
    (root / "gradebook.db").unlink()
    shutil.rmtree(root / "submitted")
    run("backup", "restore", folder, "--course", str(root), "--yes")
    assert gradebook_state(root) == before
    assert (root / "submitted" / "ada@uni.edu" / "toy" / "timestamp.txt").is_file()
