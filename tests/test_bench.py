import math
import os
import time

import numpy as np
import pytest

from hpclearn import bench
from hpclearn._tf import tf


def test_timing_median_spread_and_rate():
    timing = bench.Timing((1.0, 2.0, 3.0, 4.0, 100.0))
    assert timing.repeats == 5
    assert timing.median == 3.0
    assert timing.spread == 2.0  # interquartile range: 4 − 2, the outlier does not move it
    assert timing.rate(30) == 10.0
    assert bench.Timing((0.5,)).spread == 0.0


def test_time_call_runs_warmup_then_repeats():
    calls = []
    timing = bench.time_call(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6
    assert timing.repeats == 4


def test_time_call_measures_elapsed_time():
    timing = bench.time_call(lambda: time.sleep(0.02), repeats=3, warmup=0)
    assert 0.02 <= timing.median < 0.2


def test_time_call_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats"):
        bench.time_call(lambda: None, repeats=0)


@pytest.mark.parametrize("library", ["numpy", "tensorflow"])
def test_matmul_reports_flops_from_the_median(library):
    result = bench.matmul(128, library=library, repeats=3)
    assert result.gflops == pytest.approx(2 * 128**3 / result.timing.median / 1e9)
    assert math.isfinite(result.gflops) and result.gflops > 0


def test_matmul_supports_bfloat16_in_tensorflow_only():
    assert bench.matmul(64, dtype="bfloat16", repeats=1).gflops > 0
    with pytest.raises(ValueError, match="NumPy"):
        bench.matmul(64, dtype="bfloat16", library="numpy")
    with pytest.raises(ValueError, match="library"):
        bench.matmul(64, library="torch")


def test_matmul_with_xla_computes_the_same_product():
    a = tf.random.uniform((32, 32), seed=0)
    eager = tf.linalg.matmul(a, a)
    compiled = tf.function(tf.linalg.matmul, jit_compile=True)(a, a)
    np.testing.assert_allclose(eager.numpy(), compiled.numpy(), rtol=1e-5)
    assert bench.matmul(32, jit_compile=True, repeats=1).gflops > 0


def test_memory_bandwidth_is_a_plausible_rate():
    gb_per_s, timing = bench.memory_bandwidth(16, repeats=3)
    assert timing.repeats == 3
    assert 0.1 < gb_per_s < 10_000


def test_blas_info_names_numpys_blas():
    libs = bench.blas_info()
    assert any(lib["internal_api"] in {"openblas", "mkl", "blis", "accelerate"} for lib in libs)


def test_table_formats_markdown_with_significant_digits():
    text = bench.table([{"n": 1024, "GFLOP/s": 312.44}, {"n": 64, "GFLOP/s": 1.23456}])
    assert text.splitlines() == [
        "| n | GFLOP/s |",
        "|---|---|",
        "| 1024 | 312 |",
        "| 64 | 1.23 |",
    ]
    assert "1234 |" in bench.table([{"x": 1234.4}])


def test_table_rejects_rows_with_different_keys():
    with pytest.raises(ValueError, match="keys"):
        bench.table([{"a": 1}, {"b": 2}])
    with pytest.raises(ValueError, match="at least one row"):
        bench.table([])


def test_side_by_side_times_every_alternative_in_turns_after_setting_it_up():
    events = []

    def setup(name):
        def prepared():
            events.append(("setup", name))
            return lambda: events.append(("run", name))

        return prepared

    timings = bench.side_by_side({"a": setup("a"), "b": setup("b")}, repeats=2, warmup=1)
    assert [t.repeats for t in timings.values()] == [2, 2]
    runs = [name for kind, name in events if kind == "run"]
    assert runs == ["a", "b"] * 3  # one warm-up round, then two timed rounds, in turns
    assert events[0] == ("setup", "a") and events[1] == ("run", "a")


def test_side_by_side_rejects_empty_setups_and_bad_repeats():
    with pytest.raises(ValueError, match="at least one setup"):
        bench.side_by_side({})
    with pytest.raises(ValueError, match="repeats"):
        bench.side_by_side({"a": lambda: lambda: None}, repeats=0)


def test_matmul_call_is_the_product_matmul_times():
    product = bench.matmul_call(8, library="numpy")
    assert product().shape == (8, 8)
    assert float(bench.matmul_call(8)().numpy()) > 0  # TensorFlow: one element, a tf.Tensor
    with pytest.raises(ValueError, match="library"):
        bench.matmul_call(8, library="torch")


@pytest.mark.parametrize(("kernel", "per_element"), [("copy", 16), ("triad", 24)])
def test_stream_bandwidth_counts_stream_bytes_on_every_thread(kernel, per_element):
    result = bench.stream_bandwidth(kernel, megabytes=8, threads=2, repeats=3)
    assert result.threads == 2 and result.timing.repeats == 3
    assert result.bytes_moved == per_element * 8 * 2**20 // 8
    assert result.best_gbs >= result.median_gbs > 0.1


def test_stream_bandwidth_defaults_to_every_usable_cpu_and_rejects_bad_input():
    assert bench.stream_bandwidth("copy", megabytes=1, repeats=1).threads == len(
        os.sched_getaffinity(0)
    )
    with pytest.raises(ValueError, match="kernel"):
        bench.stream_bandwidth("scale")
    with pytest.raises(ValueError, match="threads"):
        bench.stream_bandwidth("copy", threads=0)


def test_theoretical_peak_multiplies_cores_lanes_fma_units_and_clock():
    peak = bench.theoretical_peak(cores=2, flags={"avx512f", "avx", "sse2"}, ghz=2.6)
    assert (peak.lanes, peak.fma_units, peak.flops_per_cycle) == (16, 2, 64)
    assert peak.gflops == pytest.approx(2 * 16 * 2 * 2 * 2.6)
    assert bench.theoretical_peak("float64", cores=1, flags={"avx"}, ghz=1.0).lanes == 4
    assert bench.theoretical_peak(cores=1, flags={"asimd"}, ghz=1.0).lanes == 4
    assert "assumption" in peak.sources["fma_units"]


def test_theoretical_peak_counts_bfloat16_pairs_only_with_avx512_bf16():
    with_bf16 = bench.theoretical_peak("bfloat16", cores=1, flags={"avx512f", "avx512_bf16"}, ghz=1)
    without = bench.theoretical_peak("bfloat16", cores=1, flags={"avx512f"}, ghz=1)
    assert (with_bf16.lanes, without.lanes) == (32, 16)


def test_theoretical_peak_reads_this_machine_and_says_where_from():
    peak = bench.theoretical_peak()
    assert peak.cores >= 1 and peak.lanes >= 2
    assert set(peak.sources) == {"cores", "lanes", "clock", "fma_units"}
    with pytest.raises(ValueError, match="dtype"):
        bench.theoretical_peak("int8")


def test_numpy_blas_is_the_library_numpy_loaded():
    np.ones((4, 4)) @ np.ones((4, 4))
    lib = bench.numpy_blas()
    assert lib["internal_api"] in {"openblas", "mkl", "blis", "accelerate"}
    assert lib in [{**entry, "vector_bits": lib["vector_bits"]} for entry in bench.blas_info()]
    assert "numpy" in str(lib["filepath"])  # the pip wheel's copy inside numpy.libs


def test_theoretical_peak_counts_zen4_512_bit_fma_as_one_unit(monkeypatch):
    zen4 = {"vendor_id": "AuthenticAMD", "cpu family": "25", "flags": "avx512f avx sse2"}
    monkeypatch.setattr(bench, "_cpuinfo", lambda: dict(zen4))
    assert bench.theoretical_peak(cores=1, ghz=1.0).fma_units == 1
    assert bench.theoretical_peak(cores=1, ghz=1.0, fma_units=2).fma_units == 2
    monkeypatch.setattr(bench, "_cpuinfo", lambda: dict(zen4, flags="avx sse2"))
    assert bench.theoretical_peak(cores=1, ghz=1.0).fma_units == 2


def test_stream_kernel_is_one_timeable_run():
    call, moved, threads = bench.stream_kernel("triad", megabytes=8, threads=2)
    assert (moved, threads) == (24 * 8 * 2**20 // 8, 2)
    assert bench.time_call(call, repeats=2).median > 0
