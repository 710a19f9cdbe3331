"""TensorFlow and Keras, imported once with their start-up log lines silenced.

TensorFlow's C++ runtime writes to file descriptor 2 before `TF_CPP_MIN_LOG_LEVEL` takes effect
(oneDNN banners, CUDA probing on machines without a GPU). Those lines reach notebooks as stderr at
random moments and make outputs differ between runs, so they are sent to /dev/null while
TensorFlow loads and first lists its devices. Errors still raise as Python exceptions.
TensorFlow's Python logger is set to WARNING, so strategies do not announce themselves.
"""

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 2 to /dev/null inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with silenced_stderr():
    import keras
    import tensorflow as tf

    tf.config.list_physical_devices()

# TensorFlow's Python logger announces every strategy and reduction at INFO level ("Using
# MirroredStrategy with devices ..."): lesson output should show only what the lesson prints.
tf.get_logger().setLevel("WARNING")


def wait_for(result: object) -> None:
    """Block until every tensor in `result` is computed: TensorFlow may return before a GPU has
    finished, so a timer stopped without this measures only the dispatch."""
    for leaf in tf.nest.flatten(result):
        if isinstance(leaf, tf.Tensor | tf.Variable):
            leaf.numpy()


__all__ = ["keras", "silenced_stderr", "tf", "wait_for"]
