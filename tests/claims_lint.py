"""Find figures in a notebook's prose that look measured.

The rule (README, "Writing a notebook"): markdown never quotes a figure the notebook measures,
because the student's machine prints another one. The run prints its figures, asserts the
claims that hold on any machine (`checks.claim`) and states a verdict on the others
(`checks.verdict`); the prose explains, in words that are right either way.

This lint flags every markdown figure that carries a unit of time, rate, speed-up, size or share
(`1.9×`, `24.9 GB/s`, `30 ms`, `12 %`; not a shape like `3 × 3`), and every decimal fraction
written like an accuracy or a loss (`0.97`). It skips LaTeX math, code spans and any line that
cites its source with a year, "(Williams et al., 2009)". What remains and is not measured (a size
the code sets, a published figure quoted without a year on its line) goes in ALLOWED, with the
reason.

    python tests/claims_lint.py              # every notebook's findings, and a count per notebook
    python tests/claims_lint.py 00_hardware
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "course" / "source"

NUMBER = r"(?<![\w.^/])\d+(?:[.,]\d+)*"
UNITS = (
    r"×(?!\s?\d)|x faster|x slower|%|percent|percentage points?"
    r"|[kMGTP]?FLOP/s|[kMGT]?B/s|[kMGT]iB/s|samples/s|images/s|steps/s"
    r"|ns|µs|us|ms|s|seconds?|minutes?|min|h|hours?"
    r"|[kMGT]iB|[kMGT]B|FLOP/byte|GHz|MHz|W|watts?"
)
MEASURED = re.compile(rf"(?:{NUMBER}\s?(?:{UNITS})(?![\w/])|(?<![\w.])0\.\d{{2,}}(?!\w|\.\d))")
# A line that names its source and year: "(Williams, Waterman and Patterson, 2009)".
CITED = re.compile(r"\([^()]*\b(?:19|20)\d\d[a-z]?\)")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
LINK = re.compile(r"\]\([^)]*\)|https?://\S+")

# Figures in prose that are not measured by the notebook, by assignment: the exact text, and why.
ALLOWED: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Finding:
    assignment: str
    cell: int
    grade_id: str
    figure: str
    line: str

    def __str__(self) -> str:
        where = f"{self.assignment} cell {self.cell} ({self.grade_id})"
        return f"{where}: {self.figure!r} in: {self.line}"


def prose(text: str) -> str:
    """`text` without math, code spans and link targets."""
    for pattern in (CODE, MATH, LINK):
        text = pattern.sub(" ", text)
    return text


def findings_in(text: str, allowed: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(figure, line) for every figure in markdown `text` that looks measured."""
    for phrase in allowed or {}:
        text = text.replace(phrase, " ")
    found = []
    for line in prose(text).splitlines():
        if CITED.search(line):
            continue
        found += [(m.group(0), line.strip()) for m in MEASURED.finditer(line)]
    return found


def lint(assignment: str, source: Path = SOURCE) -> list[Finding]:
    """Every markdown figure of `assignment`'s source notebook that looks measured."""
    notebook = nbformat.read(source / assignment / f"{assignment}.ipynb", as_version=4)
    allowed = ALLOWED.get(assignment, {})
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for figure, line in findings_in(cell.source, allowed):
            found.append(Finding(assignment, index, grade_id, figure, line))
    return found


def assignments(source: Path = SOURCE) -> list[str]:
    return sorted(p.name for p in source.iterdir() if p.is_dir() and p.name[:2].isdigit())


def main(argv: list[str]) -> int:
    counts = {}
    for assignment in argv or assignments():
        found = lint(assignment)
        counts[assignment] = len(found)
        for finding in found:
            print(finding)
    print("\n".join(f"{count:4d}  {name}" for name, count in counts.items()))
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
