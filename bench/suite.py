"""The measurements behind every performance claim of the course: the registry of `make bench`'s
parts, one module per part in `bench/parts/`, in the order the report lists them.

The shared pieces (`Sizes`, `Figure`, `Section`, the ratio helpers) live in `bench.core`; they
are importable from here too, for `bench/__main__.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.core import SIZES, Figure, Section, Sizes, blas_libraries, merge
from bench.parts import (
    data_parallel,
    distillation,
    input_pipeline,
    matmul,
    multi_worker,
    notebooks,
    pruning,
    quantization,
    xla_and_precision,
)
from hpclearn import devices
from hpclearn._tf import silenced_stderr, tf

__all__ = ["SIZES", "SUITE", "Figure", "Section", "Sizes", "blas_libraries", "merge", "prepare"]

SUITE: list[tuple[str, Callable[[Sizes], Section]]] = [
    ("matmul and bandwidth", matmul.matmul),
    ("tf.data", input_pipeline.input_pipeline),
    ("data parallelism", data_parallel.data_parallel),
    ("XLA and bfloat16", xla_and_precision.xla_and_precision),
    ("pruning", pruning.pruning_at),
    ("quantization", quantization.quantization),
    ("distillation", distillation.distillation),
    ("multi-worker", multi_worker.multi_worker),
    ("notebooks", notebooks.notebooks),
]


def prepare() -> None:
    """Four simulated CPU devices when there is no GPU, before TensorFlow creates its devices."""
    with silenced_stderr():
        if not tf.config.list_physical_devices("GPU"):
            devices.simulate_devices(4)
    devices.seed_everything(0, deterministic=False)
