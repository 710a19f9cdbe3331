"""Write the course's student edition: what a graded course can make public.

    python course/publish.py DEST [--course course]      (what `make publish DEST=...` runs)

The edition holds the released notebooks (nbgrader's student versions, made afresh from
COURSE/source: no solutions, no hidden tests, no outputs) in course/release/<id>/, the hpclearn
package, the set-up files (pyproject.toml, environment.yml), a Makefile with `setup` and the
student targets taken from this project's Makefile, and a README made of this README's parts
for students. Nothing of COURSE/source, no gradebook and no instructor target. DEST must be
empty, absent, or an earlier edition (everything in it but .git is replaced).
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hpclearn import student

MARKER = ".student-edition"
SETUP_FILES = ["pyproject.toml", "environment.yml", "LICENSE"]
# The Makefile's targets a student runs; every other target is the instructor's.
STUDENT_TARGETS = {"setup", "$(VENV)/.installed", "student", "self-check"}
GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
.ipynb_checkpoints/
# Your answers: `make student` builds this folder from course/release.
/workspace/
"""


def publish(destination: Path, course: Path) -> Path:
    """Write the student edition of `course` to `destination`; return it."""
    _clear(destination)
    student.release(course, destination / "course" / "release")
    shutil.copytree(
        ROOT / "hpclearn",
        destination / "hpclearn",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in SETUP_FILES:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, destination / name)
    (destination / "Makefile").write_text(makefile((ROOT / "Makefile").read_text()))
    (destination / "README.md").write_text(readme((ROOT / "README.md").read_text()))
    (destination / ".gitignore").write_text(GITIGNORE)
    (destination / MARKER).write_text(
        f"A student edition of hpclearn, published {datetime.date.today().isoformat()} with "
        "`make publish`, which rewrites this folder.\n"
    )
    return destination


def makefile(text: str) -> str:
    """The project's Makefile cut down to its header, `setup` and the student targets."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    header = blocks[0]
    kept = []
    for block in blocks[1:]:
        targets = {
            m.group(1)
            for m in re.finditer(r"^([^\s#:=.][^:=]*?)\s*:(?!=)", block, flags=re.MULTILINE)
        }
        if targets and targets <= STUDENT_TARGETS:
            kept.append("\n".join(ln for ln in block.splitlines() if not ln.startswith(".PHONY")))
    lines = [
        header,
        "# This student edition's course folder holds only the released notebooks, in\n"
        "# $(COURSE)/release; `make student` copies them into your workspace.\n"
        "COURSE ?= course\n"
        ".PHONY: setup student self-check",
        *kept,
    ]
    return "\n\n".join(lines) + "\n"


def readme(text: str) -> str:
    """The README for students: the introduction, `make setup`, "For students" and the map."""
    title, intro = (p.strip() for p in text.split("\n\n")[:2])
    setup = next(ln for ln in text.splitlines() if ln.startswith("make setup"))
    course = _section(text, "The course")
    table = [ln for ln in course.splitlines() if ln.startswith("|")]
    parts = [
        f"{title} — student edition",
        intro,
        f"```bash\n{setup}\n```",
        _section(text, "For students"),
        "## The course\n\n" + "\n".join(table),
    ]
    return "\n\n".join(parts) + "\n"


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise ValueError(f"README.md has no '## {heading}' section for the student edition")
    return match.group(0).strip()


def _clear(destination: Path) -> None:
    if destination.exists() and any(destination.iterdir()):
        if not (destination / MARKER).exists():
            raise SystemExit(
                f"{destination} is not empty and holds no earlier edition ({MARKER}): "
                "name a new or empty folder."
            )
        for path in destination.iterdir():
            if path.name != ".git":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    destination.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path)
    parser.add_argument("--course", type=Path, default=ROOT / "course")
    args = parser.parse_args()
    edition = publish(args.destination.resolve(), args.course.resolve())
    print(f"student edition written to {edition}")
