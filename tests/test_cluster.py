"""hpclearn.cluster: real processes on 127.0.0.1, their TF_CONFIG, logs, kills and clean-up;
then real TensorFlow training across processes, a killed worker that resumes, and
parameter-server training."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time

import course_tools as ct
import multi_worker
import nbformat
import numpy as np
import pytest
from course_tools import COURSE

from hpclearn import cluster

TRAIN = multi_worker.TRAIN
TRAIN_PS = COURSE / "source" / "04_multi_worker" / "train_ps.py"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def _script(tmp_path, body: str):
    path = tmp_path / "job.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_free_ports_are_distinct_and_bindable():
    ports = cluster.free_ports(4)
    assert len(set(ports)) == 4
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_each_worker_gets_its_own_tf_config(tmp_path):
    script = _script(tmp_path, "import os; print(os.environ['TF_CONFIG'])")
    with cluster.Cluster(script, workers=3) as job:
        results = job.start().wait(timeout=30)
    configs = [json.loads(r.log) for r in results]
    assert [r.task for r in results] == ["worker:0", "worker:1", "worker:2"]
    assert all(r.ok for r in results)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(c["cluster"] == job.spec for c in configs)
    addresses = job.spec["worker"]
    assert len(set(addresses)) == 3 and all(a.startswith("127.0.0.1:") for a in addresses)


def test_parameter_server_cluster_runs_the_script_on_the_chief_only(tmp_path):
    job = cluster.Cluster(_script(tmp_path, "print('hi')"), workers=2, ps=1)
    assert job.tasks == ["ps:0", "worker:0", "worker:1", "chief:0"]
    assert job.script_tasks == ["chief:0"]
    assert job.tf_config("ps:0")["task"] == {"type": "ps", "index": 0}
    assert set(job.tf_config("chief:0")["cluster"]) == {"chief", "worker", "ps"}
    with pytest.raises(ValueError, match="unknown task"):
        job.tf_config("worker:2")


def test_killed_worker_reports_the_signal_and_nothing_survives_stop(tmp_path):
    script = _script(tmp_path, "import time\nprint('up', flush=True)\ntime.sleep(600)")
    job = cluster.Cluster(script, workers=2).start()
    pids = [p.pid for p in job._processes.values()]
    deadline = time.monotonic() + 20
    while not all("up" in job.log(t) for t in job.tasks) and time.monotonic() < deadline:
        time.sleep(0.05)
    job.kill("worker:1")
    assert job.result("worker:1").returncode == -signal.SIGKILL
    assert job.running() == ["worker:0"]
    job.stop()
    assert job.running() == []
    assert not any(_alive(pid) for pid in pids)


def test_wait_past_the_timeout_kills_everything_and_shows_the_logs(tmp_path):
    script = _script(tmp_path, "import time\nprint('stuck', flush=True)\ntime.sleep(600)")
    job = cluster.Cluster(script, workers=2).start()
    pids = [p.pid for p in job._processes.values()]
    with pytest.raises(TimeoutError, match="did not finish within 2 s"):
        job.wait(timeout=2)
    assert not any(_alive(pid) for pid in pids)


def test_processes_left_running_die_with_the_interpreter(tmp_path, run_python):
    script = _script(tmp_path, "import time\ntime.sleep(600)")
    result = run_python(
        f"""
        from hpclearn import cluster
        job = cluster.Cluster({str(script)!r}, workers=2).start()
        print(*[p.pid for p in job._processes.values()])
        """,  # exits without stop(): the atexit hook must clean up
        timeout=60,
    )
    pids = [int(p) for p in result.stdout.split()]
    assert len(pids) == 2
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in pids)


def test_ports_stay_taken_until_the_cluster_stops(tmp_path):
    job = cluster.Cluster(_script(tmp_path, ""), workers=2)
    ports = [int(a.rsplit(":", 1)[1]) for a in job.spec["worker"]]
    for port in ports:  # another program (or an outgoing connection) cannot take them meanwhile
        with socket.socket() as s, pytest.raises(OSError):
            s.bind(("127.0.0.1", port))
    job.stop()
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_tasks_bind_their_reserved_port_with_tensorflows_port_sharing(tmp_path):
    script = _script(
        tmp_path,
        """
        import json, os, socket
        port = int(json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"][0].rsplit(":", 1)[1])
        assert os.environ["TF_GRPC_REUSE_PORT"] == "1"
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as gRPC does with it set
        s.bind(("0.0.0.0", port))
        s.listen()
        print("bound", port)
        """,
    )
    with cluster.Cluster(script, workers=1) as job:
        (result,) = job.start().wait(timeout=30)
    assert result.ok and result.log.startswith("bound"), result.log


def test_a_failed_task_ends_the_job_at_once_with_its_log(tmp_path):
    script = _script(
        tmp_path,
        """
        import json, os, sys, time
        if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
            print("worker 1: out of memory", flush=True)
            sys.exit(3)
        time.sleep(600)  # worker 0 waits for its peer forever, as in a collective
        """,
    )
    start = time.monotonic()
    with cluster.Cluster(script, workers=2) as job:
        results = job.start().wait(timeout=120, grace=1)
    assert time.monotonic() - start < 15
    by_task = {r.task: r for r in results}
    assert by_task["worker:1"].returncode == 3
    assert "out of memory" in by_task["worker:1"].log
    assert by_task["worker:0"].returncode == -signal.SIGKILL
    assert job.running() == []


def test_a_dead_worker_server_does_not_end_parameter_server_training(tmp_path):
    job = cluster.Cluster(_script(tmp_path, "import time; time.sleep(3)"), workers=2, ps=1)
    job._launch = lambda task: None  # no TensorFlow servers: only the bookkeeping is tested
    job._processes = {
        "worker:0": subprocess.Popen(
            [sys.executable, "-c", "raise SystemExit(1)"], start_new_session=True
        ),
        "ps:0": subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(3)"], start_new_session=True
        ),
        "worker:1": subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(3)"], start_new_session=True
        ),
        "chief:0": subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(2)"], start_new_session=True
        ),
    }
    job._started = dict.fromkeys(job._processes, time.monotonic())
    (chief,) = job.wait(timeout=30, grace=0)
    assert chief.ok  # the coordinator ran to its end: a worker's loss is not the job's


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_task_survives_its_launcher_killed(tmp_path, sig):
    script = _script(tmp_path, "import time\nprint('up', flush=True)\ntime.sleep(600)")
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time
                from hpclearn import cluster
                job = cluster.Cluster({str(script)!r}, workers=2, ps=1).start()
                print(*[p.pid for p in job._processes.values()], flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pids = [int(p) for p in launcher.stdout.readline().split()]
        assert len(pids) == 4 and all(_alive(pid) for pid in pids)
        launcher.send_signal(sig)  # no atexit hook runs: the tasks must go by themselves
        launcher.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [pid for pid in pids if _alive(pid)]
    finally:
        launcher.kill()
        launcher.wait()
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_each_worker_sees_its_own_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    script = _script(tmp_path, "import os; print(os.environ['CUDA_VISIBLE_DEVICES'])")
    with cluster.Cluster(script, workers=2) as job:
        results = job.start().wait(timeout=30)
    assert [r.log.strip() for r in results] == ["3", "5"]
    job = cluster.Cluster(script, workers=3, ps=1)
    assert [job.environment(t)["CUDA_VISIBLE_DEVICES"] for t in job.tasks] == [
        "",  # ps:0 keeps variables in host memory
        "3",
        "5",
        "3",  # more workers than GPUs: they share in turn
        "",  # the coordinator computes nothing
    ]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert "CUDA_VISIBLE_DEVICES" not in cluster.Cluster(script, workers=2).environment("worker:0")


def test_tf_config_is_a_copy(tmp_path):
    job = cluster.Cluster(_script(tmp_path, ""), workers=2)
    job.tf_config("worker:0")["cluster"]["worker"].append("evil:1")
    assert len(job.spec["worker"]) == 2


def test_kill_with_a_signal_the_task_ignores_returns_false_and_stop_still_ends_it(tmp_path):
    script = _script(
        tmp_path,
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('up', flush=True)\ntime.sleep(600)",
    )
    job = cluster.Cluster(script, workers=1).start()
    deadline = time.monotonic() + 20
    while "up" not in job.log("worker:0") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.kill("worker:0", signal.SIGTERM, timeout=0.5) is False
    assert job.running() == ["worker:0"]
    job.stop()
    assert job.running() == []


def test_a_launch_that_fails_leaves_no_open_log(tmp_path, monkeypatch):
    job = cluster.Cluster(_script(tmp_path, ""), workers=1)

    def refuse(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    with pytest.raises(OSError, match="no more processes"):
        job.start()
    log = str(job._log_path("worker:0"))
    assert not [fd for fd in os.listdir("/proc/self/fd") if _fd_target(fd) == log]
    job.stop()


def _fd_target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_bad_arguments_are_explained(tmp_path):
    with pytest.raises(ValueError, match="no training script"):
        cluster.Cluster(tmp_path / "missing.py")
    with pytest.raises(ValueError, match="at least 1 worker"):
        cluster.Cluster(_script(tmp_path, ""), workers=0)
    with pytest.raises(RuntimeError, match="start"):
        cluster.Cluster(_script(tmp_path, ""), workers=1).wait(timeout=1)


def test_command_line_prints_each_tasks_log_and_returns_the_worst_exit_code(tmp_path):
    script = _script(
        tmp_path,
        "import json, os, sys\n"
        "index = json.loads(os.environ['TF_CONFIG'])['task']['index']\n"
        "print('hello from', index)\n"
        "sys.exit(3 if index == 1 else 0)\n",
    )
    result = subprocess.run(
        [sys.executable, "-m", "hpclearn.cluster", "--workers", "2", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "[worker:0] hello from 0" in result.stdout
    assert "[worker:1] exit code 3" in result.stdout


# A recorded SLURM job step: 4 tasks on two CPU nodes, seen from task 3.
SLURM_STEP = {
    "SLURM_PROCID": "3",
    "SLURM_STEP_NUM_TASKS": "4",
    "SLURM_STEP_NODELIST": "node[07-08]",
    "SLURM_STEP_TASKS_PER_NODE": "2(x2)",
}


def test_slurm_resolver_places_every_task_on_cpu_nodes(monkeypatch):
    for name, value in SLURM_STEP.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    resolver = cluster.slurm_resolver()
    assert resolver.cluster_spec().as_dict() == {
        "worker": ["node07:8888", "node07:8889", "node08:8888", "node08:8889"]
    }
    assert (resolver.task_type, resolver.task_id) == ("worker", 3)
    assert "CUDA_VISIBLE_DEVICES" not in os.environ


def test_slurm_resolver_splits_tasks_into_jobs(monkeypatch):
    for name, value in SLURM_STEP.items():
        monkeypatch.setenv(name, value)
    resolver = cluster.slurm_resolver(jobs={"chief": 1, "worker": 2, "ps": 1}, port_base=9000)
    spec = resolver.cluster_spec().as_dict()
    assert spec == {
        "chief": ["node07:9000"],
        "ps": ["node07:9001"],
        "worker": ["node08:9000", "node08:9001"],
    }
    assert (resolver.task_type, resolver.task_id) == ("worker", 1)


def test_slurm_resolver_outside_slurm_says_what_to_do(monkeypatch):
    monkeypatch.delenv("SLURM_STEP_TASKS_PER_NODE", raising=False)
    with pytest.raises(RuntimeError, match="inside a SLURM job step"):
        cluster.slurm_resolver()


# --- real TensorFlow training across processes -------------------------------------------


def _train(out, workers, *extra, answers):
    args = ["--answers", answers, "--out", out, "--steps", "32", *extra]
    job = cluster.Cluster(TRAIN, workers=workers, args=args)
    with job:
        return job, job.start().wait(timeout=180)


def _weights(folder):
    with np.load(folder / "weights.npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def _trained(folder, worker=0):
    lines = (folder / f"steps-worker-{worker}.jsonl").read_text().splitlines()
    return [s["step"] for s in map(json.loads, lines) if "loss" in s]


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """train.py holds no answer: it runs the course's own, as it would run a student's."""
    return multi_worker.answers_file(tmp_path_factory.mktemp("answers"))


@pytest.mark.slow
def test_two_workers_train_the_same_model_as_one_process(tmp_path, answers):
    _, one = _train(tmp_path / "one", 1, answers=answers)
    job, two = _train(tmp_path / "two", 2, answers=answers)
    assert all(r.ok for r in one + two), [r.log[-800:] for r in one + two]
    difference = max(
        float(np.abs(a - b).max())
        for a, b in zip(_weights(tmp_path / "one"), _weights(tmp_path / "two"), strict=True)
    )
    assert difference < 1e-5
    assert _trained(tmp_path / "two", 1) == list(range(32))
    assert job.running() == []


@pytest.mark.slow
def test_a_killed_worker_resumes_from_the_last_checkpoint_and_loses_nothing(tmp_path, answers):
    _train(tmp_path / "clean", 2, answers=answers)
    run = tmp_path / "run"
    crashed_job, crashed = _train(run, 2, "--die-at", "13", "--die-worker", "1", answers=answers)
    by_task = {r.task: r for r in crashed}
    assert by_task["worker:1"].returncode == -signal.SIGKILL
    assert not by_task["worker:0"].ok  # its peer vanished: the synchronous job fails as a whole
    assert _trained(run) == list(range(13))
    _, resumed = _train(run, 2, answers=answers)
    assert all(r.ok for r in resumed), [r.log[-800:] for r in resumed]
    assert "starting at step 12 of 32" in resumed[0].log  # the checkpoint after step 12 (every 4)
    assert _trained(run) == [*range(13), *range(12, 32)]  # step 12 again, then to the end
    for a, b in zip(_weights(run), _weights(tmp_path / "clean"), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert crashed_job.running() == []


def test_train_py_without_answers_says_what_to_do(tmp_path):
    result = subprocess.run(
        [sys.executable, str(TRAIN), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "training needs your train_resumable: pass --answers" in result.stderr


@pytest.mark.slow
def test_parameter_server_training_learns_with_variables_on_the_ps(tmp_path):
    job = cluster.Cluster(TRAIN_PS, workers=2, ps=1, args=["--out", tmp_path, "--steps", "150"])
    with job:
        (chief,) = job.start().wait(timeout=180)
    assert chief.ok, chief.log[-1500:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["variables_on"] == ["/job:ps/replica:0/task:0/device:CPU:0"]
    assert summary["last_loss"] < 0.5 * summary["first_loss"]
    assert sum(summary["staleness_counts"].values()) == 150
    assert min(int(k) for k in summary["staleness_counts"]) >= 0
    assert job.running() == []


KERAS_FIT_UNDER_MWMS = """
from hpclearn import data
import keras, tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
split = data.digits()
with strategy.scope():
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="sgd", loss=loss)
model.fit(split.x_train, split.y_train, batch_size=64, epochs=1, verbose=0)
print("fit finished")
"""


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Keras 3 fit under MultiWorkerMirroredStrategy fails with 'Attempt to convert a value "
    "(PerReplica...)' (keras-team/keras#20585); when this passes, upstream fixed it: teach fit.",
)
def test_keras_3_fit_works_under_multi_worker_mirrored_strategy(tmp_path):
    with cluster.Cluster(_script(tmp_path, KERAS_FIT_UNDER_MWMS), workers=2) as job:
        results = job.start().wait(timeout=120)
    for r in results:
        if not r.ok and "Attempt to convert a value (PerReplica" not in r.log:
            raise RuntimeError(f"{r.task} failed for another reason than the known bug:\n{r.log}")
    assert all(r.ok and "fit finished" in r.log for r in results), results[0].log[-600:]


# Calls only an answer to one of 04's exercises makes: a released script that held one would
# hand that answer out.
ANSWER_CALLS = (".shard(", "input_pipeline_id", "latest_checkpoint", ".restore(", "mkdtemp(")


def test_the_released_scripts_of_04_hold_no_answer(tmp_path):
    """nbgrader releases every file of the assignment's folder with the notebook: train.py,
    train_ps.py and train.sbatch must not show what the graded exercises ask students to write."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(multi_worker.FOLDER, course / "source" / "04_multi_worker")
    ct.nbgrader(course, "generate_assignment", "04_multi_worker", "--force", timeout=120)
    released = course / "release" / "04_multi_worker"
    scripts = sorted(p for p in released.iterdir() if p.is_file() and p.suffix != ".ipynb")
    assert {p.name for p in scripts} >= {"train.py", "train_ps.py", "train.sbatch"}
    notebook = nbformat.read(multi_worker.FOLDER / "04_multi_worker.ipynb", 4)
    solutions = [
        cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"
    ]
    assert len(solutions) == 5
    secret = {ln.strip() for s in solutions for ln in s.splitlines() if len(ln.strip()) > 12}
    for script in scripts:
        text = script.read_text()
        lines = {ln.strip() for ln in text.splitlines()}
        assert not secret & lines, f"{script.name} releases solution lines: {secret & lines}"
        shown = [call for call in ANSWER_CALLS if call in text]
        assert not shown, f"{script.name} releases what an answer calls: {shown}"
