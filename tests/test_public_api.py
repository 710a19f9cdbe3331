"""The public surface of each module is pinned: a change to it is a change to the course."""

import importlib

import pytest

PUBLIC = {
    "devices": ["Hardware", "describe", "seed_everything", "simulate_devices", "strategy"],
    "data": ["Split", "binary_classification", "digits", "mnist", "pipeline", "rgb_images"],
    "models": ["lenet", "simple_net"],
    "bench": [
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
    ],
    "cluster": ["Cluster", "TaskResult", "free_ports", "slurm_resolver"],
    "checks": ["all_finite", "claim", "close", "equal", "has_shape", "is_instance", "verdict"],
    "plots": ["curves", "pipeline", "roofline"],
    "parallel": ["Network", "Task", "Timeline"],
    "deploy": ["file_size", "interpreter", "latency", "predict", "to_tflite"],
    "pruning": [
        "MagnitudePruning",
        "gzip_size",
        "prunable_kernels",
        "remove_neurons",
        "sparse_tflite",
        "sparsity",
        "tflite_ops",
    ],
    "student": [
        "Change",
        "Report",
        "TestResult",
        "configure_lab",
        "grade",
        "release",
        "update_workspace",
        "validate",
    ],
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_module_exports_exactly_its_public_names(name):
    module = importlib.import_module(f"hpclearn.{name}")
    assert sorted(module.__all__) == PUBLIC[name]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_function_has_a_docstring_with_an_example(name):
    module = importlib.import_module(f"hpclearn.{name}")
    for public in module.__all__:
        obj = getattr(module, public)
        assert obj.__doc__, f"hpclearn.{name}.{public} has no docstring"
        if callable(obj) and not isinstance(obj, type):
            assert ">>>" in obj.__doc__, f"hpclearn.{name}.{public} shows no example"
