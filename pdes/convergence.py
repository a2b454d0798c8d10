r"""Observed order of convergence from errors at several resolutions.

For errors :math:`e_i \approx C h_i^p` the order :math:`p` is the least-squares slope of
:math:`\log e` against :math:`\log h`.

>>> round(observed_order([0.1, 0.05, 0.025], [1e-2, 2.5e-3, 6.25e-4]), 6)
2.0
"""

from collections.abc import Sequence

import numpy as np


def observed_order(spacings: Sequence[float], errors: Sequence[float]) -> float:
    """Least-squares slope of ``log(errors)`` against ``log(spacings)``."""
    h = np.asarray(spacings, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    if h.shape != e.shape or h.ndim != 1 or h.size < 2:
        raise ValueError(
            f"need matching 1-D sequences of at least two spacings and errors, got {h.shape} "
            f"and {e.shape}"
        )
    if np.any(h <= 0) or np.any(e <= 0) or not np.all(np.isfinite(e)):
        raise ValueError("spacings and errors must be positive and finite to fit an order")
    slope, _ = np.polyfit(np.log(h), np.log(e), 1)
    return float(slope)
