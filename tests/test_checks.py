import numpy as np
import pytest

from hpclearn import checks


def test_close_passes_within_tolerance():
    checks.close(1.0 + 1e-9, 1.0, "x")
    checks.close([1.0, 2.0], np.array([1.0, 2.0]), "x")


def test_close_names_the_value_and_the_difference():
    with pytest.raises(AssertionError, match=r"flops\(2, 3, 4\): expected 48, got 24"):
        checks.close(24, 48, "flops(2, 3, 4)")


def test_close_points_at_the_worst_element():
    with pytest.raises(AssertionError, match=r"1 of 3 values differ.*index \(2,\)"):
        checks.close([1.0, 2.0, 9.0], [1.0, 2.0, 3.0], "v")


def test_close_reports_shape_mismatch_and_nan_and_non_numbers():
    with pytest.raises(AssertionError, match="expected shape"):
        checks.close([1.0, 2.0], [1.0, 2.0, 3.0], "v")
    with pytest.raises(AssertionError, match="NaN"):
        checks.close(float("nan"), 1.0, "v")
    with pytest.raises(AssertionError, match="expected a number"):
        checks.close("abc", 1.0, "v")


def test_close_adds_the_hint():
    with pytest.raises(AssertionError, match="Hint: count multiply and add"):
        checks.close(1, 2, "v", hint="count multiply and add")


def test_equal_and_shape_and_instance_and_finite():
    checks.equal("memory", "memory", "bound")
    with pytest.raises(AssertionError, match="expected 'compute', got 'memory'"):
        checks.equal("memory", "compute", "bound")
    checks.has_shape(np.zeros((2, 3)), (2, 3), "a")
    with pytest.raises(AssertionError, match=r"expected shape \(3, 2\), got \(2, 3\)"):
        checks.has_shape(np.zeros((2, 3)), (3, 2), "a")
    checks.is_instance(3, int, "n")
    with pytest.raises(AssertionError, match="without a `return`"):
        checks.is_instance(None, (int, float), "n")
    checks.all_finite([1.0, 2.0], "losses")
    with pytest.raises(AssertionError, match="1 of 2 values are NaN or infinite"):
        checks.all_finite([1.0, np.inf], "losses")


def test_checks_import_without_tensorflow(run_python):
    result = run_python(
        "import sys, hpclearn.checks; print('tensorflow' in sys.modules)", timeout=60
    )
    assert result.stdout.strip() == "False"
