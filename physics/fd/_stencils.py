r"""Finite-difference weights by Taylor matching, computed once in float64 NumPy at trace time.

For offsets :math:`s_j` (in grid units) the weights :math:`w_j` satisfy

.. math:: \sum_j w_j\, u(x + s_j h) + c\, h\, u'(x + s_0 h) = h^m u^{(m)}(x) + O(h^{N})

where the optional derivative datum ``c`` carries a Neumann boundary value. With ``N`` unknowns the
conditions are the Taylor terms :math:`k = 0, \dots, N-1`, so a one-sided stencil is of order
``N - m`` and a centred one gains one order from symmetry.
"""

import math
from functools import cache

import numpy as np


@cache
def taylor_weights(
    offsets: tuple[int, ...], derivative: int, datum_offset: int | None = None
) -> tuple[tuple[float, ...], float]:
    """Weights for the ``derivative``-th derivative from values at ``offsets``.

    Returns ``(weights, datum_weight)``; ``datum_weight`` multiplies ``h * u'`` at
    ``datum_offset`` and is 0.0 when no datum is used.
    """
    n = len(offsets) + (datum_offset is not None)
    if n <= derivative:
        raise ValueError(f"{n} unknowns cannot approximate a derivative of order {derivative}")
    matrix = np.zeros((n, n))
    for k in range(n):
        for j, s in enumerate(offsets):
            matrix[k, j] = float(s) ** k / math.factorial(k)
        if datum_offset is not None and k >= 1:
            matrix[k, -1] = float(datum_offset) ** (k - 1) / math.factorial(k - 1)
    rhs = np.zeros(n)
    rhs[derivative] = 1.0
    solution = np.linalg.solve(matrix, rhs)
    datum = float(solution[-1]) if datum_offset is not None else 0.0
    return tuple(float(w) for w in solution[: len(offsets)]), datum


def centred_offsets(accuracy: int) -> tuple[int, ...]:
    """Offsets of the centred stencil of the given even accuracy (first or second derivative)."""
    half = accuracy // 2
    return tuple(range(-half, half + 1))


def one_sided_offsets(
    row: int, derivative: int, accuracy: int, with_datum: bool
) -> tuple[int, ...]:
    """Offsets for row ``row`` (distance from the boundary node), reaching into the interior.

    ``accuracy + derivative`` unknowns give a stencil of order ``accuracy``; a Neumann datum
    replaces one of the values.
    """
    count = accuracy + derivative - int(with_datum)
    return tuple(range(-row, -row + count))
