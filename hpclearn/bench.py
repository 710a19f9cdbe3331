"""Timing with warm-up and repeats, matmul FLOP/s, memory bandwidth, peaks, and result tables.

Every measurement returns a `Timing` (all the timed runs, their median and spread) rather than
one number: on a shared machine one run says little, and the spread says how much to trust the
median. Compare two things by timing them side by side in one run, never against a number
typed in from another day.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from hpclearn._tf import tf, wait_for

__all__ = [
    "Bandwidth",
    "MatmulResult",
    "Peak",
    "Timing",
    "blas_info",
    "matmul",
    "matmul_call",
    "memory_bandwidth",
    "numpy_blas",
    "side_by_side",
    "stream_bandwidth",
    "stream_kernel",
    "table",
    "theoretical_peak",
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


def matmul_call(
    n: int, *, dtype: str = "float32", library: str = "tensorflow", jit_compile: bool = False
) -> Callable[[], object]:
    """The call `matmul` times: a function of no arguments that multiplies two n×n matrices.

    Useful to time the same call yourself, e.g. at tiny n, where the time is the fixed cost of a
    call rather than arithmetic. The TensorFlow call returns one element of the product (a
    tf.Tensor: `.numpy()` waits for it), so no n×n result is copied out.

    >>> product = bench.matmul_call(8, library="numpy")
    >>> product().shape
    (8, 8)
    """
    if n < 1:
        raise ValueError(f"n must be positive; got {n}.")
    if library == "numpy":
        if dtype not in ("float32", "float64"):
            raise ValueError(f"NumPy multiplies float32 or float64 matrices; got dtype={dtype!r}.")
        rng = np.random.default_rng(0)
        a, b = (rng.random((n, n), dtype=np.float64).astype(dtype) for _ in range(2))
        return lambda: a @ b
    if library == "tensorflow":
        if dtype not in ("float32", "float64", "bfloat16", "float16"):
            raise ValueError(f"dtype must be float32, float64, bfloat16 or float16; got {dtype!r}.")
        a, b = (tf.random.uniform((n, n), dtype=tf.float32, seed=i) for i in range(2))
        a, b = tf.cast(a, dtype), tf.cast(b, dtype)
        return tf.function(lambda: tf.linalg.matmul(a, b)[0, 0], jit_compile=jit_compile)
    raise ValueError(f"library must be 'tensorflow' or 'numpy'; got {library!r}.")


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
    compiles the TensorFlow product with XLA. The call timed is `matmul_call(...)`, after one
    untimed call.

    >>> bench.matmul(1024, library="numpy").gflops
    180.5
    """
    product = matmul_call(n, dtype=dtype, library=library, jit_compile=jit_compile)
    return MatmulResult(
        n=n, dtype=dtype, library=library, timing=time_call(product, repeats=repeats)
    )


def memory_bandwidth(megabytes: int = 256, *, repeats: int = 5) -> tuple[float, Timing]:
    """Main-memory bandwidth in GB/s, from copying a `megabytes` buffer (read + write counted)
    on one thread, at the median time.

    Use a buffer far larger than the CPU caches, or the figure is cache bandwidth. One thread
    rarely saturates memory: for the roofline's ceiling use `stream_bandwidth`, which uses every
    core.

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


# OpenBLAS kernel families (threadpoolctl's "architecture") by the vector width they use.
_KERNEL_BITS = {
    "sapphirerapids": 512,
    "cooperlake": 512,
    "skylakex": 512,
    "haswell": 256,
    "zen": 256,
    "sandybridge": 256,
    "neoversev1": 256,
    "neoversen1": 128,
    "armv8": 128,
}


def numpy_blas() -> dict[str, object]:
    """The BLAS that NumPy itself calls for `a @ b`, as threadpoolctl sees it: `internal_api`,
    `version`, `num_threads`, `architecture` (the CPU kernel it chose), `filepath`, and
    `vector_bits`, the SIMD width of that kernel in bits (None if unknown).

    Other packages may load BLAS builds of their own into the same process (`blas_info` lists
    them all); NumPy's is the one inside NumPy's own package folder (numpy.libs for the wheels),
    or else the one whose version `numpy.show_config()` names.

    >>> bench.numpy_blas()["architecture"]
    'SkylakeX'
    """
    libs = [lib for lib in blas_info() if lib["internal_api"] not in ("openmp", None)]
    if not libs:
        raise RuntimeError("threadpoolctl finds no BLAS loaded: multiply two arrays first.")
    numpy_dir = Path(np.__file__).resolve().parent
    inside = [str(numpy_dir), str(numpy_dir) + ".libs", str(numpy_dir / ".dylibs")]
    own = [lib for lib in libs if any(str(lib["filepath"]).startswith(d) for d in inside)]
    if not own:
        version = np.show_config(mode="dicts")["Build Dependencies"]["blas"].get("version")
        own = [lib for lib in libs if version and lib["version"] == version]
    chosen = dict((own or libs)[0])
    chosen["vector_bits"] = _KERNEL_BITS.get(str(chosen["architecture"] or "").lower())
    return chosen


_STREAM_BLOCK = 2**15  # float64 elements per step: 256 KiB, so a triad's temporary stays in cache


@dataclass(frozen=True)
class Bandwidth:
    """One STREAM-style measurement: `kernel` on `threads` threads, moving `bytes_moved` bytes
    per run (counted as STREAM counts them: each array element read or written once)."""

    kernel: str
    threads: int
    bytes_moved: int
    timing: Timing

    @property
    def best_gbs(self) -> float:
        """GB/s of the fastest run: what the memory system delivered at best (STREAM's
        convention for a ceiling; slower runs were slowed by something else)."""
        return self.bytes_moved / min(self.timing.times) / 1e9

    @property
    def median_gbs(self) -> float:
        """GB/s at the median run."""
        return self.bytes_moved / self.timing.median / 1e9


def stream_kernel(
    kernel: str = "triad", *, megabytes: int = 256, threads: int | None = None
) -> tuple[Callable[[], None], int, int]:
    """One STREAM run (McCalpin, 1995) as a call to time: returns (call, bytes it moves, threads).

    `kernel` is "copy" (a = b: 16 bytes per element) or "triad" (a = b + 3·c: 24 bytes per
    element); each array holds `megabytes` MiB of float64, far larger than the caches. Each of
    `threads` threads (default: every core this process may use, as BLAS and TensorFlow do)
    streams its own slice; NumPy releases the GIL inside its loops, so the threads run at once.
    The triad works in cache-sized blocks so that its temporary b + 3·c never reaches memory.
    Use it to time the ceiling in turns with other kernels (`side_by_side`), so that other work
    on the machine slows both alike.

    >>> call, moved, threads = bench.stream_kernel("copy")
    >>> moved / bench.time_call(call).median / 1e9  # GB/s
    33.1
    """
    if kernel not in ("copy", "triad"):
        raise ValueError(f"kernel must be 'copy' or 'triad'; got {kernel!r}.")
    if threads is None:
        threads = _usable_cpus()
    if megabytes < 1 or threads < 1:
        raise ValueError(f"need megabytes ≥ 1 and threads ≥ 1; got {megabytes=}, {threads=}.")
    n = megabytes * 2**20 // 8
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    bounds = np.linspace(0, n, threads + 1).astype(int)

    def stream_slice(lo: int, hi: int) -> None:
        temporary = np.empty(_STREAM_BLOCK)
        for start in range(lo, hi, _STREAM_BLOCK):
            end = min(start + _STREAM_BLOCK, hi)
            if kernel == "copy":
                np.copyto(a[start:end], b[start:end])
            else:
                scaled = np.multiply(c[start:end], 3.0, out=temporary[: end - start])
                np.add(b[start:end], scaled, out=a[start:end])

    pool = ThreadPoolExecutor(threads)

    def run() -> None:
        list(pool.map(stream_slice, bounds[:-1].tolist(), bounds[1:].tolist()))

    per_element = 16 if kernel == "copy" else 24
    return run, per_element * n, threads


def stream_bandwidth(
    kernel: str = "triad", *, megabytes: int = 256, threads: int | None = None, repeats: int = 7
) -> Bandwidth:
    """Memory bandwidth as a ceiling, STREAM-style (McCalpin, 1995), on several threads at once.

    Times `stream_kernel(kernel, megabytes=..., threads=...)` `repeats` times after one untimed
    run; see there for the kernels and the threads.

    >>> ceiling = bench.stream_bandwidth("triad")
    >>> ceiling.best_gbs, ceiling.threads
    (32.6, 2)
    """
    if repeats < 1:
        raise ValueError(f"need repeats ≥ 1; got {repeats=}.")
    run, moved, threads = stream_kernel(kernel, megabytes=megabytes, threads=threads)
    timing = time_call(run, repeats=repeats, warmup=1)
    return Bandwidth(kernel=kernel, threads=threads, bytes_moved=moved, timing=timing)


@dataclass(frozen=True)
class Peak:
    """A CPU's theoretical peak: cores × SIMD lanes × FMA units × 2 FLOPs × clock, each number
    with where it came from (`sources`)."""

    dtype: str
    cores: int
    lanes: int
    fma_units: int
    ghz: float
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def flops_per_cycle(self) -> int:
        """FLOPs one core can finish per clock cycle: every lane of every FMA unit does a
        multiply and an add."""
        return self.lanes * self.fma_units * 2

    @property
    def gflops(self) -> float:
        """The theoretical peak in GFLOP/s (NaN when the clock could not be read)."""
        return self.cores * self.flops_per_cycle * self.ghz


_BITS_PER_ELEMENT = {"float64": 64, "float32": 32, "bfloat16": 32}


def theoretical_peak(
    dtype: str = "float32",
    *,
    cores: int | None = None,
    flags: Iterable[str] | None = None,
    ghz: float | None = None,
    fma_units: int | None = None,
) -> Peak:
    """The most FLOP/s this CPU could do, from its own description (Linux: /proc/cpuinfo, sysfs).

    - cores: the cores this process may use (`sched_getaffinity`), divided by the hardware
      threads per core (cpuinfo's `siblings` / `cpu cores`): hyper-threads share one core's units.
    - lanes: the widest vector instructions the flags list (avx512f: 512 bits, avx: 256, sse2 or
      ARM asimd: 128) divided by the bits of a number; for bfloat16 with avx512_bf16, whose
      VDPBF16PS multiplies pairs, twice the float32 lanes (AMX tiles are not counted).
    - clock: sysfs `cpuinfo_max_freq` (the highest clock the OS may use), else the GHz in the
      model name, else cpuinfo's `cpu MHz` (the current or, in a VM, the host's nominal clock).
    - fma_units: per core, an assumption (2 on most server and desktop cores); the OS does not
      report it, nor whether 512-bit instructions run on 256-bit units. One exception is known
      and applied when the flags are read from this CPU: AMD family 25 (Zen 3 and Zen 4) with
      AVX-512, i.e. Zen 4, runs each 512-bit FMA as two halves on its two 256-bit FMA units
      (Yee, 2022), so it counts as one 512-bit unit.

    Any argument given replaces what would be read. The clock is NaN if nothing reports it.

    >>> bench.theoretical_peak(cores=2, flags={"avx512f"}, ghz=2.6).gflops
    332.8
    """
    if dtype not in _BITS_PER_ELEMENT:
        raise ValueError(f"dtype must be one of {sorted(_BITS_PER_ELEMENT)}; got {dtype!r}.")
    if fma_units is not None and fma_units < 1:
        raise ValueError(f"fma_units must be at least 1; got {fma_units}.")
    info = _cpuinfo()
    sources: dict[str, str] = {}
    if cores is None:
        usable = _usable_cpus()
        per_core = 1
        if info.get("siblings") and info.get("cpu cores"):
            per_core = max(1, int(info["siblings"]) // int(info["cpu cores"]))
        cores = max(1, usable // per_core)
        sources["cores"] = (
            f"{usable} usable CPUs (sched_getaffinity) / {per_core} hardware thread(s) per core "
            "(cpuinfo siblings / cpu cores)"
        )
    else:
        sources["cores"] = "given"
    if flags is None:
        flag_set = set((info.get("flags") or info.get("Features") or "").split())
        flag_source = "/proc/cpuinfo flags"
    else:
        flag_set, flag_source = set(flags), "given flags"
    bits, widest = 64, "none"
    for flag, width in (("avx512f", 512), ("avx", 256), ("sse2", 128), ("asimd", 128)):
        if flag in flag_set:
            bits, widest = width, flag
            break
    lanes = bits // _BITS_PER_ELEMENT[dtype]
    how = f"{widest}: {bits}-bit vectors / {_BITS_PER_ELEMENT[dtype]}-bit numbers"
    if dtype == "bfloat16" and "avx512_bf16" in flag_set:
        lanes *= 2
        how = f"avx512_bf16: pairs of bfloat16 per 32-bit lane of {bits}-bit vectors"
    sources["lanes"] = f"{how} ({flag_source})"
    zen4 = (
        flags is None
        and bits == 512
        and info.get("vendor_id") == "AuthenticAMD"
        and info.get("cpu family") == "25"
    )
    if fma_units is not None:
        sources["fma_units"] = "given"
    elif zen4:
        fma_units = 1
        sources["fma_units"] = (
            "1 per core, in 512-bit FMAs: AMD family 25 with AVX-512 (Zen 4) runs a 512-bit FMA "
            "as two halves on its two 256-bit units (Yee, 2022); an assumption (not reported)"
        )
    else:
        fma_units = 2
        sources["fma_units"] = "2 per core: an assumption (not reported)"
    if ghz is None:
        ghz, sources["clock"] = _clock_ghz(info)
    else:
        sources["clock"] = "given"
    return Peak(
        dtype=dtype, cores=cores, lanes=lanes, fma_units=fma_units, ghz=ghz, sources=sources
    )


def _usable_cpus() -> int:
    """Logical CPUs this process may run on (a container or `taskset` can allow fewer)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpuinfo() -> dict[str, str]:
    """The first processor's block of /proc/cpuinfo as a dict (empty where there is none)."""
    info: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def _clock_ghz(info: dict[str, str]) -> tuple[float, str]:
    try:
        khz = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        return int(khz) / 1e6, "sysfs cpufreq/cpuinfo_max_freq (the highest clock the OS may use)"
    except (OSError, ValueError):
        pass
    named = re.search(r"@\s*([\d.]+)\s*GHz", info.get("model name", ""))
    if named:
        return float(named.group(1)), "the model name's GHz (the nominal clock)"
    if info.get("cpu MHz"):
        return float(info["cpu MHz"]) / 1e3, (
            "/proc/cpuinfo cpu MHz (no cpufreq in sysfs: the current clock, or in a virtual "
            "machine the host's nominal one)"
        )
    return float("nan"), "not reported: pass ghz= from the CPU's data sheet"


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
