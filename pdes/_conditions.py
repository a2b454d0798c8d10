r"""Boundary conditions of a problem, one per spatial axis (both faces of the axis).

Values are functions of the boundary point ``z`` (time first), so a condition may vary in space
and time. ``Neumann`` prescribes :math:`\partial u / \partial x_i` (the derivative along the axis,
not the outward normal).
"""

from collections.abc import Callable
from dataclasses import dataclass

from jaxtyping import Array

PointFn = Callable[[Array], Array]


@dataclass(frozen=True)
class Periodic:
    """u and its derivatives agree on the two faces."""


@dataclass(frozen=True)
class Dirichlet:
    """u(z) = value(z) on both faces."""

    value: PointFn


@dataclass(frozen=True)
class Neumann:
    """du/dx_i (z) = value(z) on both faces."""

    value: PointFn


Condition = Periodic | Dirichlet | Neumann
