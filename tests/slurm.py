"""A one-node SLURM cluster on 127.0.0.1 for the tests: Debian's slurm-wlm and munge.

`LocalSlurm(folder).start()` writes its own slurm.conf (its own ports, state, spool, log and pid
files under `folder`), starts munged when none answers (on its own socket), then slurmctld and
slurmd in the foreground as children of this process, and waits until the node is idle. Every
command it runs carries SLURM_CONF, so nothing reads or writes the system's SLURM config.
`stop()` cancels every job, stops the daemons by the pids in their pid files, then kills any
process still working for this cluster (found by its SLURM_CONF or working folder).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import course_tools as ct

COMMANDS = ("munged", "slurmctld", "slurmd", "srun", "sbatch", "scontrol", "scancel", "squeue")
PATHS = {
    name: shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") for name in COMMANDS
}
MISSING = sorted(name for name, path in PATHS.items() if path is None)
SKIP_REASON = (
    f"SLURM is not installed (no {', '.join(MISSING)}): install Debian's packages "
    "(`apt-get install slurm-wlm munge`, as .ci/run does) and run the tests as root"
    if MISSING
    else "the SLURM tests start slurmctld and slurmd, which needs root"
    if os.geteuid() != 0
    else ""
)

SLURM_CONF = """\
ClusterName=hpclearn-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
{auth_info}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
MinJobAge=3600
KillWait=5
InactiveLimit=0
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=local Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """One slurmctld and one slurmd on this machine, configured under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.conf = self.root / "slurm.conf"
        self.host = socket.gethostname().split(".")[0]
        self._daemons: dict[str, subprocess.Popen] = {}
        self._munge_dir: Path | None = None
        self.munge_socket: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment for SLURM commands and jobs: this cluster's SLURM_CONF."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        return env | {"SLURM_CONF": str(self.conf)}

    def start(self, timeout: float = 60) -> LocalSlurm:
        for folder in ("state", "spool"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        auth_info = ""
        if not self._system_munge_works():
            self._start_munge()
            auth_info = f"AuthInfo=socket={self.munge_socket}"
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        self.conf.write_text(
            SLURM_CONF.format(
                host=self.host,
                root=self.root,
                ctld_port=ct.free_port(),
                slurmd_port=ct.free_port(),
                auth_info=auth_info,
                cpus=os.cpu_count(),
                memory=memory // 2,
            )
        )
        self._spawn("slurmctld", [PATHS["slurmctld"], "-D", "-c", "-i"])
        self._spawn("slurmd", [PATHS["slurmd"], "-D", "-c"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self._daemons.items():
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{name} exited at start-up:\n{self.log(name)[-2000:]}")
            state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return self
            time.sleep(0.5)
        logs = "\n".join(f"--- {n} ---\n{self.log(n)[-1500:]}" for n in ("slurmctld", "slurmd"))
        self.stop()
        raise TimeoutError(f"the SLURM node was not idle within {timeout} s:\n{logs}")

    def run(self, *command: str, check: bool = True, timeout: float = 30, **kwargs):
        """Run a SLURM command against this cluster; its CompletedProcess (text output)."""
        kwargs.setdefault("env", self.env)
        result = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}")
        return result

    def sbatch(
        self, script: Path, *options: str, cwd: Path, env: dict[str, str] | None = None, args=()
    ) -> int:
        """Submit `script` (with `args`) from `cwd`, its environment plus `env`; the job id."""
        result = self.run(
            "sbatch",
            "--parsable",
            *options,
            str(script),
            *map(str, args),
            cwd=cwd,
            env=self.env | (env or {}),
        )
        return int(result.stdout.strip().split(";")[0])

    def job(self, job_id: int) -> dict[str, str]:
        """The job's record as `scontrol show job` gives it (JobState, ExitCode, RunTime, ...)."""
        out = self.run("scontrol", "show", "job", "-o", str(job_id)).stdout
        fields = {}
        for item in out.split():
            key, _, value = item.partition("=")
            fields.setdefault(key, value)
        return fields

    def wait(self, job_id: int, states: set[str], timeout: float) -> dict[str, str]:
        """Wait until the job is in one of `states`; its record. TimeoutError past `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.job(job_id)
            if record["JobState"] in states:
                return record
            if time.monotonic() > deadline:
                self.run("scancel", str(job_id), check=False)
                raise TimeoutError(f"job {job_id} not {states} within {timeout} s: {record}")
            time.sleep(0.2)

    def log(self, daemon: str) -> str:
        path = self.root / f"{daemon}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Cancel every job, stop the daemons by their pid files, kill what is left."""
        if "slurmctld" in self._daemons and self._daemons["slurmctld"].poll() is None:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.run("scancel", "--full", "--user", "root", check=False, timeout=10)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and self.run("squeue", "-h", timeout=10).stdout:
                    time.sleep(0.2)
        for name in ("slurmd", "slurmctld"):
            self._stop_daemon(name, self.root / f"{name}.pid")
        if self._munge_dir is not None:
            self._stop_daemon("munged", self._munge_dir / "munged.pid")
            shutil.rmtree(self._munge_dir, ignore_errors=True)
            self._munge_dir = None
        for pid in self._leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _spawn(self, name: str, command: list[str], **kwargs) -> None:
        log = open(self.root / f"{name}.out", "w")  # noqa: SIM115 -- the daemon owns it
        try:
            self._daemons[name] = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, **kwargs
            )
        finally:
            log.close()

    def _stop_daemon(self, name: str, pid_file: Path) -> None:
        process = self._daemons.pop(name, None)
        if process is None:
            return
        pid = process.pid
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().split()[0])
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            for target in {pid, process.pid}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(target, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=wait)
                return

    def _leftovers(self) -> list[int]:
        """Processes that work for this cluster: job steps and tasks carry its SLURM_CONF or
        run in its folders."""
        mine = f"SLURM_CONF={self.conf}".encode()
        daemons = {p.pid for p in self._daemons.values()}
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) in daemons | {os.getpid()}:
                continue
            try:
                environ = (proc / "environ").read_bytes().split(b"\0")
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue
            if mine in environ or cwd.startswith(str(self.root)):
                found.append(int(proc.name))
        return found

    def _system_munge_works(self) -> bool:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            encoded = subprocess.run(["munge", "-n"], capture_output=True, timeout=5)
            if encoded.returncode == 0:
                decoded = subprocess.run(
                    ["unmunge"], input=encoded.stdout, capture_output=True, timeout=5
                )
                return decoded.returncode == 0
        return False

    def _start_munge(self, timeout: float = 15) -> None:
        # munged runs as the munge user, which cannot enter pytest's private temp folders: its
        # socket lives in a folder of its own under /tmp.
        self._munge_dir = Path(tempfile.mkdtemp(prefix="hpclearn-munge-"))
        munge = pwd.getpwnam("munge")
        os.chown(self._munge_dir, munge.pw_uid, munge.pw_gid)
        self._munge_dir.chmod(0o755)  # munged requires its socket's folder open to all
        self.munge_socket = self._munge_dir / "munge.socket"
        self._spawn(
            "munged",
            [
                PATHS["munged"],
                "--foreground",
                f"--socket={self.munge_socket}",
                f"--pid-file={self._munge_dir / 'munged.pid'}",
                f"--log-file={self._munge_dir / 'munged.log'}",
                f"--seed-file={self._munge_dir / 'munged.seed'}",
            ],
            user=munge.pw_uid,
            group=munge.pw_gid,
            cwd=self._munge_dir,
        )
        deadline = time.monotonic() + timeout
        while not self.munge_socket.exists():
            if self._daemons["munged"].poll() is not None or time.monotonic() > deadline:
                out = (self.root / "munged.out").read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"munged did not start: {out[-1500:]}")
            time.sleep(0.1)
