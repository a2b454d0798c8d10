"""Argument checks shared by the operators: one clear message per kind of mistake."""

import operator

import jax


def axis_index(axis: int, ndim: int, what: str = "a field with {ndim} axes") -> int:
    """``axis`` as a non-negative index, or a ValueError naming the valid range."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise ValueError(f"axis must be an integer, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for " + what.format(ndim=ndim))
    return axis % ndim


def positive_int(name: str, value, minimum: int = 1) -> int:
    """An integer (Python or NumPy) of at least ``minimum``."""
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def positive_spacing(h) -> None:
    """Grid steps and periods must be positive (checked when they are concrete numbers)."""
    if isinstance(h, jax.core.Tracer):
        return
    try:
        value = float(h)
    except (TypeError, ValueError):
        raise ValueError(f"grid spacing must be a positive number, got {h!r}") from None
    if not value > 0:
        raise ValueError(f"grid spacing must be positive, got {h}")
