"""Argument checks shared by problems and solvers: one clear message per kind of mistake."""

import numbers

import jax
import numpy as np


def positive(owner: str, **values) -> None:
    """Every value is a finite positive real number (traced values are not checked)."""
    for name, value in values.items():
        if isinstance(value, jax.core.Tracer):
            continue
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (ok and np.isfinite(value) and value > 0):
            raise ValueError(f"{owner}: {name} must be a positive number, got {value!r}")


def integer(owner: str, minimum: int = 1, **values) -> None:
    """Every value is an integer (Python or NumPy, not bool) of at least ``minimum``."""
    for name, value in values.items():
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if not (ok and value >= minimum):
            raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
