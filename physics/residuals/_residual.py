"""Turn one equation definition into a residual usable on callables and on grids."""

import functools
import inspect
from collections.abc import Callable

import jax
import jax.numpy as jnp

from physics import _taylor
from physics._types import Array, Point, PointFn
from physics.residuals._field import Field, PointField, RequestRecorder, derivative_table
from physics.residuals._grid import Grid
from physics.residuals._points import PointsField, requested_orders


class PointwiseResidual:
    """The residual of an equation for a callable ``u``: ``r(z)`` at one point (compose with
    ``jax.vmap``, ``jax.grad``), or ``r.on_points(points)`` for a whole batch ``[N, d]``.

    Both first run the equation on a traced-only recorder to learn which derivatives it uses
    (those operations are dead code), then compute them together: at one point by one ``jvp``
    chain per axis, on a batch by one Taylor-mode pass (:mod:`physics._taylor`), which is the
    cheaper of the two for networks; a batch whose function has an operation without a Taylor
    rule is mapped pointwise instead.
    """

    def __init__(self, equation: Callable[..., Array], u: PointFn, coefficients: dict):
        self.equation, self.u, self.coefficients = equation, u, coefficients

    def _requests(self, z: Point) -> set:
        recorder = RequestRecorder(self.u, z)
        self.equation(recorder, **self.coefficients)
        return recorder.requests

    def __call__(self, z: Point) -> Array:
        z = jnp.asarray(z)
        table = derivative_table(self.u, z, self._requests(z))
        return self.equation(PointField(self.u, z, table), **self.coefficients)

    def on_points(self, points: Array) -> Array:
        """The residual at every row of ``points[N, d]``: shape ``[N, *value]``."""
        if points.ndim != 2:
            raise ValueError(f"on_points takes points of shape (N, d), got {points.shape}")
        requests = self._requests(points[0])
        try:
            value, per_axis = _taylor.axis_derivatives(
                jax.vmap(self.u), points, requested_orders(requests)
            )
        except _taylor.Unsupported:
            return jax.vmap(self)(points)
        table = {"value": value}
        for axis, derivatives in per_axis.items():
            table.update({(axis, k): d for k, d in enumerate(derivatives, 1)})
        return self.equation(PointsField(self.u, points, table), **self.coefficients)


def residual(equation: Callable[..., Array]) -> Callable:
    """Decorate ``equation(u: Field, **coefficients)`` to accept a callable or a :class:`Grid`.

    - ``name(u_fn, **coefficients)`` returns the pointwise residual ``z -> r(z)`` (batch it with
      ``jax.vmap``, or faster with its ``on_points(points)``: :class:`PointwiseResidual`);
    - ``name(Grid(...), **coefficients)`` returns the residual on every grid node.
    """

    signature = inspect.signature(equation)

    @functools.wraps(equation)
    def build(u, /, **coefficients):
        try:  # a missing or misspelt coefficient fails here, not at the first traced call
            signature.bind(u, **coefficients)
        except TypeError as error:
            raise TypeError(f"{equation.__name__}: {error}") from None
        if isinstance(u, Grid):
            return equation(u, **coefficients)
        if isinstance(u, Field):
            raise TypeError(f"{equation.__name__} takes a callable or a residuals.Grid, got {u!r}")
        if callable(u):
            return PointwiseResidual(equation, u, coefficients)
        raise TypeError(
            f"{equation.__name__} takes a function of one point or a residuals.Grid, "
            f"got {type(u).__name__}"
        )

    build.equation = equation
    return build
