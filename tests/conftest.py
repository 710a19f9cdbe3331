"""Shared test fixtures. TensorFlow fixes its devices once per process, so tests that need a
particular device layout run their code in a fresh interpreter through `run_python`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_python():
    """Run a snippet in a fresh Python process; return its CompletedProcess (text output)."""

    def run(code: str, *, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )

    return run
