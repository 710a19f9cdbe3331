"""Set up the course's JupyterHub on this machine (run as root, by `make hub`).

    /usr/bin/python3 course/hub/setup.py /srv/hpclearn-hub --course course \\
        --instructor prof --students ana ben

Everything the hub needs lives in ROOT, which other users can read and enter:
  ROOT/venv      the Python environment of the hub and of every user's server, made from the
                 system's python3 (an interpreter inside root's home cannot be run by students)
  ROOT/proxy     configurable-http-proxy, from npm
  ROOT/exchange  nbgrader's exchange: owned by root, mode 1777 (anyone may create a course
                 folder there; only its owner may delete it), as nbgrader documents
  ROOT/etc       Jupyter config folders: common/ for everyone (the exchange, the course id),
                 student/ (no formgrader, no "Create Assignment"), instructor/
  ROOT/state     the hub's database and cookie secret (root only)
  ROOT/hub.json  who is instructor and who is student, and the ports; read by
                 jupyterhub_config.py

The accounts must exist (`adduser NAME`); their home folders are made private (0700), so that no
student can read another's work or the instructor's course folder. The instructor gets a copy of
COURSE (its nbgrader_config.py and source/) in ~/hpclearn-course unless one is there already:
an existing course folder, with its gradebook, is never touched. Running it again brings the
environment up to date and keeps everything else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COURSE_FOLDER = "hpclearn-course"
PROXY = "configurable-http-proxy@4.6.3"  # 5.x needs Node 20; Debian 12 ships Node 18
SYSTEM_PYTHON = "/usr/bin/python3"

# Instructor tools a student never needs, and JupyterLab's pop-up asking to fetch news.
STUDENT_LAB_OFF = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
NEWS = "@jupyterlab/apputils-extension:announcements"
NO_INTERNET = {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="folder for the hub (e.g. /srv/hpclearn-hub)")
    parser.add_argument("--course", type=Path, default=REPO / "course")
    parser.add_argument("--instructor", required=True, help="the instructor's account")
    parser.add_argument("--students", nargs="+", required=True, help="the students' accounts")
    parser.add_argument("--ip", default="127.0.0.1", help="address the hub listens on")
    parser.add_argument("--port", type=int, default=8000, help="the hub's public port")
    parser.add_argument("--hub-port", type=int, default=8081, help="the hub's internal port")
    parser.add_argument("--api-port", type=int, default=8001, help="the proxy's API port")
    parser.add_argument(
        "--packages",
        nargs="+",
        help="pip requirements for ROOT/venv instead of the course's ('hpclearn[hub]'); "
        "hpclearn itself is then installed without its dependencies",
    )
    parser.add_argument("--python", default=SYSTEM_PYTHON, help="interpreter for ROOT/venv")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run as root: the hub starts each user's server as that user")
    users = [args.instructor, *args.students]
    if len(set(users)) != len(users):
        parser.error("an account is named twice")
    missing = [name for name in users if not _account(name)]
    if missing:
        parser.error(f"no such account: {', '.join(missing)} (create it first: adduser NAME)")
    if not (args.course / "source").is_dir():
        parser.error(f"{args.course} has no source/ folder: name the course folder with --course")

    root = args.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    _environment(root / "venv", args.python, args.packages)
    _proxy(root / "proxy")
    _exchange(root / "exchange")
    _configs(root / "etc")
    state = root / "state"
    state.mkdir(exist_ok=True)
    state.chmod(0o700)
    for name in users:
        home = Path(pwd.getpwnam(name).pw_dir)
        home.chmod(0o700)
    _instructor_course(args.instructor, args.course)
    settings = {
        "instructors": [args.instructor],
        "students": args.students,
        "course_folder": COURSE_FOLDER,
        "ip": args.ip,
        "port": args.port,
        "hub_port": args.hub_port,
        "api_port": args.api_port,
    }
    (root / "hub.json").write_text(json.dumps(settings, indent=2) + "\n")
    print(f"hub ready in {root}: instructor {args.instructor}, students {' '.join(args.students)}")
    return 0


def _account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _environment(venv: Path, python: str, packages: list[str] | None) -> None:
    """ROOT/venv from the system's python3, with the course (or `packages`) installed; skipped
    when what it holds is already what is asked for."""
    wanted = packages or ["hpclearn[hub]"]
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes())
    for path in sorted((REPO / "hpclearn").rglob("*.py")):
        digest.update(path.read_bytes())
    stamp_text = json.dumps([wanted, digest.hexdigest()])
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == stamp_text:
        return
    if not (venv / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    # A copy of the package's files, so that building it leaves nothing in the checkout.
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md", "hpclearn"):
            source, target = REPO / name, Path(tmp) / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, target)
        if packages:  # these, and hpclearn without its dependencies
            subprocess.run([*pip, *packages], check=True)
            subprocess.run([*pip, "--no-deps", tmp], check=True)
        else:
            subprocess.run([*pip, f"{tmp}[hub]"], check=True)
    stamp.write_text(stamp_text)


def _proxy(folder: Path) -> None:
    """configurable-http-proxy from npm, in `folder` (nothing installed system-wide)."""
    if (folder / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is missing: install Node.js and npm (apt-get install nodejs npm)")
    folder.mkdir(exist_ok=True)
    command = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", PROXY]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _exchange(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    os.chown(folder, 0, 0)
    folder.chmod(0o1777)


def _configs(etc: Path) -> None:
    """The Jupyter config folders the hub puts on each user's JUPYTER_CONFIG_PATH."""
    student_lab = {"disabledExtensions": dict.fromkeys([*STUDENT_LAB_OFF, NEWS], True)}
    files = {
        "common/nbgrader_config.py": (HERE / "nbgrader_config.py").read_text(),
        "common/jupyter_server_config.json": {"LabApp": NO_INTERNET},
        "student/labconfig/page_config.json": student_lab,
        "student/jupyter_server_config.json": {
            "ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}
        },
        "instructor/labconfig/page_config.json": {"disabledExtensions": {NEWS: True}},
    }
    for name, content in files.items():
        path = etc / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
        path.write_text(text)
    for folder, _, names in os.walk(etc):
        Path(folder).chmod(0o755)
        for name in names:
            (Path(folder) / name).chmod(0o644)


def _instructor_course(instructor: str, course: Path) -> None:
    """A copy of the course (config and sources) in the instructor's home, owned by them."""
    account = pwd.getpwnam(instructor)
    target = Path(account.pw_dir) / COURSE_FOLDER
    if target.exists():
        return
    target.mkdir()
    shutil.copy(course / "nbgrader_config.py", target)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(course / "source", target / "source", ignore=ignore)
    for folder, _, names in os.walk(target):
        os.chown(folder, account.pw_uid, account.pw_gid)
        for name in names:
            os.chown(Path(folder) / name, account.pw_uid, account.pw_gid)


if __name__ == "__main__":
    sys.exit(main())
