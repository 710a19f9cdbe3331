"""Assertions for the notebooks' visible test cells: each failure says what is wrong and how to
fix it, in the student's terms.

These helpers explain; they do not decide grades. An answer cell runs in the same process and
could rebind anything here, so hidden tests compare plain values with plain operators.
This module needs only NumPy, so test cells stay fast.

Two more helpers back the lesson's prose with the run itself. `claim` asserts a measured outcome
that holds on any machine with a margin (nbval then fails if it ever stops holding); `verdict`
reports one that depends on the machine, computed from the run's own figures, so the markdown
around it never has to quote a number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["all_finite", "claim", "close", "equal", "has_shape", "is_instance", "verdict"]


def _fail(what: str, problem: str, hint: str) -> None:
    message = f"{what}: {problem}"
    if hint:
        message += f"\nHint: {hint}"
    raise AssertionError(message)


def close(
    actual: object,
    expected: object,
    what: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hint: str = "",
) -> None:
    """Pass if `actual` equals `expected` within |actual − expected| ≤ atol + rtol·|expected|,
    element by element; otherwise say where and by how much they differ.

    >>> checks.close(matmul_flops(2, 3, 4), 48, "matmul_flops(2, 3, 4)")
    """
    try:
        got = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(what, f"expected a number or an array of numbers, got {type(actual).__name__}.", hint)
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        _fail(what, f"expected shape {want.shape}, got shape {got.shape}.", hint)
    if np.isnan(got).any():
        _fail(what, "the result contains NaN.", hint or "look for a division by zero or log(0).")
    ok = np.abs(got - want) <= atol + rtol * np.abs(want)
    if not ok.all():
        if got.ndim == 0:
            _fail(what, f"expected {float(want):.6g}, got {float(got):.6g}.", hint)
        worst = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
        _fail(
            what,
            f"{int((~ok).sum())} of {ok.size} values differ; the largest difference is at index "
            f"{tuple(int(i) for i in worst)}: expected {want[worst]:.6g}, got {got[worst]:.6g}.",
            hint,
        )


def equal(actual: object, expected: object, what: str, *, hint: str = "") -> None:
    """Pass if `actual == expected` (for exact values: strings, integers, booleans, tuples).

    >>> checks.equal(bound(0.5, 100, 20), "memory", "bound at intensity 0.5")
    """
    if not bool(actual == expected):
        _fail(what, f"expected {expected!r}, got {actual!r}.", hint)


def has_shape(array: object, shape: Sequence[int], what: str, *, hint: str = "") -> None:
    """Pass if `array` has exactly `shape`.

    >>> checks.has_shape(model(x), (32, 10), "model output")
    """
    got = tuple(np.shape(array))
    if got != tuple(shape):
        _fail(what, f"expected shape {tuple(shape)}, got {got}.", hint)


def is_instance(
    value: object, types: type | tuple[type, ...], what: str, *, hint: str = ""
) -> None:
    """Pass if `value` is an instance of `types`.

    >>> checks.is_instance(matmul_flops(2, 3, 4), int, "matmul_flops(2, 3, 4)")
    """
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        if value is None:
            hint = hint or "did the function end without a `return` statement?"
        _fail(what, f"expected {names}, got {type(value).__name__}.", hint)


def all_finite(array: object, what: str, *, hint: str = "") -> None:
    """Pass if every value in `array` is a finite number (no NaN, no ±inf).

    >>> checks.all_finite(losses, "training losses")
    """
    values = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        _fail(what, f"{int(bad.sum())} of {values.size} values are NaN or infinite.", hint)


def claim(statement: str, holds: bool, *, measured: str) -> None:
    """Assert a claim the lesson makes about what the run measured, and print it as checked.

    Use it where the claim holds on any machine with a safe margin; the failure names the claim
    and the figure that broke it. `measured` is the evidence, with units.

    >>> checks.claim("4 replicas train the same weights as 1 device", diff < 1e-5,
    ...              measured=f"largest difference {diff:.1e}")
    checked: 4 replicas train the same weights as 1 device [measured: largest difference 3.1e-08]
    """
    if not bool(holds):
        raise AssertionError(
            f"The lesson claims: {statement}. This run measured {measured}, which contradicts it."
            "\nHint: if the machine was very busy, run the notebook again; if it still fails, "
            "the claim is wrong for this machine: please report it."
        )
    print(f"checked: {statement} [measured: {measured}]")


def verdict(
    statement: str, holds: bool, *, measured: str, because: str = "", otherwise: str = ""
) -> bool:
    """Print whether a machine-dependent outcome happened in this run, and return it.

    `because` explains a yes, `otherwise` a no; the markdown around the cell is written so that it
    is right either way, and later cells may branch on the returned value.

    >>> speedup = naive.median / parallel.median
    >>> checks.verdict("parallel map beats the sequential map", speedup > 1.2,
    ...                measured=f"{speedup:.2f}×", otherwise="decoding already uses every core")
    on this machine: parallel map beats the sequential map — no [measured: 1.02×]: decoding ...
    """
    holds = bool(holds)
    reason = because if holds else otherwise
    line = f"on this machine: {statement} — {'yes' if holds else 'no'} [measured: {measured}]"
    print(f"{line}: {reason}" if reason else line)
    return holds
