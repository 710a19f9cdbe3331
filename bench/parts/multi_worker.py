"""04_multi_worker's claim: two real worker processes on localhost against one."""

from __future__ import annotations

import json
import statistics
import tempfile
import textwrap
from pathlib import Path

from bench.core import COURSE, Figure, Section, Sizes
from hpclearn import cluster

GLOBAL_BATCH, STEPS = 64, 64

# train.py trains with the loop 04's exercise asks for; the bench carries its own.
ANSWERS = textwrap.dedent(
    """
    import shutil
    import tempfile

    import tensorflow as tf


    def train_resumable(state, step_fn, total_steps, directory, every, is_chief):
        latest = tf.train.latest_checkpoint(directory)
        if latest:
            state.restore(latest)
        folder = directory if is_chief else tempfile.mkdtemp()
        manager = tf.train.CheckpointManager(state, folder, max_to_keep=2)
        first = int(state.step.numpy())
        for i in range(first, total_steps):
            step_fn(i)
            state.step.assign(i + 1)
            if (i + 1) % every == 0 or i + 1 == total_steps:
                manager.save(checkpoint_number=i + 1)
        if not is_chief:
            shutil.rmtree(folder, ignore_errors=True)
        return max(total_steps - first, 0)
    """
)


def _steps_per_second(script: Path, workers: int) -> tuple[float, float]:
    """One job of `workers` processes: training steps per second and the slowest lifetime."""
    out = Path(tempfile.mkdtemp(prefix=f"bench-{workers}-workers-"))
    if "--answers" in script.read_text():  # train.py with the exercise's loop, step records
        answers = out / "answers.py"
        answers.write_text(ANSWERS)
        args = ["--answers", answers, "--steps", str(STEPS), "--out", out]
        args += ["--global-batch", str(GLOBAL_BATCH), "--every", str(STEPS)]
    else:  # train.py of a fixed number of epochs, with a summary
        args = ["--epochs", "4", "--out", out]
    with cluster.Cluster(script, workers=workers, args=args) as job:
        results = job.start().wait(timeout=300)
    if not all(r.ok for r in results):
        raise RuntimeError(f"the {workers}-worker job failed:\n{results[0].log[-2000:]}")
    lifetime = max(r.seconds for r in results)
    if (out / "summary.json").exists():
        return json.loads((out / "summary.json").read_text())["steps_per_second"], lifetime
    lines = (out / "steps-worker-0.jsonl").read_text().splitlines()
    seconds = [json.loads(line)["seconds"] for line in lines if '"seconds"' in line]
    # The first steps trace and warm up the collectives: the median of the rest.
    return 1 / statistics.median(seconds[len(seconds) // 4 :]), lifetime


def multi_worker(sizes: Sizes) -> Section:
    """04_multi_worker's job: 2 worker processes on localhost against 1, same global batch."""
    section = Section("Multi-worker training on localhost")
    if not sizes.workers:
        section.notes.append("Skipped at this size.")
        return section
    script = COURSE / "04_multi_worker" / "train.py"
    runs = {workers: _steps_per_second(script, workers) for workers in (1, 2)}
    for workers, (steps_per_second, lifetime) in runs.items():
        section.add(
            Figure(
                f"workers.{workers}_samples_per_s",
                f"{workers} process(es): training loop",
                steps_per_second * GLOBAL_BATCH,
                "samples/s",
            ),
            Figure(
                f"workers.{workers}_lifetime",
                f"{workers} process(es): start to exit",
                lifetime,
                "s",
            ),
        )
    section.add(
        Figure(
            "workers.speedup",
            "2 workers / 1 process, training-loop throughput",
            runs[2][0] / runs[1][0],
            "×",
        )
    )
    section.notes.append(
        f"One job of each (a job takes several seconds to start), {GLOBAL_BATCH} examples per "
        "global step; the training-loop throughput is the global batch over the median step "
        "time after the first quarter of the steps (tracing and the collectives' warm-up). "
        "Both jobs share this machine's cores, so 2 workers cannot be faster here: the figure "
        "is the price of synchronising two processes every step."
    )
    return section
