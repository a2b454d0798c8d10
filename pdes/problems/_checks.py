"""Parameter checks shared by the problem definitions."""

import numpy as np


def positive(problem: str, **values: float) -> None:
    """Fail with a clear message unless every value is a finite positive number."""
    for name, value in values.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{problem}: {name} must be a positive number, got {value!r}")


def grid_sizes(problem: str, **sizes: int) -> None:
    """Reference-grid sizes must be integers of at least 2."""
    for name, value in sizes.items():
        if not (isinstance(value, int) and value >= 2):
            raise ValueError(f"{problem}: {name} must be an integer >= 2, got {value!r}")


def axes_from(bounds, counts) -> tuple[np.ndarray, ...]:
    """Closed uniform 1-D grids, one per ``(lo, hi)`` bound."""
    return tuple(np.linspace(lo, hi, n) for (lo, hi), n in zip(bounds, counts, strict=True))
