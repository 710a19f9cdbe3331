"""The course's JupyterHub (`make hub`) on 127.0.0.1 for the tests, with throw-away accounts.

`TestHub(folder, course).start()` creates the local accounts (an instructor and two students,
with random passwords), runs `make hub` with the hub's folder in /srv (the hub's environment must
be readable by every account, which a folder under root's /tmp/pytest-of-root is not) on free
ports, and waits until the hub answers. `stop()` stops the hub (which stops every user's server
and the proxy), kills any process still running as a test account, removes the accounts with
their homes (`userdel -r`) and deletes the hub's folder: nothing is left on the machine.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import course_tools as ct

CHROMIUM = ct.CHROMIUM
SYSTEM_PYTHON = Path("/usr/bin/python3")


def _skip_reason() -> str:
    if os.geteuid() != 0:
        return "the hub test creates local accounts and runs JupyterHub as root: run it as root"
    if not CHROMIUM.exists():
        return (
            f"no Chromium at {CHROMIUM}: install Debian's chromium package (as .ci/run does) "
            "or set CHROMIUM"
        )
    if shutil.which("npm") is None:
        return "no npm for JupyterHub's configurable-http-proxy: apt-get install nodejs npm"
    if not SYSTEM_PYTHON.exists() or shutil.which("useradd") is None:
        return "needs the system's /usr/bin/python3 and useradd (Debian's python3 and passwd)"
    venv = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import ensurepip, venv"], capture_output=True, check=False
    )
    if venv.returncode != 0:
        return "the system's python3 cannot make a venv: apt-get install python3-venv"
    return ""


SKIP_REASON = _skip_reason()


def hub_packages() -> list[str]:
    """What the test hub's environment needs, at the project's pins: JupyterHub, the course's
    Jupyter and nbgrader, and NumPy for the fixture assignment (the course itself, with
    TensorFlow, is not needed for the toy and would add a minute to the test)."""
    project = tomllib.loads((ct.ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pins = [p for p in extras["course"] + extras["hub"] if not p.startswith("hpclearn")]
    return pins + [p for p in project["dependencies"] if p.startswith("numpy")]


class TestHub:
    """`make hub` for an instructor and two students on a copy of `course`."""

    __test__ = False  # not a test class for pytest

    def __init__(self, course: Path, log: Path, *, packages: list[str] | None = None) -> None:
        tag = secrets.token_hex(2)
        self.instructor = f"hpl-prof-{tag}"
        self.students = [f"hpl-ana-{tag}", f"hpl-ben-{tag}"]
        self.passwords = {name: secrets.token_urlsafe(12) for name in self.users}
        self.course = course
        self.log = log
        # The hub's environment: `packages` (empty: the whole course, `hpclearn[hub]`).
        self.packages = hub_packages() if packages is None else packages
        self.root = Path(f"/srv/hpclearn-hub-test-{tag}")
        self.port = ct.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: subprocess.Popen | None = None
        self._created: list[str] = []

    @property
    def users(self) -> list[str]:
        return [self.instructor, *self.students]

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    @property
    def course_folder(self) -> Path:
        return self.home(self.instructor) / "hpclearn-course"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange" / "hpclearn"

    def start(self, timeout: float = 300) -> TestHub:
        for name in self.users:
            if _exists(name):
                raise RuntimeError(f"account {name} exists already: not touching it")
        for name in self.users:
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
            self._created.append(name)
            subprocess.run(
                ["chpasswd"], input=f"{name}:{self.passwords[name]}\n", text=True, check=True
            )
        hub_args = f"--hub-port {ct.free_port()} --api-port {ct.free_port()}"
        if self.packages:
            hub_args += " --packages " + " ".join(f"'{p}'" for p in self.packages)
        command = ct.make_command(
            "hub",
            course=self.course,
            HUB_ROOT=self.root,
            HUB_PORT=self.port,
            INSTRUCTOR=self.instructor,
            STUDENTS=" ".join(self.students),
            HUB_ARGS=hub_args,
        )
        with self.log.open("w") as log:
            self._server = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")},
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._server.poll() is not None:
                raise RuntimeError(f"make hub exited:\n{self.log.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/hub/health", timeout=2)
                return self
            except OSError as error:
                if time.monotonic() > deadline:
                    tail = self.log.read_text()[-4000:]
                    raise TimeoutError(f"no hub within {timeout} s:\n{tail}") from error
                time.sleep(0.5)

    def run_as(self, name: str, *command: str) -> subprocess.CompletedProcess:
        """`command` run as the account `name` (as a shell in their JupyterLab terminal would)."""
        return subprocess.run(
            ["runuser", "-u", name, "--", *command],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            check=False,
        )

    def stop(self) -> list[int]:
        """Stop everything started; return the pids that had to be killed afterwards."""
        proxy = _proxy_pid(self.root / "state" / "proxy.pid")  # in a session of its own
        if self._server is not None and self._server.poll() is None:
            os.killpg(self._server.pid, signal.SIGTERM)
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._server.pid, signal.SIGKILL)
                self._server.wait()
        leftovers = [pid for name in self._created for pid in _processes_of(name)]
        if self._server is not None:  # the proxy and anything else of make hub's group
            leftovers += [pid for pid in _group(self._server.pid) if pid not in leftovers]
        if proxy is not None and _proxy_pid(self.root / "state" / "proxy.pid") == proxy:
            leftovers.append(proxy)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5 if leftovers else 0)
        failed = {}
        for name in self._created:
            result = subprocess.run(["userdel", "-r", name], capture_output=True, text=True)
            if result.returncode != 0 and _exists(name):
                failed[name] = result.stderr.strip()
        self._created = [name for name in self._created if name in failed]
        shutil.rmtree(self.root, ignore_errors=True)
        if failed:
            raise RuntimeError(f"userdel -r failed, remove these accounts by hand: {failed}")
        return leftovers


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _proxy_pid(pid_file: Path) -> int | None:
    """The pid in the hub's proxy pid file, if that process runs configurable-http-proxy."""
    try:
        pid = int(pid_file.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"configurable-http-proxy" in command else None


def _group(pgid: int) -> list[int]:
    """Processes in the process group `pgid`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.getpgid(int(proc.name)) == pgid:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _processes_of(name: str) -> list[int]:
    """Processes running as the account `name`."""
    uid = pwd.getpwnam(name).pw_uid
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid == uid:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


if __name__ == "__main__":  # by hand: python tests/hub.py COURSE [--full] (Ctrl-C stops it)
    full = "--full" in sys.argv
    hub = TestHub(Path(sys.argv[1]), Path("/tmp/hub-manual.log"), packages=[] if full else None)
    hub.start()
    print(hub.url, hub.passwords, flush=True)
    try:
        signal.pause()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        print("stopped; killed afterwards:", hub.stop())
