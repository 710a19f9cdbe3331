"""Grade other students' answers to a notebook's exercises, fast, the way the autograder would.

`tests/variants/<id>.py` holds, for every autograded exercise of assignment <id> (keyed by the
grade_id of its answer cell), answers other than the instructor's: `RIGHT` ones, written as
students plausibly would, must earn the exercise's full marks; `WRONG` ones must earn nothing.
The released stub (`raise NotImplementedError()`) is always tried as one more wrong answer.

nbgrader would need one whole notebook run per submission. This harness runs the source notebook
once, in one kernel, with `NBGRADER_EXECUTION=autograde` as nbgrader sets it, in the notebook's
own folder, with nbgrader's cell timeout. At each answer cell it first runs every variant in its
place, each followed by the cells up to the exercise's last test cell (hidden tests included, as
the autograder restores them), and scores each test cell as nbgrader does: its points unless it
raised. Then it runs the instructor's answer and goes on, so each variant is graded on its own
exercise with every earlier exercise answered correctly. tests/test_variants.py shows that its
scores equal nbgrader's on submissions made of variants.

    python tests/answer_variants.py 00_hardware     # a table of every variant's points
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "course" / "source"
VARIANTS = ROOT / "tests" / "variants"
# What nbgrader leaves in a code answer cell (course/nbgrader_config.py keeps its default).
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# nbgrader's per-cell limit in course/nbgrader_config.py (c.Execute.timeout).
CELL_TIMEOUT = 120


@dataclass(frozen=True)
class Exercise:
    """An autograded exercise: its answer cell and the cells after it, up to its last test."""

    grade_id: str
    answer: int
    last: int
    tests: tuple[int, ...]
    points: float


@dataclass
class Result:
    """What one answer earned on its exercise, test cell by test cell."""

    assignment: str
    exercise: str
    kind: str  # "solution", "right", "wrong" (the stub is a "wrong" named "blank")
    name: str
    cells: dict[str, float] = field(default_factory=dict)  # test grade_id -> points earned
    errors: dict[str, str] = field(default_factory=dict)  # test grade_id -> the error raised
    max_points: float = 0.0

    @property
    def points(self) -> float:
        return sum(self.cells.values())

    @property
    def as_expected(self) -> bool:
        if self.kind == "wrong":
            return self.points == 0
        return self.points == self.max_points


def notebook_path(assignment: str, source: Path = SOURCE) -> Path:
    return source / assignment / f"{assignment}.ipynb"


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """The autograded exercises of a source notebook, in order.

    An exercise's test cells are the graded code cells after its answer cell and before the next
    code answer cell; each answer cell needs at least one."""
    answers = [
        i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and _meta(c).get("solution") and not _meta(c).get("grade")
    ]
    found = []
    for n, start in enumerate(answers):
        end = answers[n + 1] if n + 1 < len(answers) else len(notebook.cells)
        tests = tuple(
            i
            for i in range(start + 1, end)
            if notebook.cells[i].cell_type == "code" and _meta(notebook.cells[i]).get("grade")
        )
        grade_id = _meta(notebook.cells[start])["grade_id"]
        if not tests:
            raise ValueError(f"answer cell {grade_id!r} has no autograded test cell after it")
        points = sum(float(_meta(notebook.cells[i])["points"]) for i in tests)
        found.append(Exercise(grade_id, start, tests[-1], tests, points))
    return found


def load_variants(assignment: str, folder: Path = VARIANTS) -> tuple[dict, dict]:
    """(RIGHT, WRONG) of tests/variants/<assignment>.py: {answer grade_id: {name: source}}."""
    path = folder / f"{assignment}.py"
    if not path.exists():
        raise FileNotFoundError(f"{assignment} has no answer variants: write {path}")
    namespace = runpy.run_path(str(path))
    return namespace["RIGHT"], namespace["WRONG"]


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _copy(cell: nbformat.NotebookNode, source: str | None = None) -> nbformat.NotebookNode:
    """A copy of `cell`, with `source` if given, to run in its place."""
    copied = nbformat.from_dict(json.loads(json.dumps(cell)))
    if source is not None:
        copied["source"] = source
    return copied


def _errors(cell) -> str:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".strip()
    return ""


# Cells the harness runs in the kernel around each variant. A variant must be graded in the
# namespace a fresh run would have at its answer cell: without what the previous variant bound
# (a variant that fails to define its function must not be graded on the last one's), and with
# every name an earlier cell bound as that cell left it.
_SNAPSHOT = "_hpclearn_names = dict(globals())"
_RESTORE = """import re as _re
for _name in [n for n in globals() if n not in _hpclearn_names
              and not _re.fullmatch(r"_+|_i+\\d*|_\\d+", n)]:
    del globals()[_name]
globals().update(_hpclearn_names)"""


def grade(
    assignment: str, answers: dict[str, dict[str, tuple[str, str]]], *, source: Path = SOURCE
) -> list[Result]:
    """Run the source notebook once and grade every given answer on its own exercise.

    `answers` maps an answer cell's grade_id to {name: (kind, source)}. The instructor's own
    answer is graded too, as kind "solution". Raises ValueError for a grade_id that is not an
    autograded answer cell of the notebook.
    """
    path = notebook_path(assignment, source)
    notebook = nbformat.read(path, as_version=4)
    by_answer = {ex.answer: ex for ex in exercises(notebook)}
    unknown = set(answers) - {ex.grade_id for ex in by_answer.values()}
    if unknown:
        raise ValueError(f"{assignment}: no autograded answer cell named {sorted(unknown)}")
    last = max((ex.last for ex in by_answer.values()), default=-1)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # nbclient puts every cell it runs into the notebook at that index: keep the source's own.
    cells_of_source = list(notebook.cells)
    results = []

    def run(cells: list[tuple[int, nbformat.NotebookNode]], result: Result, ex: Exercise) -> None:
        for index, cell in cells:
            client.execute_cell(cell, index)
            if index in ex.tests:
                grade_id = _meta(cell)["grade_id"]
                error = _errors(cell)
                result.cells[grade_id] = 0.0 if error else float(_meta(cell)["points"])
                if error:
                    result.errors[grade_id] = error

    with _environment(NBGRADER_EXECUTION="autograde"), client.setup_kernel():
        index = 0
        while index <= last:
            ex = by_answer.get(index)
            if ex is None:
                client.execute_cell(cells_of_source[index], index)
                index += 1
                continue
            following = range(ex.answer + 1, ex.last + 1)
            client.execute_cell(nbformat.v4.new_code_cell(_SNAPSHOT), ex.answer)
            for name, (kind, source) in answers.get(ex.grade_id, {}).items():
                client.execute_cell(nbformat.v4.new_code_cell(_RESTORE), ex.answer)
                cells = [(ex.answer, _copy(cells_of_source[ex.answer], source))]
                cells += [(i, _copy(cells_of_source[i])) for i in following]
                result = Result(assignment, ex.grade_id, kind, name, max_points=ex.points)
                run(cells, result, ex)
                results.append(result)
            client.execute_cell(nbformat.v4.new_code_cell(_RESTORE), ex.answer)
            solution = Result(assignment, ex.grade_id, "solution", "the source's answer")
            solution.max_points = ex.points
            run([(i, cells_of_source[i]) for i in range(ex.answer, ex.last + 1)], solution, ex)
            results.append(solution)
            index = ex.last + 1
    return results


def grade_variants(
    assignment: str, *, source: Path = SOURCE, folder: Path = VARIANTS
) -> list[Result]:
    """Every variant of tests/variants/<assignment>.py, the released stub and the instructor's
    answer, graded on their own exercises."""
    right, wrong = load_variants(assignment, folder)
    answers: dict[str, dict[str, tuple[str, str]]] = {}
    for ex in exercises(nbformat.read(notebook_path(assignment, source), as_version=4)):
        answers[ex.grade_id] = {
            **{name: ("right", src) for name, src in right.get(ex.grade_id, {}).items()},
            **{name: ("wrong", src) for name, src in wrong.get(ex.grade_id, {}).items()},
            "blank": ("wrong", STUB),
        }
    return grade(assignment, answers, source=source)


def report(results: list[Result]) -> str:
    """One line per graded answer: exercise, kind, points, whether that is what it must earn."""
    lines = []
    for r in results:
        mark = "ok" if r.as_expected else "WRONG SCORE"
        line = f"{r.exercise:<24} {r.kind:<8} {r.points:g}/{r.max_points:g}  {mark:<11} {r.name}"
        if (r.errors and r.kind != "wrong") or not r.as_expected:
            line += "".join(f"\n{'':>36}{cell}: {e[:200]}" for cell, e in r.errors.items())
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python tests/answer_variants.py <assignment id> [...]", file=sys.stderr)
        return 2
    failed = 0
    for assignment in argv:
        results = grade_variants(assignment)
        print(f"# {assignment}\n{report(results)}")
        failed += sum(not r.as_expected for r in results)
    print(f"{failed} answer(s) earned other points than they must" if failed else "all as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
