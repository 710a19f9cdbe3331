"""hpclearn: the helper package of the hpclearn course.

The notebooks show the ideas; this package holds the plumbing they would otherwise repeat.
Import the modules you need, one concern each::

    from hpclearn import devices, data, models, bench, checks, plots

Importing the package does nothing but lower TensorFlow's C++ log level. Device simulation,
seeding and plotting style are explicit calls.
"""

import os

# TensorFlow reads this when its C++ runtime loads; it must be set before anything imports it.
# Level 3 hides C++ ERROR lines too: with op determinism on (`seed_everything`), the first Keras
# `fit` on arrays logs a harmless "NodeDef mentions attribute use_unbounded_threadpool" error
# line (tf.data rewrites its parallel map) that would make notebook outputs differ between runs.
# Real failures still raise Python exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
__all__: list[str] = []
