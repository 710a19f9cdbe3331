"""Notebook 04's own answers, for the tests that run its training script outside the notebook.

course/source/04_multi_worker/train.py holds no answer: it imports the student's functions from
the file passed with `--answers`, as the notebook's `write_answers` makes it. `answers_file`
writes that file from the solution cells of the source notebook, so the tests run exactly the
course's solutions."""

from __future__ import annotations

from pathlib import Path

import nbformat
from course_tools import COURSE

FOLDER = COURSE / "source" / "04_multi_worker"
TRAIN = FOLDER / "train.py"
ANSWERS = ("shard_dataset", "warmup_learning_rate", "train_resumable")
HEADER = (
    "import os\nimport shutil\nimport tempfile\n\nimport numpy as np\nimport tensorflow as tf\n"
)


def solution(grade_id: str) -> str:
    """The source of the solution cell `grade_id` of notebook 04, without nbgrader's markers."""
    notebook = nbformat.read(FOLDER / "04_multi_worker.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            lines = cell.source.splitlines()
            return "\n".join(ln for ln in lines if ln.strip() not in MARKERS) + "\n"
    raise KeyError(f"notebook 04 has no cell {grade_id!r}")


MARKERS = {"### BEGIN SOLUTION", "### END SOLUTION"}


def answers_file(folder: Path, names=ANSWERS) -> Path:
    """Write the course's answers `names` into `folder`/answers.py; its path."""
    path = Path(folder) / "answers.py"
    path.write_text(HEADER + "".join("\n\n" + solution(name) for name in names))
    return path
