r"""Residuals on grid fields: :class:`Grid` answers a residual's questions with finite differences
(orders 2 or 4) or FFTs.

Array axis ``i`` is coordinate axis ``i``: with ``time=True`` axis 0 is time (differenced with
one-sided closures at both ends) and the rest are space. ``values`` is ``[*grid]`` for a scalar
field or ``[*grid, C]`` channel-last; a residual on a channel-last grid keeps the channel axis.

>>> import jax.numpy as jnp
>>> from physics import residuals
>>> x = jnp.linspace(0, 2 * jnp.pi, 64, endpoint=False)
>>> u = jnp.sin(x)[:, None] * jnp.sin(x)[None, :]
>>> grid = residuals.Grid(u, spacing=(x[1], x[1]), accuracy="spectral")
>>> r = residuals.poisson(grid, source=lambda z: 2 * jnp.sin(z[0]) * jnp.sin(z[1]))
>>> bool(jnp.max(jnp.abs(r)) < 1e-3)  # float32 round-off, amplified by k_max^2
True
"""

from collections.abc import Sequence
from typing import Literal

import jax.numpy as jnp

from physics import fd, spectral
from physics._checks import axis_index
from physics._types import Array, ArrayLike, Coefficient
from physics.residuals._field import Field, evaluate_on_points


class Grid(Field):
    """A field sampled on a uniform grid.

    Args:
        values: ``[*grid]`` or ``[*grid, C]``.
        spacing: grid step per coordinate axis (time first when ``time=True``).
        bc: boundary condition of the spatial axes: one for all or one per axis (see
            :mod:`physics.fd`).
        accuracy: 2 or 4 for finite differences, or ``"spectral"`` (periodic axes only).
        time: whether axis 0 is time.
        time_accuracy: finite-difference order along time (default: 2, or 4 when ``accuracy``
            is 4 or spectral).
        origin: coordinates of the first node (default 0), used to evaluate callable coefficients.
    """

    def __init__(
        self,
        values: ArrayLike,
        spacing: Sequence[float],
        *,
        bc: fd.BoundaryCondition | str | Sequence = "periodic",
        accuracy: int | Literal["spectral"] = 2,
        time: bool = False,
        time_accuracy: int | None = None,
        origin: Sequence[float] | None = None,
    ):
        self.values = jnp.asarray(values)
        self.spacing = tuple(spacing)
        k = len(self.spacing)
        if self.values.ndim not in (k, k + 1):
            raise ValueError(
                f"grid values of shape {self.values.shape} do not match {k} coordinate axes "
                f"(expected [*grid] or [*grid, C] with {k} grid axes)"
            )
        if accuracy not in (2, 4, "spectral"):
            raise ValueError(f"accuracy must be 2, 4 or 'spectral', got {accuracy!r}")
        self.accuracy = accuracy
        self.time = time
        self.time_accuracy = time_accuracy or (2 if accuracy == 2 else 4)
        self.bc = (fd.Dirichlet(),) * int(time) + fd.as_boundaries(bc, k - int(time))
        self.origin = tuple(origin) if origin is not None else (0.0,) * k
        if len(self.origin) != k:
            raise ValueError(f"origin has {len(self.origin)} entries for {k} coordinate axes")
        self.channels = self.values.ndim == k + 1

    def _like(self, values: Array, *, data_closures: bool = False) -> "Grid":
        """The same grid holding ``values``; ``data_closures`` replaces Neumann conditions (which
        describe the unknown, not a coefficient) by one-sided closures from the data."""
        bc = self.bc[int(self.time) :]
        if data_closures:
            bc = tuple(b if isinstance(b, fd.Periodic) else fd.Dirichlet() for b in bc)
        return Grid(
            values,
            self.spacing,
            bc=bc,
            accuracy=self.accuracy,
            time=self.time,
            time_accuracy=self.time_accuracy,
            origin=self.origin,
        )

    @property
    def ndim(self) -> int:
        return len(self.spacing)

    def value(self) -> Array:
        return self.values

    def _check_axis(self, axis: int) -> int:
        return axis_index(axis, self.ndim, "a grid with {ndim} axes")

    def d(self, axis: int, order: int = 1) -> Array:
        axis = self._check_axis(axis)
        h, bc = self.spacing[axis], self.bc[axis]
        is_time = self.time and axis == 0
        if self.accuracy == "spectral" and not is_time:
            if not isinstance(bc, fd.Periodic):
                raise ValueError(f"spectral derivatives need a periodic axis; axis {axis} is {bc}")
            return spectral.diff(self.values, h, axis, order=order)
        accuracy = self.time_accuracy if is_time else self.accuracy
        if order <= 2:
            return fd.diff(self.values, h, axis, order=order, accuracy=accuracy, bc=bc)
        if not isinstance(bc, fd.Periodic):
            raise ValueError(
                f"finite differences of order {order} > 2 are composed from orders 1 and 2, "
                f"which keeps the accuracy only on periodic axes; axis {axis} is {bc}"
            )
        out = self.values
        for step in [2] * (order // 2) + [1] * (order % 2):
            out = fd.diff(out, h, axis, order=step, accuracy=accuracy, bc=bc)
        return out

    def laplacian(self, axes: Sequence[int]) -> Array:
        return sum(self.d(axis, 2) for axis in axes)

    def div_a_grad(self, a: Coefficient, axes: Sequence[int]) -> Array:
        a = jnp.broadcast_to(self.coefficient(a), self.values.shape)
        if self.accuracy != 2:
            # Smooth coefficients: a Δu + ∇a·∇u with the grid's higher-order derivatives.
            coefficient = self._like(a, data_closures=True)
            return sum(a * self.d(ax, 2) + coefficient.d(ax) * self.d(ax) for ax in axes)
        total = 0.0
        for axis in map(self._check_axis, axes):
            u_axis_first = jnp.moveaxis(self.values, axis, 0)
            a_axis_first = jnp.moveaxis(a, axis, 0)
            term = fd.div_a_grad(
                u_axis_first, a_axis_first, (self.spacing[axis],), bc=self.bc[axis]
            )
            total = total + jnp.moveaxis(term, 0, axis)
        return total

    def component(self, index: int) -> "Grid":
        if not self.channels:
            raise ValueError("component() needs channel-last values [*grid, C]")
        return self._like(self.values[..., index])

    def points(self) -> Array:
        """Coordinates of every node, shape ``[*grid, d]``."""
        axes = [
            x0 + h * jnp.arange(n)
            for x0, h, n in zip(self.origin, self.spacing, self.values.shape, strict=False)
        ]
        return jnp.stack(jnp.meshgrid(*axes, indexing="ij"), axis=-1)

    def coefficient(self, c: Coefficient) -> Array:
        """A constant, an array on the grid (``[*grid]`` or ``[*grid, C]``) or a function of the
        point, as an array that combines with the values without silent broadcasting."""
        if callable(c):
            values = evaluate_on_points(c, self.points())
        else:
            values = jnp.asarray(c)
            grid = self.values.shape[: self.ndim]
            if values.ndim and values.shape[: self.ndim] != grid:
                raise ValueError(
                    f"a coefficient array of shape {values.shape} does not match the grid "
                    f"{grid}; give a scalar, [*grid] or [*grid, C]"
                )
        if self.channels and values.ndim == self.ndim:
            values = values[..., None]
        return values
