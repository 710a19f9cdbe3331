"""The term's state in a folder of its own, outside the git checkout.

    python -m hpcterm.state init DIR [--checkout-course course] [--copy-source]
    python -m hpcterm.state check DIR

By default the gradebook, the hand-ins and everything grading makes live in `course/` inside the
checkout, where `git clean -fdx` erases a term. `init` makes DIR a course folder of its own:

- `DIR/nbgrader_config.py` loads the checkout's `course/nbgrader_config.py` (the grading guards,
  the collect pattern, the late policy: one config, edited in one place) with traitlets'
  `load_subconfig`, then points `CourseDirectory.root` and `db_url` at DIR;
- `DIR/source` is a symbolic link to the checkout's `course/source`, so an edit of a notebook (a
  fixed hidden test) is what DIR grades with; `--copy-source` copies it instead, to freeze the
  term's sources.

Every instructor target of the Makefile then works on it with `COURSE=DIR` (or set
HPCLEARN_COURSE=DIR for the `python -m hpcterm...` commands). `init` refuses a DIR inside the
checkout, and never touches a gradebook or hand-ins already in DIR: running it again only
rewrites the config and the link. `check` loads DIR's config as nbgrader does and fails unless the
guards and DIR's root and gradebook are in it (nbgrader itself only logs a config that fails to
load and grades on without it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from hpcterm.course import CONFIG, CourseError, command, db_url

CHECKOUT = Path(__file__).resolve().parent.parent
TEMPLATE = '''\
"""nbgrader configuration of a course folder outside the checkout (made by
`python -m hpcterm.state init`): the checkout's course config, with this folder as the course root
and its gradebook here. Edit the checkout's config, not this file."""

from pathlib import Path

CHECKOUT_CONFIG = Path({checkout_config!r})
HERE = Path(__file__).resolve().parent

if not CHECKOUT_CONFIG.is_file():
    raise FileNotFoundError(
        f"{{CHECKOUT_CONFIG}} is gone: run `python -m hpcterm.state init {{HERE}}` "
        "from the checkout"
    )
load_subconfig(str(CHECKOUT_CONFIG))  # noqa: F821 -- traitlets injects it

c = get_config()  # noqa: F821 -- nbgrader injects get_config
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.db_url = f"sqlite:///{{HERE / 'gradebook.db'}}"
'''


def _inside_git_checkout(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder` (or its nearest existing parent), if any."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    result = subprocess.run(
        ["git", "-C", str(probe), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
    )
    return Path(result.stdout.strip()).resolve() if result.returncode == 0 else None


def init(folder: Path, checkout_course: Path | None = None, *, copy_source: bool = False) -> Path:
    """Make `folder` a course folder whose config is the checkout's; return it."""
    folder = Path(folder).resolve()
    course = Path(checkout_course or CHECKOUT / "course").resolve()
    if not (course / CONFIG).is_file() or not (course / "source").is_dir():
        raise CourseError(f"{course} holds no {CONFIG} and source/: pass --checkout-course")
    checkout = CHECKOUT if folder.is_relative_to(CHECKOUT) else _inside_git_checkout(folder)
    if checkout is not None:
        raise CourseError(
            f"{folder} is inside the git checkout {checkout}, where `git clean -fdx` erases it: "
            "choose a folder outside it (e.g. ~/hpclearn-term)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG).write_text(TEMPLATE.format(checkout_config=str(course / CONFIG)))
    source = folder / "source"
    if source.is_symlink() or source.is_file():
        source.unlink()
    if copy_source:
        if source.exists():
            raise CourseError(f"{source} exists: remove it first to copy the sources afresh")
        shutil.copytree(course / "source", source, symlinks=True)
    elif source.exists():
        raise CourseError(
            f"{source} is a folder (copied sources): remove it, or keep it with --copy-source"
        )
    else:
        source.symlink_to(course / "source", target_is_directory=True)
    check(folder)
    return folder


def loaded_config(folder: Path):
    """DIR's nbgrader config as nbgrader loads it (a traitlets Config)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG, path=str(folder)).load_config()


def check(folder: Path) -> None:
    """Fail unless DIR's config loads with the course's guards, its root and its gradebook."""
    folder = Path(folder).resolve()
    try:
        config = loaded_config(folder)
    except Exception as error:
        raise CourseError(f"{folder / CONFIG} does not load: {error}") from error
    problems = []
    if config.CourseDirectory.get("root") != str(folder):
        problems.append(f"CourseDirectory.root is {config.CourseDirectory.get('root')!r}")
    if config.CourseDirectory.get("db_url") != db_url(folder):
        problems.append(f"CourseDirectory.db_url is {config.CourseDirectory.get('db_url')!r}")
    steps = config.Autograde.get("autograde_preprocessors", [])
    if "GradingExecute" not in [getattr(step, "__name__", "") for step in steps]:
        problems.append("the grading guards (GradingExecute) are not in it")
    if problems:
        raise CourseError(f"{folder / CONFIG}: " + "; ".join(problems))


@command
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hpcterm.state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("init", help="make DIR a course folder outside the checkout")
    made.add_argument("folder")
    made.add_argument(
        "--checkout-course", help="the checkout's course folder (default: this checkout's course)"
    )
    made.add_argument("--copy-source", action="store_true", help="copy source/ instead of a link")
    checked = commands.add_parser("check", help="check that DIR's config loads as it must")
    checked.add_argument("folder")
    args = parser.parse_args(argv)
    if args.command == "init":
        folder = init(Path(args.folder), args.checkout_course, copy_source=args.copy_source)
        print(f"course folder: {folder}")
        print(f"use it with: make <target> COURSE={folder}   (or HPCLEARN_COURSE={folder})")
    else:
        check(Path(args.folder))
        print(f"{Path(args.folder).resolve() / CONFIG}: the course's guards, root and gradebook")


if __name__ == "__main__":
    main()
