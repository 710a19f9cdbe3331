"""Similarity between the submissions' answer code, for the instructor to read: never a grade.

    python -m hpcterm.similarity A [--course DIR] [--out FILE.html] [--noise N] [--guarantee N]
                                   [--display S] [--top N]

Takes every submission in COURSE/submitted/<student>/A/, keeps the code of its answer cells (the
cells students write in: nbgrader's solution cells; written answers are left to the formgrader),
one file per student and notebook, and compares every pair with copydetect (winnowed
fingerprints of the tokenised code: renamed variables do not hide a copy). The released stubs
(COURSE/release/A: the signatures and docstrings every student starts from) are boilerplate,
not counted; the public solution (COURSE/source/A without its solution markers) takes part as
`(public solution)`, so a hand-in copied from the public repository shows.

Writes FILE.html (default COURSE/reports/A/similarity.html: copydetect's report, the shared
code of every pair above --display highlighted side by side), FILE.csv beside it (every pair,
most similar first: the share of each side's code found in the other, and the overlapping
tokens) and the extracted code in FILE-answers/; prints the most similar pairs. Short exercises
have few right answers, so similar code is a reason to look, not a verdict.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from hpcterm.course import CourseError, command, course_root

REFERENCE = "(public solution)"
# copydetect counts in characters of tokenised code (a name is one character): a match shorter
# than NOISE is ignored, one of GUARANTEE or more is always found. Its defaults (25/25) suit
# answers of a few lines and more.
NOISE = 25
GUARANTEE = 25
# Pairs above this similarity get their code side by side in the HTML report (every pair is in
# the CSV): with 200 students, showing all 20,000 pairs would make a page no one can open.
DISPLAY = 0.33
MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.MULTILINE)


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    similarity_first: float  # share of first's answer code found in second's
    similarity_second: float
    overlap_tokens: int

    @property
    def similarity(self) -> float:
        return max(self.similarity_first, self.similarity_second)


def answer_code(notebook: nbformat.NotebookNode, *, strip_markers: bool = False) -> str:
    """The code of a notebook's answer cells, each headed by its grade_id."""
    parts = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            source = MARKERS.sub("", cell.source) if strip_markers else cell.source
            parts.append(f"# {meta.get('grade_id', '')}\n{source.rstrip()}\n")
    return "\n".join(parts)


def extract(root: Path, assignment: str, work: Path) -> dict[str, list[str]]:
    """Write work/students/<student>/<notebook>.py, work/reference/<REFERENCE>/<notebook>.py and
    work/boilerplate/<notebook>.py; return the students whose code could not be compared."""
    source = sorted((root / "source" / assignment).glob("*.ipynb"))
    released = sorted((root / "release" / assignment).glob("*.ipynb"))
    if not source:
        raise CourseError(f"{root / 'source' / assignment} holds no notebook: check the id")
    if not released:
        raise CourseError(f"{assignment} is not released: run make release A={assignment} first")
    if work.exists():
        shutil.rmtree(work)
    for path in released:
        _write(work / "boilerplate" / f"{path.stem}.py", answer_code(nbformat.read(path, 4)))
    for path in source:
        code = answer_code(nbformat.read(path, 4), strip_markers=True)
        _write(work / "reference" / REFERENCE / f"{path.stem}.py", code)
    skipped: dict[str, list[str]] = {"unreadable": [], "no answer code": []}
    names = {p.stem for p in source}
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        written = False
        for path in sorted(folder.glob("*.ipynb")):
            if path.stem not in names:
                continue
            try:
                code = answer_code(nbformat.read(path, 4))
            except Exception:
                skipped["unreadable"].append(student)
                continue
            if code.strip():
                _write(work / "students" / student / f"{path.stem}.py", code)
                written = True
        if not written and student not in skipped["unreadable"]:
            skipped["no answer code"].append(student)
    return skipped


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _who(path: str, work: Path) -> str:
    relative = Path(path).relative_to(work)
    return relative.parts[1] if len(relative.parts) == 3 else str(relative)


def compare(
    root: Path,
    assignment: str,
    out: Path,
    *,
    noise: int = NOISE,
    guarantee: int = GUARANTEE,
    display: float = DISPLAY,
) -> tuple[list[Pair], dict[str, list[str]]]:
    """Every pair of submissions (and each with the public solution), most similar first; writes
    the HTML report `out` and the extracted code beside it. Returns the pairs and the students
    left out."""
    import matplotlib

    matplotlib.use("Agg")
    from copydetect import CopyDetector

    work = out.with_name(f"{out.stem}-answers")
    skipped = extract(root, assignment, work)
    students = work / "students"
    if not students.is_dir():
        raise CourseError(f"no submission of {assignment} with answer code in {root / 'submitted'}")
    detector = CopyDetector(
        test_dirs=[str(students)],
        ref_dirs=[str(students), str(work / "reference")],
        boilerplate_dirs=[str(work / "boilerplate")],
        extensions=["py"],
        noise_t=noise,
        guarantee_t=max(guarantee, noise),
        display_t=display,
        autoopen=False,
        silent=True,
        out_file=str(out),
    )
    detector.run()
    found: dict[tuple[str, str], Pair] = {}
    for i, test in enumerate(detector.test_files):
        for j, ref in enumerate(detector.ref_files):
            first_sim, second_sim = detector.similarity_matrix[i, j]
            if first_sim < 0:  # not compared: the same file
                continue
            a, b = _who(test, work), _who(ref, work)
            key = tuple(sorted((a, b)))
            if key in found:
                continue
            sims = (_number(first_sim), _number(second_sim))
            if (a, b) != key:
                sims = sims[::-1]
            overlap = int(detector.token_overlap_matrix[i, j])
            found[key] = Pair(key[0], key[1], *sims, overlap)
    pairs = sorted(found.values(), key=lambda p: (-p.similarity, p.first, p.second))
    # copydetect draws on pyplot's current figure: give it a fresh one without a layout engine,
    # whatever figure or layout setting the calling process left behind.
    from matplotlib import pyplot as plt

    layout = {"figure.constrained_layout.use": False, "figure.autolayout": False}
    with warnings.catch_warnings(), matplotlib.rc_context(layout):
        warnings.simplefilter("ignore", DeprecationWarning)  # copydetect 0.5.0 reads its template
        plt.figure()  # the deprecated way; the next line draws here and closes it
        detector.generate_html_report()
    _label(out)
    with out.with_suffix(".csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["first", "second", "similarity_first", "similarity_second", "overlap_tokens"]
        )
        for p in pairs:
            writer.writerow(
                [p.first, p.second, p.similarity_first, p.similarity_second, p.overlap_tokens]
            )
    return pairs, skipped


def _number(value: float) -> float:
    return 0.0 if math.isnan(value) else round(float(value), 4)


def _label(report: Path) -> None:
    """Say at the top of copydetect's report what it is for."""
    note = (
        "<p style='border:2px solid #c60;padding:.5em'><b>For the instructor to read, never a "
        "grade.</b> Answer code of each submission compared with every other and with the "
        f"public solution ({REFERENCE}); the released stubs are not counted. Short exercises have "
        "few right answers: similar code is a reason to look, not a verdict.</p>"
    )
    text = report.read_text()
    report.write_text(re.sub(r"(<body[^>]*>)", rf"\1{note}", text, count=1))


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.similarity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("assignment")
    parser.add_argument("--course", help="the course folder (default: $HPCLEARN_COURSE or course)")
    parser.add_argument("--out", help="the HTML report (default: COURSE/reports/A/similarity.html)")
    parser.add_argument("--noise", type=int, default=NOISE, help="shortest match counted")
    parser.add_argument("--guarantee", type=int, default=GUARANTEE, help="match always found")
    parser.add_argument(
        "--display", type=float, default=DISPLAY, help="similarity shown side by side in the HTML"
    )
    parser.add_argument("--top", type=int, default=20, help="pairs printed")
    args = parser.parse_args(argv)
    root = course_root(args.course)
    out = Path(args.out) if args.out else root / "reports" / args.assignment / "similarity.html"
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    pairs, skipped = compare(
        root,
        args.assignment,
        out,
        noise=args.noise,
        guarantee=args.guarantee,
        display=args.display,
    )
    print("similarity (share of each side's answer code found in the other), most similar first:")
    for p in pairs[: args.top]:
        print(
            f"{p.similarity:6.2f}  {p.first} ({p.similarity_first:.2f}) ~ "
            f"{p.second} ({p.similarity_second:.2f}), {p.overlap_tokens} tokens"
        )
    for reason, students in skipped.items():
        if students:
            print(f"not compared ({reason}): {', '.join(students)}")
    print(f"wrote {out} and {out.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
