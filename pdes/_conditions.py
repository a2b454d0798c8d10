r"""Boundary conditions of a problem, one per spatial axis (both faces of the axis).

Values are functions of the boundary point ``z`` (time first), so a condition may vary in space
and time; ``value=None`` means homogeneous data (0), which hard-constraint models can exploit.
Calling a condition evaluates its data at a point. ``Neumann`` prescribes
:math:`\partial u / \partial x_i` (the derivative along the axis, not the outward normal).
"""

from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp
from jaxtyping import Array

PointFn = Callable[[Array], Array]


class _Data:
    value: PointFn | None

    @property
    def homogeneous(self) -> bool:
        return self.value is None

    def __call__(self, z: Array) -> Array:
        return jnp.zeros((), z.dtype) if self.value is None else self.value(z)


@dataclass(frozen=True)
class Periodic:
    """u and its derivatives agree on the two faces."""


@dataclass(frozen=True)
class Dirichlet(_Data):
    """u(z) = value(z) on both faces (0 when ``value`` is None)."""

    value: PointFn | None = None


@dataclass(frozen=True)
class Neumann(_Data):
    """du/dx_i (z) = value(z) on both faces (0 when ``value`` is None)."""

    value: PointFn | None = None


Condition = Periodic | Dirichlet | Neumann
