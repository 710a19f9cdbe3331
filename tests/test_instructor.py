"""The instructor's workflow, on the Makefile's own targets and nbgrader's sqlite gradebook.

Two students hand in the fixture assignment with different answers: alice in a folder, bob as a
zip archive. In a temporary course: `make release`, `make collect`, `make grade`, the written
answers graded by hand (through nbgrader's gradebook API, as the formgrader stores them),
`make feedback`, `make grades`; then `make grade` and `make grades` once more.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import course_tools as ct
import nbformat
import pytest

pytestmark = pytest.mark.slow

SQUARES_FROM_ONE = "def squares(n):\n    return [i * i for i in range(1, n + 1)]"
CLIP_UNCLIPPED = "def clip(x, low, high):\n    return x"

# Answer cells, then the written answer and the points a grader gives it (out of 2).
HAND_INS = {
    "alice": ({**ct.TOY_ANSWERS, "clip": CLIP_UNCLIPPED}, "Nothing / nothing.", 2),
    "bob": ({**ct.TOY_ANSWERS, "squares": SQUARES_FROM_ONE}, "It is empty.", 1),
}
# What the gradebook must export: autograded 1 + 2 + 3 points, written 2.
EXPECTED_CSV = [
    {"student_id": "alice", "raw_score": "5.0", "score": "5.0", "max_score": "8.0"},  # 1+2+0+2
    {"student_id": "bob", "raw_score": "6.0", "score": "6.0", "max_score": "8.0"},  # 0+2+3+1
]


def hand_in(released: Path, answers: dict[str, str], written: str) -> nbformat.NotebookNode:
    """The released notebook as a student saves it: answer cells and written answer filled in."""
    return ct.fill(released, {**answers, "explain": written})


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return sorted(csv.DictReader(f), key=lambda row: row["student_id"])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The whole loop, run once; each test reads what one step left behind."""
    root = ct.copy_fixture_course(tmp_path_factory.mktemp("course"))
    ct.make("release", course=root, A="toy")

    downloads = tmp_path_factory.mktemp("hand-ins")
    released = root / "release" / "toy" / "toy.ipynb"
    alice = hand_in(released, *HAND_INS["alice"][:2])
    (downloads / "alice" / ".ipynb_checkpoints").mkdir(parents=True)
    nbformat.write(alice, downloads / "alice" / "toy.ipynb")
    nbformat.write(alice, downloads / "alice" / ".ipynb_checkpoints" / "toy-checkpoint.ipynb")
    with zipfile.ZipFile(downloads / "bob.zip", "w") as archive:
        archive.writestr("toy.ipynb", nbformat.writes(hand_in(released, *HAND_INS["bob"][:2])))
    ct.make("collect", course=root, A="toy", FROM=downloads)

    ct.make("grade", course=root, A="toy")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student, (_, _, points) in HAND_INS.items():
            grade = gradebook.find_grade("explain", "toy", "toy", student)
            grade.manual_score = points
            grade.needs_manual_grade = False
        gradebook.db.commit()
    ct.make("feedback", course=root, A="toy")
    ct.make("grades", course=root)
    first = {"csv": read_csv(root / "grades.csv"), "scores": ct.scores(root, "toy")}

    ct.make("grade", course=root, A="toy")
    ct.make("grades", course=root)
    again = {"csv": read_csv(root / "grades.csv"), "scores": ct.scores(root, "toy")}
    return {"root": root, "first": first, "again": again}


def test_collect_files_each_hand_in_under_its_student(course):
    submitted = course["root"] / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    for student, (answers, _, _) in HAND_INS.items():
        files = sorted(p.name for p in (submitted / student / "toy").iterdir())
        # With the notebook, its hand-in time (here the file's time as handed in: just now).
        assert files == ["timestamp.txt", "toy.ipynb"], f"{student}: collected {files}"
        notebook = nbformat.read(submitted / student / "toy" / "toy.ipynb", as_version=4)
        sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells}
        assert {k: sources[k] for k in answers} == answers


def test_exported_csv_holds_each_students_exact_score(course):
    rows = course["first"]["csv"]
    assert [row["assignment"] for row in rows] == ["toy", "toy"]
    assert [{k: row[k] for k in EXPECTED_CSV[0]} for row in rows] == EXPECTED_CSV
    assert all(row["late_submission_penalty"] == "0.0" for row in rows)


def test_gradebook_holds_the_autograded_and_hand_given_points(course):
    assert course["first"]["scores"] == {
        "alice": {
            "test_squares": (1.0, None),
            "test_mean": (2.0, None),
            "test_clip": (0.0, None),
            "explain": (None, 2.0),
        },
        "bob": {
            "test_squares": (0.0, None),
            "test_mean": (2.0, None),
            "test_clip": (3.0, None),
            "explain": (None, 1.0),
        },
    }


def test_grading_again_changes_no_score(course):
    assert course["again"] == course["first"]


def test_feedback_shows_each_student_their_own_answers_and_total(course):
    for student, (_, written, _) in HAND_INS.items():
        page = (course["root"] / "feedback" / student / "toy" / "toy.html").read_text()
        total = next(r["score"] for r in course["first"]["csv"] if r["student_id"] == student)
        assert re.search(rf"Score:\s*{total}\s*/\s*8\.0", page), f"{student}: no total {total}"
        assert written in page
        assert "Model answer" not in page and "BEGIN SOLUTION" not in page


def test_collect_without_a_folder_stops_with_its_usage(tmp_path):
    result = ct.make("collect", course=tmp_path, A="toy", check=False)
    assert result.returncode != 0
    assert "usage: make collect A=<id> FROM=<folder>" in result.stderr


def test_nbgrader_server_and_lab_extensions_are_enabled():
    jupyter = str(Path(sys.executable).parent / "jupyter")
    server = subprocess.run(
        [jupyter, "server", "extension", "list"], capture_output=True, text=True, timeout=120
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)
    for extension in ("formgrader", "assignment_list", "course_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension} enabled", listing), extension
    lab = subprocess.run(
        [jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    labs = re.sub(r"\x1b\[[0-9;]*m", "", lab.stdout + lab.stderr)
    assert re.search(r"@jupyter/nbgrader v[\d.]+ enabled OK", labs)
