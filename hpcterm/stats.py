"""Per-exercise statistics of one assignment, from the gradebook: which exercise the class failed.

    python -m hpcterm.stats A [--course DIR] [--out DIR] [--bins N]

Writes, into OUT (default COURSE/reports/A/):

- `A-cells.csv`: one row per graded cell, in the notebook's order: its kind (`autograded` for a
  test cell, `manual` for an answer graded by hand, `task` for an nbgrader task), points, how
  many submissions have it, how many have a score (`graded`) and how many still wait for a hand
  grade (`pending`: not counted in the figures), how many got full points, part of them, or
  none; the pass rate (share of graded submissions with full points), mean and median score.
- `A-scores.csv`: every submission's raw score, maximum, late penalty, score, and whether a
  hand grade is still pending (pending answers count 0 until graded).
- `A-stats.png`: the pass rate of every cell and the histogram of total raw scores.

and prints the cell table and the counts. Numbers are as the gradebook holds them; nothing is
written back to it.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry, TaskCell

from hpcterm.course import CourseError, command, course_root, gradebook

CELL_COLUMNS = [
    "notebook",
    "grade_id",
    "kind",
    "points",
    "submissions",
    "graded",
    "pending",
    "full",
    "partial",
    "zero",
    "pass_rate",
    "mean",
    "median",
]
SCORE_COLUMNS = [
    "student_id",
    "raw_score",
    "max_score",
    "late_submission_penalty",
    "score",
    "needs_manual_grade",
]
# Scores within this of the cell's points count as full points (sums of floats).
TOLERANCE = 1e-9


def summarise(points: float, scores: list[float | None], pending: list[bool]) -> dict:
    """The figures of one graded cell: `scores` holds each submission's score (None: no score
    yet), `pending` whether it still waits for a hand grade. Cells without a score are left out
    of the pass rate, mean and median; pass rate, mean and median are None when no submission
    has a score."""
    graded = [s for s in scores if s is not None]
    full = sum(s >= points - TOLERANCE for s in graded)
    zero = sum(s <= TOLERANCE for s in graded)
    return {
        "points": points,
        "submissions": len(scores),
        "graded": len(graded),
        "pending": sum(pending),
        "full": full,
        "partial": len(graded) - full - zero,
        "zero": zero,
        "pass_rate": round(full / len(graded), 4) if graded else None,
        "mean": round(statistics.fmean(graded), 4) if graded else None,
        "median": round(statistics.median(graded), 4) if graded else None,
    }


def histogram(values: list[float], maximum: float, bins: int) -> list[tuple[float, float, int]]:
    """Counts of `values` in `bins` equal intervals of [0, maximum] (the last one closed)."""
    if maximum <= 0 or bins < 1:
        raise ValueError("histogram needs a positive maximum and at least one bin")
    width = maximum / bins
    counts = [0] * bins
    for value in values:
        counts[min(max(int(value / width), 0), bins - 1)] += 1
    return [(i * width, (i + 1) * width, n) for i, n in enumerate(counts)]


def _cell_order(root: Path, assignment: str, notebook: str) -> list[str]:
    """grade_ids in the source notebook's order ([] if the source is not there)."""
    path = root / "source" / assignment / f"{notebook}.ipynb"
    if not path.is_file():
        return []
    cells = nbformat.read(path, as_version=4).cells
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in cells
        if "nbgrader" in c.metadata and "grade_id" in c.metadata["nbgrader"]
    ]


def cell_stats(root: Path, assignment: str) -> list[dict]:
    """One dict per graded cell of `assignment` (the columns of A-cells.csv)."""
    rows = []
    with gradebook(root) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry as error:
            raise CourseError(
                f"the gradebook of {root} has no assignment {assignment!r}: release it "
                f"(make release A={assignment}) and grade its submissions first"
            ) from error
        for notebook in found.notebooks:
            answers = {cell.name for cell in notebook.solution_cells}
            cells = {cell.name: cell for cell in [*notebook.grade_cells, *notebook.task_cells]}
            order = _cell_order(root, assignment, notebook.name)
            names = sorted(cells, key=lambda n: (order.index(n) if n in order else len(order), n))
            submitted = gb.notebook_submissions(notebook.name, assignment)
            for name in names:
                cell = cells[name]
                if isinstance(cell, TaskCell):
                    kind = "task"
                elif cell.cell_type == "code" and name not in answers:
                    kind = "autograded"
                else:
                    kind = "manual"
                scores, pending = [], []
                for sub in submitted:
                    grade = next(g for g in sub.grades if g.name == name)
                    has_score = grade.manual_score is not None or grade.auto_score is not None
                    scored = has_score and not grade.needs_manual_grade
                    scores.append(grade.score if scored else None)
                    pending.append(bool(grade.needs_manual_grade))
                rows.append(
                    {
                        "notebook": notebook.name,
                        "grade_id": name,
                        "kind": kind,
                        **summarise(float(cell.max_score), scores, pending),
                    }
                )
    return rows


def submission_scores(root: Path, assignment: str) -> list[dict]:
    """One dict per submission of `assignment` (the columns of A-scores.csv), by student id."""
    with gradebook(root) as gb:
        found = gb.find_assignment(assignment)
        rows = []
        for sub in gb.assignment_submissions(assignment):
            penalty = float(sub.late_submission_penalty or 0.0)
            rows.append(
                {
                    "student_id": sub.student.id,
                    "raw_score": float(sub.score),
                    "max_score": float(found.max_score),
                    "late_submission_penalty": penalty,
                    "score": max(0.0, float(sub.score) - penalty),
                    "needs_manual_grade": bool(sub.needs_manual_grade),
                }
            )
        return sorted(rows, key=lambda row: row["student_id"])


def enrolled_without_submission(root: Path, assignment: str) -> list[str]:
    with gradebook(root) as gb:
        handed_in = {sub.student.id for sub in gb.assignment_submissions(assignment)}
        return sorted(s.id for s in gb.students if s.id not in handed_in)


def table(rows: list[dict], columns: list[str]) -> str:
    """A plain-text table (also valid markdown) of `rows`."""

    def show(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    cells = [[show(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(columns), rule, *(line(r) for r in cells)])


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row[k] is None else row[k] for k in columns})


def plot(path: Path, assignment: str, cells: list[dict], scores: list[dict], bins: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    labels = [row["grade_id"] for row in cells]
    rates = [row["pass_rate"] if row["pass_rate"] is not None else 0.0 for row in cells]
    colours = ["tab:blue" if row["kind"] == "autograded" else "tab:orange" for row in cells]
    left.barh(labels, rates, color=colours)
    left.invert_yaxis()
    left.set_xlim(0, 1)
    left.set_xlabel("share of graded submissions with full points")
    left.set_title(f"{assignment}: pass rate per cell (blue: tests, orange: by hand)")
    for y, row in enumerate(cells):
        if row["pass_rate"] is None:
            left.text(0.01, y, f"{row['pending']} waiting for a hand grade", va="center")
    maximum = scores[0]["max_score"] if scores else 1.0
    totals = [row["raw_score"] for row in scores]
    if maximum == int(maximum) and maximum <= 40:
        # Whole points: one bar per score.
        right.hist(totals, bins=[k - 0.5 for k in range(int(maximum) + 2)], edgecolor="black")
    else:
        counts = histogram(totals, maximum or 1.0, bins)
        right.bar(
            [lo for lo, _, _ in counts],
            [n for _, _, n in counts],
            width=[hi - lo for lo, hi, _ in counts],
            align="edge",
            edgecolor="black",
        )
    right.yaxis.get_major_locator().set_params(integer=True)
    right.set_xlabel(f"total raw score (of {maximum:g})")
    right.set_ylabel("submissions")
    pending = sum(row["needs_manual_grade"] for row in scores)
    right.set_title(f"{len(scores)} submissions, {pending} still need a hand grade")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.stats",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("assignment")
    parser.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or course)")
    parser.add_argument("--out", help="where the files go (default: COURSE/reports/A)")
    parser.add_argument("--bins", type=int, default=10, help="bars of the score histogram")
    args = parser.parse_args(argv)
    root = course_root(args.course)
    if not (root / "gradebook.db").exists():
        raise CourseError(f"{root} has no gradebook.db yet: release and grade first")
    out = Path(args.out) if args.out else root / "reports" / args.assignment
    out.mkdir(parents=True, exist_ok=True)

    cells = cell_stats(root, args.assignment)
    scores = submission_scores(root, args.assignment)
    absent = enrolled_without_submission(root, args.assignment)
    files = [out / f"{args.assignment}-{name}" for name in ("cells.csv", "scores.csv", "stats.png")]
    write_csv(files[0], cells, CELL_COLUMNS)
    write_csv(files[1], scores, SCORE_COLUMNS)
    plot(files[2], args.assignment, cells, scores, args.bins)

    print(table(cells, CELL_COLUMNS))
    print(f"submissions: {len(scores)}")
    print(f"still need a hand grade: {sum(row['needs_manual_grade'] for row in scores)}")
    print(f"enrolled without a submission: {len(absent)}")
    for path in files:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
