"""Timing with warm-up and repeats, matmul FLOP/s, memory bandwidth, and result tables.

Every measurement returns a `Timing` (all the timed runs, their median and spread) rather than
one number: on a shared machine one run says little, and the spread says how much to trust the
median. Compare two things by timing them side by side in one run, never against a number
typed in from another day.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info

from hpclearn._tf import tf, wait_for

__all__ = [
    "MatmulResult",
    "Timing",
    "blas_info",
    "matmul",
    "memory_bandwidth",
    "side_by_side",
    "table",
    "time_call",
]


@dataclass(frozen=True)
class Timing:
    """Seconds of each timed run, with their median and spread (interquartile range)."""

    times: tuple[float, ...]

    @property
    def repeats(self) -> int:
        return len(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> float:
        """Interquartile range of the runs, in seconds (0 for fewer than two runs)."""
        if len(self.times) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.times, n=4, method="inclusive")
        return q3 - q1

    def rate(self, items: float) -> float:
        """Items per second at the median time: `timing.rate(batch_size)` is samples/s."""
        return items / self.median


def time_call(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> Timing:
    """Time `fn()` `repeats` times after `warmup` untimed calls (which absorb tracing, XLA
    compilation and cache warm-up). Tensors it returns are waited for.

    >>> bench.time_call(lambda: model(x), repeats=7).median
    0.0123
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats ≥ 1 and warmup ≥ 0; got {repeats=}, {warmup=}.")
    for _ in range(warmup):
        wait_for(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        wait_for(fn())
        times.append(time.perf_counter() - start)
    return Timing(tuple(times))


def side_by_side(
    setups: dict[str, Callable[[], Callable[[], object]]], *, repeats: int = 5, warmup: int = 1
) -> dict[str, Timing]:
    """Time several alternatives in turns, so that other work on the machine slows them alike.

    Each value of `setups` prepares one alternative and returns the call to time (the setup,
    e.g. building a fresh pipeline with an empty cache, is not timed). Round after round, every
    alternative is set up and timed once; `warmup` untimed rounds come first.

    >>> timings = bench.side_by_side({"naive": lambda: naive_epoch, "fast": build_fast_epoch})
    >>> timings["naive"].median / timings["fast"].median
    3.1
    """
    if not setups or repeats < 1 or warmup < 0:
        raise ValueError(
            f"need at least one setup, repeats ≥ 1 and warmup ≥ 0; got "
            f"{len(setups)} setups, {repeats=}, {warmup=}."
        )
    times: dict[str, list[float]] = {name: [] for name in setups}
    for round_number in range(warmup + repeats):
        for name, setup in setups.items():
            fn = setup()
            start = time.perf_counter()
            wait_for(fn())
            if round_number >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(seconds)) for name, seconds in times.items()}


@dataclass(frozen=True)
class MatmulResult:
    """One square matmul benchmark: n×n by n×n in `dtype` through `library`."""

    n: int
    dtype: str
    library: str
    timing: Timing

    @property
    def gflops(self) -> float:
        """Achieved GFLOP/s at the median time (a matmul of two n×n matrices is 2n³ FLOPs)."""
        return 2 * self.n**3 / self.timing.median / 1e9


def matmul(
    n: int,
    *,
    dtype: str = "float32",
    library: str = "tensorflow",
    jit_compile: bool = False,
    repeats: int = 5,
) -> MatmulResult:
    """Time an n×n by n×n matrix product in TensorFlow or NumPy (the machine's BLAS).

    NumPy supports float32 and float64; TensorFlow also bfloat16 and float16. `jit_compile`
    compiles the TensorFlow product with XLA.

    >>> bench.matmul(1024, library="numpy").gflops
    180.5
    """
    if n < 1:
        raise ValueError(f"n must be positive; got {n}.")
    if library == "numpy":
        if dtype not in ("float32", "float64"):
            raise ValueError(f"NumPy multiplies float32 or float64 matrices; got dtype={dtype!r}.")
        rng = np.random.default_rng(0)
        a, b = (rng.random((n, n), dtype=np.float64).astype(dtype) for _ in range(2))
        timing = time_call(lambda: a @ b, repeats=repeats)
    elif library == "tensorflow":
        if dtype not in ("float32", "float64", "bfloat16", "float16"):
            raise ValueError(f"dtype must be float32, float64, bfloat16 or float16; got {dtype!r}.")
        a, b = (tf.random.uniform((n, n), dtype=tf.float32, seed=i) for i in range(2))
        a, b = tf.cast(a, dtype), tf.cast(b, dtype)
        product = tf.function(lambda: tf.linalg.matmul(a, b)[0, 0], jit_compile=jit_compile)
        timing = time_call(product, repeats=repeats)
    else:
        raise ValueError(f"library must be 'tensorflow' or 'numpy'; got {library!r}.")
    return MatmulResult(n=n, dtype=dtype, library=library, timing=timing)


def memory_bandwidth(megabytes: int = 256, *, repeats: int = 5) -> tuple[float, Timing]:
    """Main-memory bandwidth in GB/s, from copying a `megabytes` buffer (read + write counted).

    Use a buffer far larger than the CPU caches, or the figure is cache bandwidth.

    >>> gb_per_s, timing = bench.memory_bandwidth(256)
    """
    if megabytes < 1:
        raise ValueError(f"megabytes must be at least 1; got {megabytes}.")
    src = np.ones(megabytes * 2**20 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    timing = time_call(lambda: np.copyto(dst, src), repeats=repeats)
    return 2 * src.nbytes / timing.median / 1e9, timing


def blas_info() -> list[dict[str, object]]:
    """Which BLAS and OpenMP libraries NumPy loaded, their versions, threads and CPU kernels.

    >>> [lib["internal_api"] for lib in bench.blas_info()]
    ['openblas']
    """
    keys = ("internal_api", "version", "num_threads", "architecture", "filepath")
    return [{k: lib.get(k) for k in keys} for lib in threadpool_info()]


def table(rows: Sequence[dict[str, object]], *, digits: int = 3) -> str:
    """A Markdown table of `rows` (dicts with the same keys); floats get `digits` significant
    digits. Display it in a notebook with `IPython.display.Markdown(bench.table(rows))`.

    >>> print(bench.table([{"n": 1024, "GFLOP/s": 312.4}]))
    | n | GFLOP/s |
    |---|---|
    | 1024 | 312 |
    """
    if not rows:
        raise ValueError("table needs at least one row.")
    header = list(rows[0])
    for row in rows:
        if list(row) != header:
            raise ValueError(f"every row needs the keys {header}; got {list(row)}.")

    def cell(value: object) -> str:
        if isinstance(value, float) and abs(value) >= 10 ** (digits - 1):
            return f"{value:.0f}"  # no exponent for large figures: 1234, not 1.23e+03
        if isinstance(value, float):
            return f"{value:.{digits}g}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(row[k]) for k in header) + " |" for row in rows]
    return "\n".join(lines)
