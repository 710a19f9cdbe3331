"""Other answers to 00_hardware's exercises, written as students plausibly would: each right one
must earn the exercise's full marks, each wrong one nothing."""

RIGHT = {
    "matmul_flops": {
        "validation per size, products added": """def matmul_flops(m, k, n):
    for size in (m, k, n):
        if size < 1:
            raise ValueError(f"sizes must be at least 1, got {size}")
    multiplies = m * k * n
    adds = m * k * n
    return multiplies + adds""",
        "a loop over the outputs": """def matmul_flops(m, k, n):
    if m <= 0 or k <= 0 or n <= 0:
        raise ValueError("every size must be positive")
    total = 0
    for _ in range(m):
        total += 2 * k * n
    return total""",
        "any() and an int cast": """def matmul_flops(m, k, n):
    if any(s < 1 for s in [m, k, n]):
        raise ValueError("bad size")
    return int(2 * m * n * k)""",
    },
    "time_median": {
        "NumPy's median, time.time, warm-up results waited for too": """import time
import numpy as np


def time_median(fn, repeats=5, warmup=1):
    if warmup < 0:
        raise ValueError("warmup must be >= 0")
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    for _ in range(warmup):
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
    durations = []
    for _ in range(repeats):
        t0 = time.time()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        durations.append(time.time() - t0)
    return np.median(durations)""",
        "sorted list, median by hand, monotonic clock": """import time


def time_median(fn, repeats=5, warmup=1):
    if not (repeats >= 1 and warmup >= 0):
        raise ValueError(f"bad repeats={repeats} or warmup={warmup}")
    for i in range(warmup):
        fn()
    times = []
    i = 0
    while i < repeats:
        start = time.monotonic()
        out = fn()
        if hasattr(out, "numpy"):
            out.numpy()
        times.append(time.monotonic() - start)
        i += 1
    times.sort()
    middle = len(times) // 2
    if len(times) % 2 == 1:
        return float(times[middle])
    return (times[middle - 1] + times[middle]) / 2""",
        "perf_counter_ns, getattr for the wait": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be at least 1 and warmup at least 0")
    for _ in range(warmup):
        fn()
    ns = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        value = fn()
        wait = getattr(value, "numpy", None)
        if callable(wait):
            wait()
        ns.append(time.perf_counter_ns() - t)
    return statistics.median(ns) / 1e9""",
    },
    "roofline_time": {
        "if/else on the ridge, ints fine": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("ceilings must be positive")
    if flops < 0 or bytes_moved < 0:
        raise ValueError("work cannot be negative")
    compute = flops / peak_gflops / 1e9
    memory = bytes_moved / bandwidth_gbs / 1e9
    if compute > memory:
        return float(compute)
    return float(memory)""",
        "in nanoseconds first, then seconds": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    for name, value in [("flops", flops), ("bytes_moved", bytes_moved)]:
        if value < 0:
            raise ValueError(f"{name} must be >= 0")
    for name, value in [("peak_gflops", peak_gflops), ("bandwidth_gbs", bandwidth_gbs)]:
        if not value > 0:
            raise ValueError(f"{name} must be > 0")
    nanoseconds = max(flops / peak_gflops, bytes_moved / bandwidth_gbs)
    return nanoseconds * 1e-9""",
        "not-greater guards": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if not flops >= 0 or not bytes_moved >= 0:
        raise ValueError("work must be >= 0")
    if not peak_gflops > 0 or not bandwidth_gbs > 0:
        raise ValueError("ceilings must be > 0")
    return max(flops / (peak_gflops * 1e9), bytes_moved / (bandwidth_gbs * 1e9))""",
    },
}

WRONG = {
    "matmul_flops": {
        "forgets the factor 2": """def matmul_flops(m, k, n):
    if min(m, k, n) < 1:
        raise ValueError("sizes must be at least 1")
    return m * k * n""",
        "k - 1 additions per output": """def matmul_flops(m, k, n):
    if min(m, k, n) < 1:
        raise ValueError("sizes must be at least 1")
    return m * n * (2 * k - 1)""",
        "accepts a size of 0": """def matmul_flops(m, k, n):
    if min(m, k, n) < 0:
        raise ValueError("sizes cannot be negative")
    return 2 * m * k * n""",
        "no validation": """def matmul_flops(m, k, n):
    return 2 * m * k * n""",
        "validates with assert (AssertionError)": """def matmul_flops(m, k, n):
    assert m >= 1 and k >= 1 and n >= 1, "sizes must be at least 1"
    return 2 * m * k * n""",
    },
    "time_median": {
        "bench.time_call, which waits for tensors only": """from hpclearn import bench


def time_median(fn, repeats=5, warmup=1):
    return bench.time_call(fn, repeats=repeats, warmup=warmup).median""",
        "the mean, not the median": """import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)""",
        "times the warm-up calls too": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    times = []
    for _ in range(warmup + repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))""",
        "does not wait for the result": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))""",
        "CPU time instead of wall-clock time": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.process_time() - start)
    return float(statistics.median(times))""",
        "upper middle for an even count": """import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(sorted(times)[len(times) // 2])""",
        "waits only for real TensorFlow tensors": """import statistics
import time

import tensorflow as tf


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if isinstance(r, tf.Tensor):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))""",
        "validates repeats but not warmup": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))""",
        "one extra untimed call": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup + 1):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))""",
        "returns milliseconds": """import statistics
import time


def time_median(fn, repeats=5, warmup=1):
    if repeats < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = fn()
        if hasattr(r, "numpy"):
            r.numpy()
        times.append(time.perf_counter() - start)
    return float(statistics.median(times)) * 1000""",
    },
    "roofline_time": {
        "checks only < 0 for the ceilings": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if flops < 0 or bytes_moved < 0 or peak_gflops < 0 or bandwidth_gbs < 0:
        raise ValueError("negative input")
    return max(flops / (peak_gflops * 1e9), bytes_moved / (bandwidth_gbs * 1e9))""",
        "adds the two times": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if flops < 0 or bytes_moved < 0 or peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("bad input")
    return flops / (peak_gflops * 1e9) + bytes_moved / (bandwidth_gbs * 1e9)""",
        "min instead of max": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if flops < 0 or bytes_moved < 0 or peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("bad input")
    return min(flops / (peak_gflops * 1e9), bytes_moved / (bandwidth_gbs * 1e9))""",
        "rejects 0 FLOPs": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if flops <= 0 or bytes_moved < 0 or peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("bad input")
    return max(flops / (peak_gflops * 1e9), bytes_moved / (bandwidth_gbs * 1e9))""",
        "never checks negative work": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("ceilings must be positive")
    return max(flops / (peak_gflops * 1e9), bytes_moved / (bandwidth_gbs * 1e9))""",
        "forgets that G means 1e9": """def roofline_time(
    flops, bytes_moved, peak_gflops, bandwidth_gbs
):
    if flops < 0 or bytes_moved < 0 or peak_gflops <= 0 or bandwidth_gbs <= 0:
        raise ValueError("bad input")
    return max(flops / peak_gflops, bytes_moved / bandwidth_gbs)""",
    },
}
