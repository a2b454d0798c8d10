"""Grid helpers shared by the problem definitions."""

import numpy as np


def axes_from(bounds, counts) -> tuple[np.ndarray, ...]:
    """Closed uniform 1-D grids, one per ``(lo, hi)`` bound."""
    return tuple(np.linspace(lo, hi, n) for (lo, hi), n in zip(bounds, counts, strict=True))
