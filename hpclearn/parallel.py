"""Simulated workers that share nothing: the plumbing under the course's all-reduce lessons.

The algorithms (reduce-then-broadcast, ring all-reduce) are the lesson and live in the notebook.
This module only provides what they run on: a `Network` of workers that can exchange arrays
solely by sending them, and that counts every byte each worker sends, so an algorithm's
communication cost is measured rather than assumed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Network"]


class Network:
    """`num_workers` workers, numbered 0..num_workers−1, connected point to point.

    `send(source, destination, array)` delivers a copy of `array` (the receiver never shares
    memory with the sender), adds its size to `bytes_sent[source]` and records
    `(source, destination, bytes)` in `log`.

    >>> net = parallel.Network(4)
    >>> received = net.send(0, 1, np.ones(256, np.float32))
    >>> net.bytes_sent
    [1024, 0, 0, 0]
    """

    def __init__(self, num_workers: int) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
            raise ValueError(f"num_workers must be a whole number ≥ 1; got {num_workers!r}.")
        self.num_workers = num_workers
        self.bytes_sent = [0] * num_workers
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
