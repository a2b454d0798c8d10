r"""A batch of points as one field: every derivative a residual uses, in one Taylor-mode pass.

:class:`PointsField` answers a residual for all points ``[N, d]`` at once. The derivatives the
equation asks for (recorded beforehand) come from :func:`physics._taylor.axis_derivatives` on
the batched function, so each layer of a network multiplies the values and all derivative
blocks in one matrix product. Anything else (a coefficient-weighted flux) falls back to the
pointwise autodiff of :class:`PointField`, mapped over the points.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from physics import _autodiff
from physics._checks import axis_index
from physics._types import Array, Coefficient, PointFn
from physics.residuals._field import Field, PointField


def requested_orders(requests: set) -> dict[int, int]:
    """Highest order asked for along each axis."""
    orders: dict[int, int] = {}
    for request in requests:
        if request != "value":
            axis, order = request
            orders[axis] = max(order, orders.get(axis, 0))
    return orders


class PointsField(Field):
    """``fn`` (a function of one point) on all of ``points[N, d]``; ``table`` maps ``"value"``
    and ``(axis, order)`` to arrays with the batch axis first."""

    def __init__(self, fn: PointFn, points: Array, table: dict):
        self.fn, self.points, self.table = fn, points, table

    @property
    def ndim(self) -> int:
        return self.points.shape[-1]

    def _mapped(self, pointwise) -> Array:
        return jax.vmap(pointwise)(self.points)

    def value(self) -> Array:
        if "value" in self.table:
            return self.table["value"]
        return self._mapped(self.fn)

    def d(self, axis: int, order: int = 1) -> Array:
        key = (axis_index(axis, self.ndim, "a point with {ndim} coordinates"), order)
        if key in self.table:
            return self.table[key]
        return self._mapped(_autodiff.partial(self.fn, axis, order))

    def laplacian(self, axes: Sequence[int]) -> Array:
        return sum(self.d(axis, 2) for axis in axes)

    def div_a_grad(self, a: Coefficient, axes: Sequence[int]) -> Array:
        if not callable(a):
            return jnp.asarray(a) * self.laplacian(axes)
        return self._mapped(lambda z: PointField(self.fn, z).div_a_grad(a, axes))

    def component(self, index: int) -> "PointsField":
        table = {k: v[..., index] for k, v in self.table.items()}
        return PointsField(lambda y: self.fn(y)[..., index], self.points, table)

    def coefficient(self, c: Coefficient) -> Array:
        return self._mapped(c) if callable(c) else jnp.asarray(c)
