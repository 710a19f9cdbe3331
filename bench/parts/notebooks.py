"""The course: how long every notebook takes to execute headless."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from bench.core import Figure, Section, Sizes


def notebooks(sizes: Sizes) -> Section:
    """Every source notebook executed headless, once, in a scratch copy of its folder."""
    section = Section("The course: execution time of every notebook")
    total = 0.0
    for path in sizes.notebooks:
        with tempfile.TemporaryDirectory() as scratch:
            command = [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=600",
                "--output-dir",
                scratch,
                str(path),
            ]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=path.parent)
            seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{path.name} failed to execute:\n{done.stderr[-2000:]}")
        total += seconds
        section.add(Figure(f"notebook.{path.stem}", path.stem, seconds, "s"))
    section.add(Figure("notebook.total", "all notebooks", total, "s"))
    section.notes.append(
        "One headless run each (nbconvert with nbclient, a fresh kernel per "
        "notebook), including the kernel's start-up."
    )
    return section
