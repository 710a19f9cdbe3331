"""The course's multi-worker path on a real SLURM cluster: one node on 127.0.0.1 (tests/slurm.py),
the job script train.sbatch submitted with sbatch as a user would, and the scheduler's ways of
ending a job: a step killed with SIGKILL, and SIGTERM sent before the time limit.

Each test prints the figures it measured (run pytest with -s to see them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from course_tools import COURSE
from slurm import SKIP_REASON, LocalSlurm

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON)]

FOLDER = COURSE / "source" / "04_multi_worker"
SBATCH = FOLDER / "train.sbatch"
TRAIN = FOLDER / "train.py"
EPOCHS = 6
STEPS_PER_EPOCH = 1024 // 64  # train.py's defaults: 1024 examples, global batch 64
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _submit(slurm, out: Path, *options: str, args=()) -> int:
    return slurm.sbatch(
        SBATCH,
        f"--chdir={FOLDER}",
        f"--output={out}.slurm-%j.out",
        *options,
        cwd=FOLDER,
        env={"PYTHON": sys.executable},
        args=["--out", str(out), *args],
    )


def _job_log(out: Path, job_id: int) -> str:
    return Path(f"{out}.slurm-{job_id}.out").read_text(errors="replace")


def _one_process(out: Path, epochs: int) -> None:
    """train.py as one plain process: no TF_CONFIG, no SLURM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.pop("TF_CONFIG", None)
    result = subprocess.run(
        [sys.executable, str(TRAIN), "--out", str(out), "--epochs", str(epochs)],
        env=env,
        cwd=FOLDER,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]


def _weights(folder: Path) -> list[np.ndarray]:
    with np.load(folder / "weights.npz") as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def _max_difference(a: Path, b: Path) -> float:
    return max(float(np.abs(u - v).max()) for u, v in zip(_weights(a), _weights(b), strict=True))


def _epochs(out: Path) -> list[int]:
    path = out / "history.jsonl"
    return [json.loads(line)["epoch"] for line in path.open()] if path.exists() else []


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one-process")
    _one_process(folder, EPOCHS)
    return folder


def test_srun_starts_tasks_with_slurms_variables(slurm):
    result = slurm.run(
        "srun",
        "-n",
        "2",
        "bash",
        "-c",
        "echo $SLURM_PROCID $SLURM_STEP_NUM_TASKS $SLURM_STEP_TASKS_PER_NODE $SLURM_STEP_NODELIST",
    )
    lines = sorted(result.stdout.splitlines())
    assert lines == [f"{i} 2 2 {slurm.host}" for i in range(2)]


def test_two_tasks_of_the_job_script_train_the_same_weights_as_one_process(
    slurm, reference, tmp_path
):
    out = tmp_path / "two-tasks"
    job_id = _submit(slurm, out, args=["--epochs", str(EPOCHS)])
    record = slurm.wait(job_id, ENDED, timeout=240)
    log = _job_log(out, job_id)
    assert (record["JobState"], record["ExitCode"]) == ("COMPLETED", "0:0"), log[-3000:]
    assert record["NumTasks"] == "2"
    difference = _max_difference(out, reference)
    print(
        f"\n2 SLURM tasks vs 1 process: max weight difference {difference:.1e}; "
        f"job {job_id} {record['JobState']} exit {record['ExitCode']} "
        f"elapsed {record['RunTime']}"
    )
    _record(
        slurm_version=slurm.run("sinfo", "--version").stdout.strip(),
        job_script_run=f"sbatch train.sbatch --epochs {EPOCHS}",
        job_state=record["JobState"],
        job_exit_code=record["ExitCode"],
        job_tasks=int(record["NumTasks"]),
        job_elapsed=record["RunTime"],
        max_weight_difference_vs_one_process=difference,
    )
    assert difference < 1e-5
    assert _epochs(out) == list(range(1, EPOCHS + 1))


def _record(**figures) -> None:
    """Add `figures` to the JSON file named by HPCLEARN_SLURM_RECORD, where set: notebook 04
    shows a recorded run (course/source/04_multi_worker/slurm_run.json) made this way."""
    path = os.environ.get("HPCLEARN_SLURM_RECORD")
    if path:
        record = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        Path(path).write_text(json.dumps(record | figures, indent=1) + "\n")


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def test_a_step_killed_by_the_scheduler_resumes_when_resubmitted_and_loses_no_step(
    slurm, reference, tmp_path
):
    out = tmp_path / "killed"
    job_id = _submit(slurm, out, args=["--epochs", str(EPOCHS)])
    _wait_for(lambda: len(_epochs(out)) >= 2, 240, "two finished epochs")
    slurm.run("scancel", "--signal=KILL", f"{job_id}.0")  # every task of the step, at once
    killed = slurm.wait(job_id, ENDED, timeout=60)
    assert killed["JobState"] == "FAILED", _job_log(out, job_id)[-3000:]
    latest = (out / "checkpoints" / "checkpoint").read_text().splitlines()[0]
    saved_step = int(latest.split('"')[1].split("-")[1])  # model_checkpoint_path: "ckpt-<step>"
    epochs_before = _epochs(out)
    assert epochs_before[-1] < EPOCHS, "the job finished before it was killed: nothing to show"

    resubmitted = _submit(slurm, out, args=["--epochs", str(EPOCHS)])
    record = slurm.wait(resubmitted, ENDED, timeout=240)
    log = _job_log(out, resubmitted)
    assert record["JobState"] == "COMPLETED", log[-3000:]
    resumed = [line for line in log.splitlines() if "resumed from" in line]
    resumed_step = int(resumed[0].split("ckpt-")[1].split(":")[0])
    print(
        f"\nkilled job {job_id} ({killed['JobState']}, exit {killed['ExitCode']}) after epochs "
        f"{epochs_before}; checkpoint at step {saved_step}; resubmitted job {resubmitted} "
        f"resumed at step {resumed_step}: finished steps lost {saved_step - resumed_step}"
    )
    _record(
        killed_job_state=killed["JobState"],
        killed_after_epochs=epochs_before,
        killed_checkpoint_step=saved_step,
        resubmitted_resumed_at_step=resumed_step,
        finished_steps_lost=saved_step - resumed_step,
        epochs_after_resuming=_epochs(out),
    )
    assert resumed_step == saved_step == STEPS_PER_EPOCH * epochs_before[-1]
    assert _epochs(out) == list(range(1, EPOCHS + 1))  # every epoch once, none twice
    summary = json.loads((out / "summary.json").read_text())
    assert summary["global_step"] == EPOCHS * STEPS_PER_EPOCH
    assert _max_difference(out, reference) < 1e-6


def test_sigterm_before_the_time_limit_checkpoints_the_current_step(slurm, tmp_path):
    out = tmp_path / "preempted"
    # SIGTERM 45 s before a 1-minute limit, at slurmctld's first time-limit check (every 30 s)
    # from then on: 15 to 45 s after the start, once training runs.
    job_id = _submit(slurm, out, "--time=1", "--signal=TERM@45", args=["--epochs", "1000"])
    record = slurm.wait(job_id, ENDED, timeout=120)
    log = _job_log(out, job_id)
    assert record["JobState"] == "COMPLETED", log[-3000:]  # ended by itself, not TIMEOUT
    saved = [line for line in log.splitlines() if line.startswith("SIGTERM: saved ckpt-")]
    assert len(saved) == 2, log[-3000:]  # both tasks, at the same step
    step = int(saved[0].split("ckpt-")[1].split()[0])
    assert all(f"ckpt-{step} " in line for line in saved)
    epoch, within = divmod(step, STEPS_PER_EPOCH)

    # Resume and finish the epoch after the one SIGTERM interrupted; compare with one process.
    epochs = epoch + 2
    resubmitted = _submit(slurm, out, args=["--epochs", str(epochs)])
    resumed = slurm.wait(resubmitted, ENDED, timeout=240)
    resumed_log = _job_log(out, resubmitted)
    assert resumed["JobState"] == "COMPLETED", resumed_log[-3000:]
    assert f"resumed from ckpt-{step}:" in resumed_log
    reference = tmp_path / "reference"
    _one_process(reference, epochs)
    difference = _max_difference(out, reference)
    print(
        f"\nSIGTERM reached job {job_id} after {record['RunTime']} of a 1-minute limit: both "
        f"tasks saved ckpt-{step} (epoch {epoch + 1}, step {within}); the resubmitted job "
        f"resumed there; weights vs one uninterrupted process: {difference:.1e}"
    )
    _record(
        sigterm_job_state=record["JobState"],
        sigterm_after=record["RunTime"],
        sigterm_checkpoint_step=step,
        sigterm_resumed=f"resumed from ckpt-{step}" in resumed_log,
        sigterm_max_weight_difference_vs_one_process=difference,
    )
    assert difference < 1e-6
    assert json.loads((out / "summary.json").read_text())["global_step"] == epochs * STEPS_PER_EPOCH
