"""04_multi_worker's claim: two real worker processes on localhost against one."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.core import COURSE, Figure, Section, Sizes
from hpclearn import cluster


def multi_worker(sizes: Sizes) -> Section:
    """04_multi_worker's job: 2 worker processes on localhost against 1, same global batch."""
    section = Section("Multi-worker training on localhost")
    if not sizes.workers:
        section.notes.append("Skipped at this size.")
        return section
    script = COURSE / "04_multi_worker" / "train.py"
    runs = {}
    for workers in (1, 2):
        out = Path(tempfile.mkdtemp(prefix=f"bench-{workers}-workers-"))
        with cluster.Cluster(script, workers=workers, args=["--epochs", "4", "--out", out]) as job:
            results = job.start().wait(timeout=300)
        if not all(r.ok for r in results):
            raise RuntimeError(f"the {workers}-worker job failed:\n{results[0].log[-2000:]}")
        summary = json.loads((out / "summary.json").read_text())
        runs[workers] = (summary, max(r.seconds for r in results))
    for workers, (summary, lifetime) in runs.items():
        section.add(
            Figure(
                f"workers.{workers}_samples_per_s",
                f"{workers} process(es): training loop",
                summary["steps_per_second"] * 64,
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
            runs[2][0]["steps_per_second"] / runs[1][0]["steps_per_second"],
            "×",
        )
    )
    section.notes.append(
        "One run of each (a job takes several seconds to start); both share "
        "this machine's cores, so 2 workers cannot be faster here: the figure "
        "is the price of synchronising two processes every step."
    )
    return section
