r"""The problem abstraction: domain, coefficients, conditions, residual and reference solution.

A problem is a frozen dataclass whose fields are its physical coefficients and reference-grid
sizes; every physics constant lives here, never in a model or a loss. Models only see points
``z = (t, x...)`` and return values; the problem turns a model into residuals and compares it with
its reference.
"""

import abc
import functools
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from jaxtyping import Array

from pdes._conditions import Condition
from pdes._domain import Domain
from pdes._reference import Reference

PointFn = Callable[[Array], Array]


class Problem(abc.ABC):
    """Abstract PDE problem; concrete problems are final frozen dataclasses."""

    name: ClassVar[str]

    @property
    @abc.abstractmethod
    def domain(self) -> Domain:
        """The space(-time) box."""

    @property
    @abc.abstractmethod
    def boundary(self) -> tuple[Condition, ...]:
        """One condition per spatial axis."""

    @property
    @abc.abstractmethod
    def initial(self) -> tuple[PointFn, ...]:
        r"""Initial data as functions of the spatial point ``x``: :math:`u(t_0, x)`, then
        :math:`\partial_t u(t_0, x)` for second-order-in-time equations; empty if steady."""

    @abc.abstractmethod
    def residual(self, u: PointFn) -> PointFn:
        """The PDE residual of a candidate solution with this problem's coefficients.

        ``u`` is a function of one point (the result is the pointwise residual ``z -> r(z)``) or
        a :class:`physics.residuals.Grid` (the result is the residual on every node).
        """

    @property
    @abc.abstractmethod
    def exact(self) -> PointFn | None:
        """The exact solution as a function of one point, or None where none is known."""

    @abc.abstractmethod
    def reference_axes(self) -> tuple[np.ndarray, ...]:
        """Coordinates of the reference grid, one 1-D array per coordinate axis."""

    @abc.abstractmethod
    def solve_reference(self) -> Reference:
        """Compute the reference on :meth:`reference_axes` (float64)."""

    @property
    def variables(self) -> tuple[str, ...]:
        """Coordinate names of a point, time first, e.g. ``("t", "x")``."""
        space = ("x", "y", "z")[: len(self.domain.space)]
        return (("t",) if self.domain.time_dependent else ()) + space

    def reference(self) -> Reference:
        """The reference solution, computed once per distinct problem (float64, read-only)."""
        return _cached_reference(self)


@functools.lru_cache(maxsize=32)
def _cached_reference(problem: Problem) -> Reference:
    return problem.solve_reference()
