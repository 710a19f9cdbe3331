"""The plumbing under the course's parallelism lessons; the algorithms live in the notebooks.

- `Network`: workers that can exchange arrays solely by sending them, counting every byte each
  worker sends, so an all-reduce's communication cost is measured rather than assumed.
- `Timeline`: records the tasks of a pipeline-parallel step (stage, micro-batch, forward or
  backward) as the notebook's schedule runs them, times each, and lays them out as if every
  stage had a device of its own, so the pipeline's idle time (its bubble) is measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hpclearn._tf import wait_for

__all__ = ["Network", "Task", "Timeline"]


class Network:
    """`num_workers` workers, numbered 0..num_workers−1, connected point to point.

    `send(source, destination, array)` delivers a copy of `array` (the receiver never shares
    memory with the sender), adds its size to `bytes_sent[source]` and records
    `(source, destination, bytes)` in `log`.

    With `latency` (α, seconds per message) and `bandwidth` (β, bytes per second of one link),
    each message also occupies its sender's link for α + bytes/β, added to
    `seconds_sent[source]` (the α–β model). When every worker sends in every step, as in a ring,
    nobody waits for anybody and the busiest link's total, `max_seconds_per_worker`, is the
    operation's time; an algorithm in which workers wait for one another (a tree, or gathering
    at one worker) takes longer than that total.

    >>> net = parallel.Network(4, latency=1e-6, bandwidth=1e9)
    >>> received = net.send(0, 1, np.ones(256, np.float32))
    >>> net.bytes_sent, net.seconds_sent
    ([1024, 0, 0, 0], [2.024e-06, 0.0, 0.0, 0.0])
    """

    def __init__(
        self, num_workers: int, *, latency: float = 0.0, bandwidth: float = float("inf")
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
            raise ValueError(f"num_workers must be a whole number ≥ 1; got {num_workers!r}.")
        if not _is_number(latency) or not latency >= 0:
            raise ValueError(f"latency must be a number of seconds ≥ 0; got {latency!r}.")
        if not _is_number(bandwidth) or not bandwidth > 0:
            raise ValueError(f"bandwidth must be bytes per second, > 0; got {bandwidth!r}.")
        self.num_workers = num_workers
        self.latency = float(latency)
        self.bandwidth = float(bandwidth)
        self.bytes_sent = [0] * num_workers
        self.seconds_sent = [0.0] * num_workers
        self.log: list[tuple[int, int, int]] = []

    def send(self, source: int, destination: int, array: np.ndarray) -> np.ndarray:
        """Send `array` from worker `source` to worker `destination`; return the received copy."""
        for role, worker in (("source", source), ("destination", destination)):
            if not (isinstance(worker, int | np.integer) and 0 <= worker < self.num_workers):
                raise ValueError(
                    f"{role} must be a worker number from 0 to {self.num_workers - 1}; "
                    f"got {worker!r}."
                )
        if source == destination:
            raise ValueError(
                f"worker {source} sent a message to itself; a worker reads its own data directly."
            )
        received = np.array(array, copy=True)
        self.bytes_sent[source] += received.nbytes
        self.seconds_sent[source] += self.latency + received.nbytes / self.bandwidth
        self.log.append((int(source), int(destination), received.nbytes))
        return received

    @property
    def messages(self) -> int:
        """Number of sends so far."""
        return len(self.log)

    @property
    def total_bytes(self) -> int:
        """Bytes sent by all workers together."""
        return sum(self.bytes_sent)

    @property
    def max_bytes_per_worker(self) -> int:
        """Bytes sent by the busiest worker: with links of equal speed, it sets the time."""
        return max(self.bytes_sent)

    @property
    def max_seconds_per_worker(self) -> float:
        """Seconds the busiest worker's link spent sending (α per message + bytes/β)."""
        return max(self.seconds_sent)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


PHASES = ("forward", "backward")


@dataclass(frozen=True)
class Task:
    """One stage's work on one micro-batch, placed on the pipeline's timeline (seconds)."""

    stage: int
    micro_batch: int
    phase: str
    start: float
    seconds: float

    @property
    def end(self) -> float:
        return self.start + self.seconds


class Timeline:
    """The measured schedule of a pipeline of `num_stages` stages, one device each.

    `run(stage, micro_batch, phase, fn, *args)` calls `fn(*args)`, waits for the tensors it
    returns, records how long it took and returns its result. Each task is then placed where
    a pipeline whose stages run at once would run it: after the stage's previous task, and
    after the task it needs (the forward of the stage before on the same micro-batch; for a
    backward, the backward of the stage after, or the last stage's own forward).

    On one CPU the simulated devices share the cores, so the tasks really run one after
    another; their measured durations, placed by the schedule's dependencies, give the time
    line that separate devices would follow. `clock` is the timer (seconds).

    >>> timeline = parallel.Timeline(num_stages=2)
    >>> h = timeline.run(0, 0, "forward", stage_0, x)
    >>> y = timeline.run(1, 0, "forward", stage_1, h)
    >>> timeline.idle_fraction(1)
    0.49
    """

    def __init__(self, num_stages: int, *, clock: Callable[[], float] = time.perf_counter) -> None:
        if isinstance(num_stages, bool) or not isinstance(num_stages, int) or num_stages < 1:
            raise ValueError(f"num_stages must be a whole number ≥ 1; got {num_stages!r}.")
        self.num_stages = num_stages
        self._clock = clock
        self._tasks: dict[tuple[int, int, str], Task] = {}
        self._stage_free = [0.0] * num_stages

    def _dependency(self, stage: int, micro_batch: int, phase: str) -> tuple[int, int, str] | None:
        if phase == "forward":
            return (stage - 1, micro_batch, "forward") if stage > 0 else None
        if stage == self.num_stages - 1:
            return (stage, micro_batch, "forward")
        return (stage + 1, micro_batch, "backward")

    def run(self, stage: int, micro_batch: int, phase: str, fn: Callable, *args: object) -> object:
        """Run and time `fn(*args)` as `stage`'s `phase` on `micro_batch`; return its result."""
        if not (isinstance(stage, int) and 0 <= stage < self.num_stages):
            raise ValueError(f"stage must be 0..{self.num_stages - 1}; got {stage!r}.")
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}; got {phase!r}.")
        key = (stage, micro_batch, phase)
        if key in self._tasks:
            raise ValueError(f"stage {stage} already ran the {phase} of micro-batch {micro_batch}.")
        needed = self._dependency(stage, micro_batch, phase)
        if needed is not None and needed not in self._tasks:
            raise ValueError(
                f"stage {stage}'s {phase} of micro-batch {micro_batch} needs stage {needed[0]}'s "
                f"{needed[2]} of it first: run the tasks in an order the data flow allows."
            )
        started = self._clock()
        result = fn(*args)
        wait_for(result)
        seconds = self._clock() - started
        ready = self._tasks[needed].end if needed is not None else 0.0
        start = max(ready, self._stage_free[stage])
        self._tasks[key] = Task(stage, micro_batch, phase, start, seconds)
        self._stage_free[stage] = start + seconds
        return result

    @property
    def tasks(self) -> list[Task]:
        """Every recorded task, in the order they ran."""
        return list(self._tasks.values())

    @property
    def makespan(self) -> float:
        """Seconds from the first task's start to the last task's end."""
        return max((task.end for task in self._tasks.values()), default=0.0)

    def busy(self, stage: int) -> float:
        """Seconds `stage` spent computing."""
        return sum(task.seconds for task in self._tasks.values() if task.stage == stage)

    def idle_fraction(self, stage: int) -> float:
        """Share of the makespan in which `stage` waited (0 = always busy)."""
        if not self._tasks:
            raise ValueError("the timeline is empty: run the pipeline's tasks through run() first.")
        return 1.0 - self.busy(stage) / self.makespan

    @property
    def bubble(self) -> float:
        """Idle share of all stages together: the pipeline's bubble fraction."""
        return float(np.mean([self.idle_fraction(s) for s in range(self.num_stages)]))

    def in_flight(self, stage: int) -> int:
        """Most micro-batches `stage` held at once: forward started, backward not yet finished.

        Each of them keeps its stored activations on the stage's device, so this is the
        schedule's activation memory in units of one micro-batch (GPipe: all m; 1F1B: at most p).
        """
        if not (isinstance(stage, int) and 0 <= stage < self.num_stages):
            raise ValueError(f"stage must be 0..{self.num_stages - 1}; got {stage!r}.")
        # (time, change): a backward's end comes before a forward's start at the same instant.
        events = sorted(
            (task.start, 1) if task.phase == "forward" else (task.end, -1)
            for task in self._tasks.values()
            if task.stage == stage
        )
        held = most = 0
        for _, change in events:
            held += change
            most = max(most, held)
        return most
