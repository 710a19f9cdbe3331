"""Real TensorFlow clusters on one machine: one process per task, each with its own TF_CONFIG.

`Cluster` launches a training script as N worker processes on 127.0.0.1 (and, for
parameter-server training, a chief that runs the script plus parameter-server and worker
processes that serve it), collects each task's log and exit code, and kills every process it
started: on `stop()`, when its `with` block ends (also by an interrupted notebook cell), when
the interpreter exits and, on Linux, when the launching process dies any other way (SIGKILL, a
killed Jupyter kernel): every task is started with `PR_SET_PDEATHSIG`. The processes run
TensorFlow's own distributed runtime; nothing here stands in for it.

No other program can take a port between its choice and its use: the launcher holds each
task's port (bound with SO_REUSEPORT, never listening) until the cluster stops, the kernel gives
it to no outgoing connection meanwhile, and the task's gRPC server joins it
(TF_GRPC_REUSE_PORT=1); only a process of the same user that also asks for SO_REUSEPORT could.
A task that fails ends the job within a grace period instead of leaving its peers blocked until
the timeout, and on a GPU machine each worker sees its own GPU.

On a real cluster the same script runs unchanged: the scheduler sets TF_CONFIG, or
`slurm_resolver()` builds the cluster from SLURM's environment.

Command line, the same as `Cluster(...).start().wait(...)`::

    python -m hpclearn.cluster --workers 2 train.py --answers answers.py --steps 32
    python -m hpclearn.cluster --workers 2 --ps 1 train_ps.py
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "TaskResult", "free_ports", "slurm_resolver"]

# Every process any Cluster started and has not reaped: killed at interpreter exit.
_LIVE: set[subprocess.Popen] = set()

# Run in the child before the task's own command: SIGKILL it when its parent dies, even by
# SIGKILL (Linux's PR_SET_PDEATHSIG = 1; kept across exec), then become the task. A parent that
# died before prctl() took effect is caught by the getppid() check.
_ORPHAN_GUARD = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(70)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_LIVE):
        _kill_group(process)


def _kill_group(process: subprocess.Popen, timeout: float = 10) -> bool:
    """SIGKILL the process group and reap its leader; False if it is still not reaped."""
    # SIGKILL, not SIGTERM: a worker blocked in a collective whose peer is gone ignores SIGTERM.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False  # stuck in the kernel (e.g. uninterruptible I/O): stays in _LIVE, retried
    _LIVE.discard(process)
    return True


def _reserve_ports(count: int) -> list[socket.socket]:
    """`count` sockets bound to distinct free ports with SO_REUSEPORT and never listening.

    While they are open no other process can bind those ports (unless it too asks for
    SO_REUSEPORT as the same user) and the kernel hands none of them out for outgoing
    connections, but a TensorFlow server started with TF_GRPC_REUSE_PORT=1 can bind them."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind(("127.0.0.1", 0))
    except OSError:
        for s in sockets:
            s.close()
        raise
    return sockets


def _visible_gpus() -> list[str]:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES where set, else what nvidia-smi
    lists; none on a machine without NVIDIA's driver."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        gpus = []
        for gpu in (g.strip() for g in visible.split(",")):
            if not gpu or gpu.startswith("-"):  # CUDA stops at the first invalid entry
                break
            gpus.append(gpu)
        return gpus
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return []
    try:
        listed = subprocess.run(
            [nvidia_smi, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return listed.stdout.split() if listed.returncode == 0 else []


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports on 127.0.0.1 that were free a moment ago.

    The operating system picks them (binding port 0), so two clusters started side by side do
    not collide the way fixed port numbers would.

    >>> cluster.free_ports(2)
    [41233, 39871]
    """
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass(frozen=True)
class TaskResult:
    """How one task of a finished cluster ended: its exit code (negative: killed by that
    signal, e.g. −9 for SIGKILL), its wall time in seconds, and its log."""

    task: str
    returncode: int
    seconds: float
    log: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Cluster:
    """A TensorFlow cluster of real processes on 127.0.0.1, launched from one script.

    With `ps=0`, every worker runs `script` under MultiWorkerMirroredStrategy-style TF_CONFIG
    (synchronous training; worker 0 is the chief). With `ps≥1`, a chief task runs `script` (the
    coordinator of parameter-server training) while `workers` and `ps` tasks run TensorFlow
    servers that wait for its work. Start it from the thread that outlives it (a notebook's or a
    script's main thread): on Linux the tasks die with the thread that started them.

    >>> with cluster.Cluster("train.py", workers=2, args=["--answers", "answers.py"]) as job:
    ...     results = job.start().wait(timeout=120)
    >>> [r.returncode for r in results]
    [0, 0]
    """

    def __init__(
        self,
        script: str | os.PathLike,
        *,
        workers: int = 2,
        ps: int = 0,
        args: Sequence[str] = (),
        log_dir: str | os.PathLike | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.script = Path(script).resolve()
        if not self.script.is_file():
            raise ValueError(f"no training script at {self.script}; pass the path of a .py file.")
        if workers < 1 or ps < 0:
            raise ValueError(f"need at least 1 worker and 0 or more ps; got {workers=}, {ps=}.")
        self.args = [str(a) for a in args]
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="hpclearn-cluster-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(env or {})
        jobs = {"worker": workers} | ({"chief": 1, "ps": ps} if ps else {})
        # Held until stop(): nothing else can take a task's port before its server binds it.
        self._reserved = _reserve_ports(sum(jobs.values()))
        ports = iter(s.getsockname()[1] for s in self._reserved)
        self.spec = {job: [f"127.0.0.1:{next(ports)}" for _ in range(n)] for job, n in jobs.items()}
        self._gpus = _visible_gpus()
        self._processes: dict[str, subprocess.Popen] = {}
        self._started: dict[str, float] = {}
        self._ended: dict[str, float] = {}

    @property
    def tasks(self) -> list[str]:
        """Task names, `job:index`, in launch order (servers first, then the script's tasks)."""
        order = ["ps", "worker", "chief"]
        return [f"{job}:{i}" for job in order for i in range(len(self.spec.get(job, [])))]

    @property
    def script_tasks(self) -> list[str]:
        """The tasks that run the script: every worker, or the chief when there are ps tasks."""
        return (
            ["chief:0"]
            if "chief" in self.spec
            else [t for t in self.tasks if t.startswith("worker")]
        )

    def tf_config(self, task: str) -> dict:
        """The TF_CONFIG that `task` (e.g. `"worker:1"`) is started with (a copy)."""
        job, _, index = task.partition(":")
        if job not in self.spec or not index.isdigit() or int(index) >= len(self.spec[job]):
            raise ValueError(f"unknown task {task!r}; this cluster has {self.tasks}.")
        return {"cluster": copy.deepcopy(self.spec), "task": {"type": job, "index": int(index)}}

    def environment(self, task: str) -> dict[str, str]:
        """The variables `task` gets on top of this process's environment: its TF_CONFIG, the
        port sharing its server needs and, on a GPU machine, its own CUDA_VISIBLE_DEVICES
        (workers take the visible GPUs in turn; ps tasks and a coordinator see none). `env`
        given at construction wins over all but TF_CONFIG."""
        variables = {"TF_GRPC_REUSE_PORT": "1"}
        if self._gpus:
            job, _, index = task.partition(":")
            computes = job == "worker"
            gpu = self._gpus[int(index) % len(self._gpus)] if computes else ""
            variables["CUDA_VISIBLE_DEVICES"] = gpu
        return variables | self.env | {"TF_CONFIG": json.dumps(self.tf_config(task))}

    def start(self) -> Cluster:
        """Launch every task; returns the cluster so `start().wait()` reads naturally."""
        if self._processes:
            raise RuntimeError("this cluster was started already; create a new Cluster to rerun.")
        for task in self.tasks:
            self._launch(task)
        return self

    def _launch(self, task: str) -> None:
        command = [sys.executable, "-u"]
        command += (
            [str(self.script), *self.args]
            if task in self.script_tasks
            else ["-m", "hpclearn.cluster", "--serve"]
        )
        if sys.platform.startswith("linux"):
            command = [sys.executable, "-c", _ORPHAN_GUARD, str(os.getpid()), *command]
        env = {**os.environ, **self.environment(task)}
        with open(self._log_path(task), "w") as log:  # the child has its own copy once started
            self._started[task] = time.monotonic()
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.script.parent,
                start_new_session=True,  # its own process group, so a kill takes its children too
            )
        _LIVE.add(process)
        self._processes[task] = process

    def wait(self, timeout: float, *, grace: float = 15) -> list[TaskResult]:
        """Wait until every script task has exited, then stop the servers; one result per
        script task, in order.

        Fails fast: once a task has exited with an error, the others get `grace` seconds to end
        by themselves (TensorFlow's own error in their logs says what they saw) and are then
        killed, so one crash does not leave its peers blocked until `timeout`. Worker servers of
        parameter-server training may die without ending the job: the coordinator reschedules
        their steps. Past `timeout` seconds every process is killed and TimeoutError raised,
        with the tail of each log."""
        if not self._processes:
            raise RuntimeError("start() the cluster before waiting for it.")
        deadline = time.monotonic() + timeout
        failed_at = None
        while True:
            for task, process in self._processes.items():
                if process.poll() is not None:
                    self._ended.setdefault(task, time.monotonic())
            if all(t in self._ended for t in self.script_tasks):
                break
            if failed_at is None and self._failed():
                failed_at = time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > grace:
                break
            if time.monotonic() > deadline:
                self.stop()
                tails = "\n".join(f"--- {t} ---\n{self.log(t)[-1500:]}" for t in self.tasks)
                raise TimeoutError(f"the cluster did not finish within {timeout} s:\n{tails}")
            time.sleep(0.05)
        self.stop()
        return [self.result(task) for task in self.script_tasks]

    def _failed(self) -> list[str]:
        """Tasks that exited with an error and whose loss ends the job."""
        tolerated = "worker:" if "ps" in self.spec else None
        return [
            t
            for t, p in self._processes.items()
            if p.returncode not in (None, 0) and not (tolerated and t.startswith(tolerated))
        ]

    def kill(self, task: str, sig: int = signal.SIGKILL, *, timeout: float = 10) -> bool:
        """Send `sig` (default SIGKILL, as a crash or a lost machine) to one task and wait up
        to `timeout` seconds for it to exit; whether it did (a worker blocked in a collective
        may ignore SIGTERM: it then keeps running until `stop()`)."""
        self.tf_config(task)  # validates the name
        process = self._processes.get(task)
        if process is None:
            raise RuntimeError("start() the cluster before killing its tasks.")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self._ended.setdefault(task, time.monotonic())
        return True

    def stop(self) -> None:
        """Kill every process still running, reap it and release the ports. Safe to call more
        than once."""
        for task, process in self._processes.items():
            if process.poll() is None:
                _kill_group(process)
            else:
                _LIVE.discard(process)
            self._ended.setdefault(task, time.monotonic())
        for s in self._reserved:
            s.close()

    def running(self) -> list[str]:
        """Tasks whose process is still alive."""
        return [t for t, p in self._processes.items() if p.poll() is None]

    def log(self, task: str) -> str:
        """Everything `task` printed so far (stdout and stderr)."""
        path = self._log_path(task)
        return path.read_text(errors="replace") if path.exists() else ""

    def result(self, task: str) -> TaskResult:
        """How `task` ended; call after it has exited."""
        process = self._processes[task]
        if process.poll() is None:
            raise RuntimeError(f"{task} is still running.")
        seconds = self._ended.get(task, time.monotonic()) - self._started[task]
        return TaskResult(task, process.returncode, round(seconds, 3), self.log(task))

    def _log_path(self, task: str) -> Path:
        return self.log_dir / f"{task.replace(':', '-')}.log"

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        for s in getattr(self, "_reserved", ()):
            s.close()


def slurm_resolver(
    *, jobs: dict[str, int] | None = None, port_base: int = 8888, gpus_per_task: int = 0
):
    """TensorFlow's SlurmClusterResolver for this SLURM job step, CPU-only nodes included.

    Call it inside `srun`: SLURM sets SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST and
    SLURM_STEP_TASKS_PER_NODE. With `gpus_per_task=0` the resolver is told the nodes have no GPUs
    to share out: left alone it runs `nvidia-smi` (absent on CPU nodes), and told "0 GPUs" it
    places no task at all. `jobs` maps job names to task counts (default: every task a worker).

    >>> resolver = cluster.slurm_resolver()
    >>> strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    """
    from hpclearn._tf import tf

    resolver_class = tf.distribute.cluster_resolver.SlurmClusterResolver
    if gpus_per_task:
        return resolver_class(jobs=jobs, port_base=port_base, gpus_per_task=gpus_per_task)
    tasks_per_node = max(_slurm_tasks_per_node())
    # One pseudo-GPU per task keeps the resolver's packing loop placing every task; it sets no
    # CUDA_VISIBLE_DEVICES, so nothing on the node changes.
    return resolver_class(
        jobs=jobs,
        port_base=port_base,
        gpus_per_node=tasks_per_node,
        gpus_per_task=1,
        auto_set_gpu=False,
    )


def _slurm_tasks_per_node() -> list[int]:
    try:
        value = os.environ["SLURM_STEP_TASKS_PER_NODE"]
    except KeyError:
        raise RuntimeError(
            "SLURM_STEP_TASKS_PER_NODE is not set: slurm_resolver() must run inside a SLURM job "
            "step (srun). Outside SLURM, start the cluster with TF_CONFIG instead."
        ) from None
    counts = []
    for part in value.split(","):  # SLURM's compressed form: "2(x3),1" means 2,2,2,1
        count, _, repeat = part.partition("(x")
        counts += [int(count)] * (int(repeat.rstrip(")")) if repeat else 1)
    return counts


def _serve() -> None:
    """Run this process's task as a TensorFlow server until killed (ps and worker tasks of
    parameter-server training)."""
    from hpclearn._tf import tf

    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    server = tf.distribute.Server(
        resolver.cluster_spec(),
        job_name=resolver.task_type,
        task_index=resolver.task_id,
        protocol=resolver.rpc_layer or "grpc",
        start=True,
    )
    print(f"serving {resolver.task_type}:{resolver.task_id} at {server.target}", flush=True)
    server.join()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: launch a script as a local cluster, print each task's log, return the
    worst exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m hpclearn.cluster",
        description="Run a TensorFlow training script as a cluster of processes on 127.0.0.1.",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker tasks (default 2)")
    parser.add_argument("--ps", type=int, default=0, help="parameter-server tasks (default 0)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before all are killed")
    parser.add_argument("--log-dir", default=None, help="where each task's log is written")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("script", nargs="?", help="the training script")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    options = parser.parse_args(argv)
    if options.serve:
        _serve()
        return 0
    if options.script is None:
        parser.error("name the training script to run, e.g. train.py")
    job = Cluster(
        options.script,
        workers=options.workers,
        ps=options.ps,
        args=options.args,
        log_dir=options.log_dir,
    )
    with job:
        results = job.start().wait(timeout=options.timeout)
    for r in results:
        for line in r.log.splitlines():
            print(f"[{r.task}] {line}")
        print(f"[{r.task}] exit code {r.returncode} after {r.seconds:.1f} s")
    return max((abs(r.returncode) for r in results), default=0)


if __name__ == "__main__":
    sys.exit(main())
