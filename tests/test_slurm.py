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

import multi_worker
import numpy as np
import pytest
from slurm import SKIP_REASON, LocalSlurm

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON)]

FOLDER = multi_worker.FOLDER
SBATCH = FOLDER / "train.sbatch"
TRAIN = multi_worker.TRAIN
STEPS = 96
EVERY = 16
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm")).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """train.py holds no answer: the jobs run the course's own, as they would run a student's."""
    return multi_worker.answers_file(tmp_path_factory.mktemp("answers"))


def _submit(slurm, out: Path, answers: Path, *options: str, args=()) -> int:
    return slurm.sbatch(
        SBATCH,
        f"--chdir={FOLDER}",
        f"--output={out}.slurm-%j.out",
        *options,
        cwd=FOLDER,
        env={"PYTHON": sys.executable},
        args=["--answers", str(answers), "--out", str(out), "--every", str(EVERY), *args],
    )


def _job_log(out: Path, job_id: int) -> str:
    return Path(f"{out}.slurm-{job_id}.out").read_text(errors="replace")


def _one_process(out: Path, answers: Path, steps: int) -> None:
    """train.py as one plain process: no TF_CONFIG, no SLURM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.pop("TF_CONFIG", None)
    command = [sys.executable, str(TRAIN), "--answers", str(answers), "--out", str(out)]
    result = subprocess.run(
        [*command, "--steps", str(steps), "--every", str(EVERY)],
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


def _trained(out: Path) -> list[int]:
    """The steps task 0 trained, in order, over every start."""
    path = out / "steps-worker-0.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [s["step"] for s in map(json.loads, lines) if "loss" in s]


def _checkpoint_step(out: Path) -> int:
    """The step of the newest checkpoint in `out`/checkpoints (0 if there is none)."""
    path = out / "checkpoints" / "checkpoint"
    if not path.exists():
        return 0
    latest = path.read_text().splitlines()[0]  # model_checkpoint_path: "ckpt-<step>"
    return int(latest.split('"')[1].split("-")[1])


def _started_at(log: str) -> int:
    return int(log.split("starting at step ")[1].split()[0])


@pytest.fixture(scope="module")
def reference(tmp_path_factory, answers):
    folder = tmp_path_factory.mktemp("one-process")
    _one_process(folder, answers, STEPS)
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
    slurm, answers, reference, tmp_path
):
    out = tmp_path / "two-tasks"
    job_id = _submit(slurm, out, answers, args=["--steps", str(STEPS)])
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
        job_script_run=f"sbatch train.sbatch --answers answers.py --steps {STEPS} --every {EVERY}",
        job_state=record["JobState"],
        job_exit_code=record["ExitCode"],
        job_tasks=int(record["NumTasks"]),
        job_elapsed=record["RunTime"],
        max_weight_difference_vs_one_process=difference,
    )
    assert difference < 1e-5
    assert _trained(out) == list(range(STEPS))


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


def test_a_step_killed_by_the_scheduler_resumes_when_resubmitted_and_loses_no_checkpoint(
    slurm, answers, reference, tmp_path
):
    out = tmp_path / "killed"
    job_id = _submit(slurm, out, answers, args=["--steps", str(STEPS)])
    _wait_for(lambda: _checkpoint_step(out) >= 2 * EVERY, 240, "two checkpoints")
    slurm.run("scancel", "--signal=KILL", f"{job_id}.0")  # every task of the step, at once
    killed = slurm.wait(job_id, ENDED, timeout=60)
    assert killed["JobState"] == "FAILED", _job_log(out, job_id)[-3000:]
    saved_step = _checkpoint_step(out)
    trained_before = _trained(out)
    assert trained_before[-1] < STEPS - 1, "the job finished before it was killed: nothing to show"

    resubmitted = _submit(slurm, out, answers, args=["--steps", str(STEPS)])
    record = slurm.wait(resubmitted, ENDED, timeout=240)
    log = _job_log(out, resubmitted)
    assert record["JobState"] == "COMPLETED", log[-3000:]
    resumed_step = _started_at(log)
    again = trained_before[-1] + 1 - resumed_step
    print(
        f"\nkilled job {job_id} ({killed['JobState']}, exit {killed['ExitCode']}) after "
        f"{len(trained_before)} steps; newest checkpoint at step {saved_step}; resubmitted job "
        f"{resubmitted} resumed at step {resumed_step}: checkpointed steps lost "
        f"{saved_step - resumed_step}, steps trained again {again}"
    )
    _record(
        killed_job_state=killed["JobState"],
        killed_after_steps=len(trained_before),
        killed_checkpoint_step=saved_step,
        resubmitted_resumed_at_step=resumed_step,
        checkpointed_steps_lost=saved_step - resumed_step,
        steps_trained_again=again,
    )
    assert resumed_step == saved_step and saved_step % EVERY == 0
    assert 0 <= again < EVERY  # the steps after the newest checkpoint, at most
    assert _trained(out) == [*trained_before, *range(resumed_step, STEPS)]
    assert _max_difference(out, reference) < 1e-6


def test_sigterm_before_the_time_limit_checkpoints_the_current_step(slurm, answers, tmp_path):
    out = tmp_path / "preempted"
    # SIGTERM 45 s before a 1-minute limit, at slurmctld's first time-limit check (every 30 s)
    # from then on: anywhere from the tasks' start-up (train.py holds it back until TensorFlow's
    # handler exists) to 45 s after the start.
    options = ("--time=1", "--signal=TERM@45")
    job_id = _submit(slurm, out, answers, *options, args=["--steps", "1000000"])
    record = slurm.wait(job_id, ENDED, timeout=120)
    log = _job_log(out, job_id)
    assert record["JobState"] == "COMPLETED", log[-3000:]  # ended by itself, not TIMEOUT
    saved = [line for line in log.splitlines() if "SIGTERM: saved a checkpoint at step" in line]
    assert len(saved) == 2, log[-3000:]  # both tasks, at the same step
    step = int(saved[0].split("at step ")[1].split(";")[0])
    assert all(f"at step {step};" in line for line in saved)
    assert "pre-empted: every worker saved a checkpoint" in log
    last_trained = _trained(out)[-1]

    # Resume, train a few more steps, and compare with one uninterrupted process.
    steps = step + 24
    resubmitted = _submit(slurm, out, answers, args=["--steps", str(steps)])
    resumed = slurm.wait(resubmitted, ENDED, timeout=240)
    resumed_log = _job_log(out, resubmitted)
    assert resumed["JobState"] == "COMPLETED", resumed_log[-3000:]
    assert _started_at(resumed_log) == step
    reference = tmp_path / "reference"
    _one_process(reference, answers, steps)
    difference = _max_difference(out, reference)
    lost = last_trained + 1 - step
    print(
        f"\nSIGTERM reached job {job_id} after {record['RunTime']} of a 1-minute limit: both "
        f"tasks saved at step {step} (last step trained {last_trained}: steps lost {lost}); "
        f"the resubmitted job resumed there; weights vs one uninterrupted process: "
        f"{difference:.1e}"
    )
    _record(
        sigterm_job_state=record["JobState"],
        sigterm_after=record["RunTime"],
        sigterm_checkpoint_step=step,
        sigterm_steps_lost=lost,
        sigterm_resumed=_started_at(resumed_log) == step,
        sigterm_max_weight_difference_vs_one_process=difference,
    )
    assert lost == 0
    assert difference < 1e-5  # thousands of steps, each summed in another order
    assert _trained(out)[-1] == steps - 1
