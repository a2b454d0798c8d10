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

import jax
import numpy as np
from jaxtyping import Array

from pdes._conditions import Condition
from pdes._domain import Domain
from pdes._reference import Reference

PointFn = Callable[[Array], Array]


class Problem(abc.ABC):
    """Abstract PDE problem; concrete problems are final frozen dataclasses."""

    name: ClassVar[str]
    variables: ClassVar[tuple[str, ...]]
    """Coordinate names of a point, time first, e.g. ``("t", "x")``."""

    @property
    @abc.abstractmethod
    def domain(self) -> Domain:
        """The space(-time) box."""

    @property
    @abc.abstractmethod
    def boundary(self) -> tuple[Condition, ...]:
        """One condition per spatial axis."""

    @property
    def initial(self) -> tuple[PointFn, ...]:
        r"""Initial data as functions of the spatial point ``x``: :math:`u(t_0, x)`, then
        :math:`\partial_t u(t_0, x)` for second-order-in-time equations; empty if steady."""
        return ()

    @abc.abstractmethod
    def residual(self, u: PointFn) -> PointFn:
        """The PDE residual of a candidate solution with this problem's coefficients.

        ``u`` is a function of one point (the result is the pointwise residual ``z -> r(z)``) or
        a :class:`physics.residuals.Grid` (the result is the residual on every node).
        """

    @property
    def exact(self) -> PointFn | None:
        """The exact solution as a function of one point, where one is known (else None)."""
        return None

    @abc.abstractmethod
    def reference_axes(self) -> tuple[np.ndarray, ...]:
        """Coordinates of the reference grid, one 1-D array per coordinate axis."""

    def solve_reference(self) -> Reference:
        """Compute the reference on :meth:`reference_axes` (override for numerical solvers)."""
        exact = self.exact
        if exact is None:
            raise NotImplementedError(f"{self.name} has neither an exact solution nor a solver")
        axes = self.reference_axes()
        points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
        with jax.enable_x64(True):
            flat = jax.jit(jax.vmap(exact))(points.reshape(-1, points.shape[-1]))
            values = np.asarray(flat, dtype=np.float64)
        return Reference(
            axes, values.reshape(points.shape[:-1] + values.shape[1:]), self.variables, "exact"
        )

    def reference(self) -> Reference:
        """The reference solution, computed once per distinct problem (float64)."""
        return _cached_reference(self)


@functools.lru_cache(maxsize=32)
def _cached_reference(problem: Problem) -> Reference:
    return problem.solve_reference()
