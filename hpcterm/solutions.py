"""The solutions notebook and the grading rubric of an assignment, for teaching assistants.

    python -m hpcterm.solutions A [--course DIR]

Writes into COURSE/solution/A/ (an instructor-only folder: git ignores it, `make release` and
`make publish` never read it, `make clean` deletes it):

- `A.ipynb` (one per notebook of the assignment): `nbgrader generate_solution`'s version, the
  source run top to bottom with its solutions and hidden tests, outputs included;
- `rubric.md` and `rubric.html`: every graded cell in order with its grade id, points and how it
  is graded, the task text that asks for it, and the answer it expects: for a test cell the
  answer code and the whole test (hidden part included), for a written answer the model answer.

The assignment must have been released (`make release A=...`): nbgrader reads it from the
gradebook.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import nbformat

from hpcterm.course import CourseError, command, course_root, gradebook, nbgrader

HEADER = (
    "For teaching assistants only: this holds the solutions and the hidden tests. "
    "Never hand it to students."
)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def rubric_items(notebook: nbformat.NotebookNode) -> list[dict]:
    """Every graded cell of a source notebook, in order: grade_id, points, kind ("autograded
    test", "written answer", "answer graded by hand" or "task"), the task text (the markdown
    cells right before the answer cell, or before the graded cell itself), the answer code a
    test runs against (the answer cells since the previous test), and the cell's own source
    (the test, or the model answer)."""
    items: list[dict] = []
    recent: list[str] = []  # markdown cells since the last code cell
    task: list[str] | None = None  # the markdown before this exercise's first answer cell
    answers: list[str] = []
    tested = False  # the answer cells so far have had their test: a new one starts afresh
    for cell in notebook.cells:
        meta = _nbgrader(cell)
        graded, solution = meta.get("grade", False), meta.get("solution", False)
        if meta.get("task"):
            kind = "task"
        elif graded and not solution:
            kind = "autograded test"
        elif graded:
            kind = "written answer" if cell.cell_type == "markdown" else "answer graded by hand"
        elif solution:
            if tested:
                answers, task, tested = [], None, False
            if task is None:
                task = recent
            answers.append(cell.source)
            recent = []
            continue
        else:
            recent = [*recent, cell.source] if cell.cell_type == "markdown" else []
            continue
        test = kind == "autograded test"
        items.append(
            {
                "grade_id": meta.get("grade_id", ""),
                "points": float(meta.get("points", 0)),
                "kind": kind,
                "task": "\n\n".join(task if test and task is not None else recent),
                "answer": "\n\n".join(answers) if test else "",
                "source": cell.source,
            }
        )
        recent = []
        tested = tested or test
    return items


def rubric_markdown(assignment: str, notebooks: dict[str, list[dict]]) -> str:
    """The rubric as markdown: one section per graded cell."""
    total = sum(item["points"] for items in notebooks.values() for item in items)
    lines = [f"# Rubric: {assignment} ({total:g} points)", "", f"*{HEADER}*", ""]
    for name, items in notebooks.items():
        lines += [f"## Notebook {name}", ""]
        lines += ["| grade id | points | graded as |", "|---|---|---|"]
        lines += [f"| `{i['grade_id']}` | {i['points']:g} | {i['kind']} |" for i in items]
        lines.append("")
        for item in items:
            lines += [f"### `{item['grade_id']}`: {item['points']:g} points, {item['kind']}", ""]
            if item["task"]:
                lines += ["**Task**", "", *("> " + line for line in item["task"].splitlines())]
                lines.append("")
            if item["answer"]:
                lines += ["**Answer code it tests**", "", "```python", item["answer"], "```", ""]
            if item["kind"] == "autograded test":
                lines += ["**Test (full points if it raises nothing)**", ""]
                lines += ["```python", item["source"], "```", ""]
            else:
                lines += ["**Model answer (the source cell)**", "", item["source"], ""]
    return "\n".join(lines)


def rubric_html(assignment: str, markdown: str) -> str:
    from nbconvert.filters.markdown import markdown2html

    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>Rubric: {html.escape(assignment)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em}"
        "blockquote{border-left:3px solid #999;margin-left:0;padding-left:1em}</style>"
        f"</head><body>\n{markdown2html(markdown)}\n</body></html>\n"
    )


def generate(root: Path, assignment: str) -> Path:
    """The solutions notebooks and rubric of `assignment` in root/solution/<assignment>/."""
    sources = sorted((root / "source" / assignment).glob("*.ipynb"))
    if not sources:
        raise CourseError(f"{root / 'source' / assignment} holds no notebook: check the id")
    with gradebook(root) as gb:
        if assignment not in {a.name for a in gb.assignments}:
            raise CourseError(
                f"{assignment} is not in the gradebook yet: release it first "
                f"(make release A={assignment})"
            )
    result = nbgrader(
        root,
        "generate_solution",
        assignment,
        "--force",
        check=False,
        capture_output=True,
        text=True,
    )
    folder = root / "solution" / assignment
    if result.returncode != 0 or not folder.is_dir():
        raise CourseError(f"nbgrader generate_solution {assignment} failed:\n{result.stderr}")
    notebooks = {p.stem: rubric_items(nbformat.read(p, as_version=4)) for p in sources}
    markdown = rubric_markdown(assignment, notebooks)
    (folder / "rubric.md").write_text(markdown)
    (folder / "rubric.html").write_text(rubric_html(assignment, markdown))
    return folder


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.solutions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("assignment")
    parser.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or course)")
    args = parser.parse_args(argv)
    folder = generate(course_root(args.course), args.assignment)
    for path in sorted(folder.iterdir()):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
