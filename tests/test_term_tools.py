"""The instructor's term tools on the toy fixture: the term's state outside the checkout, per-cell
statistics checked against numbers worked out by hand, the TAs' solutions and rubric kept out of
everything students get, the similarity report, and backups that survive a damaged gradebook.

One module fixture runs a small term once, through the Makefile: `make term-init` makes a course
folder outside any git checkout, then `make release`, `make collect` and `make grade` run in it
with COURSE=<that folder>, and two of the three written answers are graded by hand.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import course_tools as ct
import nbformat
import pytest

from hpcterm import backup, similarity, solutions, state, stats
from hpcterm.course import CourseError, gradebook

pytestmark = pytest.mark.slow

WRONG = {
    "squares": "def squares(n):\n    return [i * i for i in range(1, n + 1)]",
    "clip": "def clip(x, low, high):\n    return x",
}
# Answer cells, the written answer, and the points a grader gives it (None: not graded yet).
HAND_INS = {
    "ann": (ct.TOY_ANSWERS, "Zero numbers: 0/0.", 2),
    "bob": ({**ct.TOY_ANSWERS, "clip": WRONG["clip"]}, "It is empty.", 1),
    "cyd": ({**ct.TOY_ANSWERS, **WRONG}, "Because.", None),
}


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """A graded term in a course folder outside the checkout; returns both folders."""
    checkout = ct.copy_fixture_course(tmp_path_factory.mktemp("checkout") / "course")
    root = tmp_path_factory.mktemp("state") / "term"
    ct.make("term-init", course=checkout, DIR=root)
    ct.make("release", course=root, A="toy")
    hand_ins = tmp_path_factory.mktemp("hand-ins")
    for student, (answers, written, _) in HAND_INS.items():
        notebook = ct.fill(root / "release/toy/toy.ipynb", {**answers, "explain": written})
        (hand_ins / student).mkdir()
        nbformat.write(notebook, hand_ins / student / "toy.ipynb")
    ct.make("collect", course=root, A="toy", FROM=hand_ins)
    ct.make("grade", course=root, A="toy")
    with gradebook(root) as gb:
        for student, (_, _, points) in HAND_INS.items():
            if points is not None:
                grade = gb.find_grade("explain", "toy", "toy", student)
                grade.manual_score = points
                grade.needs_manual_grade = False
        gb.find_comment("explain", "toy", "toy", "ann").manual_comment = "Exactly."
        gb.db.commit()
    return {"root": root, "checkout": checkout}


# --- the term's state outside the checkout ----------------------------------------------------


def test_the_term_lives_in_its_own_folder_with_the_checkouts_config(term):
    root, checkout = term["root"], term["checkout"]
    assert (root / "source").is_symlink() and (root / "source").resolve() == checkout / "source"
    for name in ("gradebook.db", "release", "submitted", "autograded", "downloaded"):
        assert (root / name).exists(), name
        assert not (checkout / name).exists(), f"{name} landed in the checkout's course"
    assert sorted(ct.scores(root, "toy")) == sorted(HAND_INS)
    state.check(root)  # the guards, this root, this gradebook


def test_state_refuses_a_folder_inside_the_git_checkout():
    inside = ct.ROOT / "course" / "term-state-never-made"
    with pytest.raises(CourseError, match="inside the git checkout"):
        state.init(inside, ct.COURSE)
    assert not inside.exists()


def test_state_check_fails_on_a_config_without_the_guards(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(CourseError, match="GradingExecute"):
        state.check(tmp_path)


# --- statistics -------------------------------------------------------------------------------


def test_summarise_counts_full_partial_and_pending():
    row = stats.summarise(2.0, [2.0, 1.0, 0.0, None], [False, False, False, True])
    assert row == {
        "points": 2.0,
        "submissions": 4,
        "graded": 3,
        "pending": 1,
        "full": 1,
        "partial": 1,
        "zero": 1,
        "pass_rate": 0.3333,
        "mean": 1.0,
        "median": 1.0,
    }
    assert stats.summarise(1.0, [None], [True])["pass_rate"] is None


def test_histogram_puts_the_maximum_in_the_last_bin():
    assert stats.histogram([0, 1.9, 2, 8], 8, 4) == [(0, 2, 2), (2, 4, 1), (4, 6, 0), (6, 8, 1)]


# Worked out by hand from HAND_INS: squares 1 pt (ann, bob right; cyd starts at 1), mean 2 pt
# (all right), clip 3 pt (ann only), explain 2 pt (ann 2, bob 1, cyd still to grade).
EXPECTED_CELLS = [
    ("test_squares", "autograded", 1.0, 3, 3, 0, 2, 0, 1, 0.6667, 0.6667, 1.0),
    ("test_mean", "autograded", 2.0, 3, 3, 0, 3, 0, 0, 1.0, 2.0, 2.0),
    ("test_clip", "autograded", 3.0, 3, 3, 0, 1, 0, 2, 0.3333, 1.0, 0.0),
    ("explain", "manual", 2.0, 3, 2, 1, 1, 1, 0, 0.5, 1.5, 1.5),
]
# ann 1+2+3+2, bob 1+2+0+1, cyd 0+2+0 and a pending answer counted 0.
EXPECTED_SCORES = {"ann": (8.0, False), "bob": (4.0, False), "cyd": (2.0, True)}


def test_stats_match_the_numbers_worked_out_by_hand(term, tmp_path, capsys):
    columns = stats.CELL_COLUMNS[1:]
    rows = stats.cell_stats(term["root"], "toy")
    assert [tuple(row[c] for c in columns) for row in rows] == EXPECTED_CELLS
    scores = stats.submission_scores(term["root"], "toy")
    assert {r["student_id"]: (r["raw_score"], r["needs_manual_grade"]) for r in scores} == (
        EXPECTED_SCORES
    )
    stats.main(["toy", "--course", str(term["root"]), "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "| test_clip    | autograded | 3      | 3" in printed
    assert "submissions: 3\nstill need a hand grade: 1\nenrolled without a submission: 0" in printed
    cells = (tmp_path / "toy-cells.csv").read_text().splitlines()
    assert cells[0] == ",".join(stats.CELL_COLUMNS)
    assert cells[4] == "toy,explain,manual,2.0,3,2,1,1,1,0,0.5,1.5,1.5"
    assert (tmp_path / "toy-stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- solutions and rubric for TAs -------------------------------------------------------------


def test_solutions_and_rubric_reach_tas_and_never_students(term, tmp_path):
    root = term["root"]
    folder = solutions.generate(root, "toy")
    assert folder == root / "solution" / "toy"
    assert sorted(p.name for p in folder.iterdir()) == ["rubric.html", "rubric.md", "toy.ipynb"]
    rubric = (folder / "rubric.md").read_text()
    for grade_id, points in [("test_squares", 1), ("test_mean", 2), ("test_clip", 3)]:
        assert f"### `{grade_id}`: {points} points, autograded test" in rubric
    assert "### `explain`: 2 points, written answer" in rubric
    assert "0/0 has no value" in rubric  # the model answer
    assert "Why does the mean of an empty sequence have no value?" in rubric  # the task
    assert "squares(0) must be empty" in rubric  # the hidden test
    assert "0/0 has no value" in (folder / "rubric.html").read_text()
    solved = nbformat.read(folder / "toy.ipynb", as_version=4)
    assert any("return min(max(x, low), high)" in c.source for c in solved.cells)

    secrets = ["return min(max(x, low), high)", "0/0 has no value", "squares(0) must be empty"]
    edition = tmp_path / "edition"
    subprocess.run(
        [sys.executable, str(ct.ROOT / "course/publish.py"), str(edition), "--course", str(root)],
        check=True,
        capture_output=True,
        env=ct.environment(),
    )
    for given in [root / "release", edition]:
        for path in given.rglob("*"):
            assert "solution" not in path.relative_to(given).parts, path
            assert "rubric" not in path.name, path
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not [s for s in secrets if s in text], path
    ignored = subprocess.run(
        [
            "git",
            "-C",
            str(ct.ROOT),
            "check-ignore",
            "--no-index",
            "course/solution/toy/rubric.md",
            "course/solution/toy/toy.ipynb",
            "course/reports/toy/x.csv",
            "course/backups/x/a",
        ],
        capture_output=True,
        text=True,
    )
    assert len(ignored.stdout.split()) == 4, ignored.stdout


# --- similarity -------------------------------------------------------------------------------

KIM = {
    "squares": (
        "def squares(n):\n    result = []\n    for k in range(n):\n"
        "        result.append(k * k)\n    return result"
    ),
    "mean": (
        "def mean(values):\n    total = 0.0\n    count = 0\n    for value in values:\n"
        "        total += value\n        count += 1\n    if count == 0:\n"
        "        raise ValueError('empty sequence')\n    return total / count"
    ),
    "clip": (
        "def clip(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n"
        "        return high\n    return x"
    ),
}
# KIM's answers with every variable renamed and the messages reworded.
LEE = {
    "squares": (
        "def squares(n):\n    out = []\n    for j in range(n):\n"
        "        out.append(j * j)\n    return out"
    ),
    "mean": (
        "def mean(values):\n    s = 0.0\n    m = 0\n    for v in values:\n"
        "        s += v\n        m += 1\n    if m == 0:\n"
        "        raise ValueError('no values')\n    return s / m"
    ),
    "clip": (
        "def clip(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n"
        "        return high\n    return x"
    ),
}
MAX = {
    "squares": "def squares(n):\n    import numpy as np\n    return (np.arange(n) ** 2).tolist()",
    "mean": (
        "def mean(values):\n    try:\n        return float(sum(values)) / len(values)\n"
        "    except ZeroDivisionError:\n        raise ValueError('mean of nothing') from None"
    ),
    "clip": "def clip(x, low, high):\n    return sorted([low, x, high])[1]",
}
# The public solution, as copied from the repository.
PAT = {
    "squares": "def squares(n):\n    return [i * i for i in range(n)]",
    "mean": (
        "def mean(values):\n    if len(values) == 0:\n"
        "        raise ValueError('the mean of an empty sequence is undefined')\n"
        "    return sum(values) / len(values)"
    ),
    "clip": "def clip(x, low, high):\n    return min(max(x, low), high)",
}


def test_similarity_ranks_the_renamed_copy_and_the_public_solution_first(term, tmp_path):
    # A figure with a layout engine left open by earlier code (as hpclearn.plots makes them)
    # must not break copydetect's drawing on the current figure.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.subplots(layout="constrained")
    course = tmp_path / "course"
    shutil.copytree(term["root"] / "source", course / "source")
    shutil.copytree(term["root"] / "release", course / "release")
    for student, answers in {"kim": KIM, "lee": LEE, "max": MAX, "pat": PAT}.items():
        notebook = ct.fill(course / "release/toy/toy.ipynb", answers)
        folder = course / "submitted" / student / "toy"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "toy.ipynb")
    out = tmp_path / "report" / "similarity.html"
    out.parent.mkdir()
    pairs, skipped = similarity.compare(course, "toy", out)
    top = [{p.first, p.second} for p in pairs[:2]]
    assert {"kim", "lee"} in top and {"pat", similarity.REFERENCE} in top, pairs
    copy = next(p for p in pairs if {p.first, p.second} == {"kim", "lee"})
    assert copy.similarity > 0.8, copy
    assert all(p.similarity < 0.5 for p in pairs if "max" in (p.first, p.second)), pairs
    assert skipped == {"unreadable": [], "no answer code": []}
    assert "never a grade" in out.read_text()
    rows = out.with_suffix(".csv").read_text().splitlines()
    assert len(rows) == 1 + 10  # 5 participants, every pair once


# --- backups ----------------------------------------------------------------------------------


def dump(database):
    connection = sqlite3.connect(database)
    try:
        return sorted(connection.iterdump())
    finally:
        connection.close()


def test_an_online_backup_is_one_snapshot_while_another_connection_writes(term, tmp_path):
    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    stop, written = threading.Event(), []

    def writer():
        connection = sqlite3.connect(root / "gradebook.db", timeout=30)
        n = 0
        while not stop.is_set():
            n += 1
            with connection:  # one transaction: every grade gets the same extra credit
                connection.execute("UPDATE grade SET extra_credit = ?", (n / 1000,))
            written.append(n)
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        folder = backup.create(root, tmp_path / "backups")
        after = len(written)
        while len(written) < after + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(folder / "gradebook.db")
    credits = {row[0] for row in copy.execute("SELECT extra_credit FROM grade")}
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert len(credits) == 1, f"a torn copy: grades from several transactions {credits}"
    assert 0 < credits.pop() * 1000 < written[-1]  # writes before and after the copy
    manifest = backup.verify(folder)
    assert manifest["counts"]["students"] == 3 and manifest["counts"]["submissions"] == 3
    (root / "gradebook.db").unlink()
    backup.restore(folder, root, yes=True)
    assert dump(root / "gradebook.db") == dump(folder / "gradebook.db")


def test_a_damaged_gradebook_and_a_lost_hand_in_come_back_from_a_backup(term, tmp_path):
    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    before = dump(root / "gradebook.db")
    hand_in = root / "submitted/bob/toy/toy.ipynb"
    original = hand_in.read_bytes()
    (root / "roster.csv").write_text("id,first_name,last_name,email,lms_user_id\nann,Ann,A,,1\n")
    folder = backup.create(root)
    assert folder.parent == root / "backups"

    data = bytearray((root / "gradebook.db").read_bytes())
    data[:4096] = b"\0" * 4096  # the header and first page gone
    (root / "gradebook.db").write_bytes(bytes(data))
    hand_in.unlink()
    (root / "roster.csv").unlink()
    with pytest.raises(CourseError, match="--yes"):
        backup.restore(folder, root)
    assert not hand_in.exists()

    saved = backup.restore(folder, root, yes=True)
    assert dump(root / "gradebook.db") == before  # every student, grade and comment
    assert hand_in.read_bytes() == original
    assert (root / "roster.csv").read_text().endswith("ann,Ann,A,,1\n")
    assert (saved / "gradebook.db.damaged").read_bytes() == bytes(data)
    with gradebook(root) as gb:
        assert gb.find_grade("explain", "toy", "toy", "ann").manual_score == 2
        assert gb.find_comment("explain", "toy", "toy", "ann").manual_comment == "Exactly."


def test_a_restore_reaches_a_connection_left_open_on_the_gradebook(term, tmp_path):
    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    folder = backup.create(root)
    before = dump(root / "gradebook.db")
    formgrader = sqlite3.connect(root / "gradebook.db")  # a session that stays open
    with formgrader:
        formgrader.execute("UPDATE comment SET manual_comment = 'changed after the backup'")
    backup.restore(folder, root, yes=True)
    comments = {row[0] for row in formgrader.execute("SELECT manual_comment FROM comment")}
    formgrader.close()
    assert "changed after the backup" not in comments and "Exactly." in comments
    assert dump(root / "gradebook.db") == before


def test_a_changed_backup_is_refused(term, tmp_path):
    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    folder = backup.create(root)
    with open(folder / "submissions.tar.gz", "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CourseError, match="damaged"):
        backup.restore(folder, root, yes=True)
    assert dump(root / "gradebook.db") == dump(term["root"] / "gradebook.db")


def test_make_clean_keeps_the_term_and_clean_term_needs_a_confirmation(term, tmp_path):
    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    (root / "grades.csv").write_text("x\n")
    (root / "grades-canvas.csv").write_text("x\n")
    ct.make("clean", course=root)
    kept = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert kept == [
        "autograded",
        "downloaded",
        "gradebook.db",
        "nbgrader_config.py",
        "source",
        "submitted",
    ]
    refused = ct.make("clean-term", course=root, check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == kept
    before = dump(root / "gradebook.db")

    ct.make("clean-term", course=root, CONFIRM="yes")
    left = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert left == ["backups", "nbgrader_config.py", "source"]
    (saved,) = (root / "backups").iterdir()
    result = ct.make("restore", course=root, FROM=saved)  # nothing to replace: no --yes needed
    assert "restored" in result.stdout
    assert dump(root / "gradebook.db") == before
    assert sorted(p.name for p in (root / "submitted").iterdir()) == sorted(HAND_INS)


def test_no_restore_while_a_grading_pass_runs(term, tmp_path):
    import fcntl

    root = shutil.copytree(term["root"], tmp_path / "term", symlinks=True)
    folder = backup.create(root)
    lock = root / backup.GRADING_LOCK
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(CourseError, match="grading pass is running"):
            backup.restore(folder, root, yes=True)
        with pytest.raises(CourseError, match="grading pass is running"):
            backup.clean_term(root, yes=True)
    assert (root / "gradebook.db").exists()
