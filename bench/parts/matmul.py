"""The ceilings: matrix-product FLOP/s against NumPy's BLAS and the peak, and STREAM bandwidth."""

from __future__ import annotations

import numpy as np

from bench.core import Section, Sizes, blas_libraries, rate, ratio
from hpclearn import bench
from hpclearn._tf import tf


def matmul(sizes: Sizes) -> Section:
    n = sizes.matmul_n
    section = Section("Matrix products and memory bandwidth: the roofline's two ceilings")
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float64).astype(np.float32) for _ in range(2))
    ta, tb = tf.constant(a), tf.constant(b)
    ta16, tb16 = tf.cast(ta, tf.bfloat16), tf.cast(tb, tf.bfloat16)
    tf32_product = tf.function(lambda: tf.linalg.matmul(ta, tb)[0, 0], jit_compile=False)
    bf16_product = tf.function(lambda: tf.linalg.matmul(ta16, tb16)[0, 0], jit_compile=False)
    timings = bench.side_by_side(
        {
            "numpy": lambda: lambda: a @ b,
            "tf32": lambda: tf32_product,
            "bf16": lambda: bf16_product,
        },
        repeats=sizes.repeats,
    )
    flops = 2 * n**3
    section.add(
        rate(
            "matmul.numpy_fp32",
            f"NumPy/BLAS float32 matmul, n={n}",
            flops / 1e9,
            timings["numpy"],
            "GFLOP/s",
        ),
        rate(
            "matmul.tf_fp32",
            f"TensorFlow float32 matmul, n={n}",
            flops / 1e9,
            timings["tf32"],
            "GFLOP/s",
        ),
        rate(
            "matmul.tf_bf16",
            f"TensorFlow bfloat16 matmul, n={n}",
            flops / 1e9,
            timings["bf16"],
            "GFLOP/s",
        ),
        ratio(
            "matmul.tf_vs_blas",
            "TensorFlow float32 / NumPy float32 speed",
            timings["numpy"],
            timings["tf32"],
        ),
        ratio(
            "matmul.bf16_vs_fp32",
            "TensorFlow bfloat16 / float32 speed",
            timings["tf32"],
            timings["bf16"],
        ),
    )
    # The roofline's bandwidth is a ceiling: STREAM's kernels on every core, as 00_hardware
    # measures it; a one-thread copy beside it shows how far one core falls short.
    streams = {
        kernel: bench.stream_bandwidth(kernel, megabytes=sizes.bandwidth_mb, repeats=sizes.repeats)
        for kernel in ("copy", "triad")
    }
    best = max(streams.values(), key=lambda s: s.best_gbs)
    section.add(
        rate(
            "memory.bandwidth",
            f"STREAM {best.kernel} on {best.threads} threads, {sizes.bandwidth_mb} MiB arrays",
            best.bytes_moved / 1e9,
            best.timing,
            "GB/s",
        )
    )
    _, copy = bench.memory_bandwidth(sizes.bandwidth_mb, repeats=sizes.repeats)
    section.add(
        rate(
            "memory.copy_one_thread",
            f"NumPy copy of {sizes.bandwidth_mb} MiB on one thread (read + write)",
            2 * sizes.bandwidth_mb * 2**20 / 1e9,
            copy,
            "GB/s",
        )
    )
    section.notes.append(f"NumPy's BLAS: {', '.join(blas_libraries()) or 'unknown'}.")
    return section
