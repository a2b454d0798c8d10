"""Turn one equation definition into a residual usable on callables and on grids."""

import functools
import inspect
from collections.abc import Callable

from physics._types import Array, Point
from physics.residuals._field import Field, PointField, RequestRecorder, derivative_table
from physics.residuals._grid import Grid


def residual(equation: Callable[..., Array]) -> Callable:
    """Decorate ``equation(u: Field, **coefficients)`` to accept a callable or a :class:`Grid`.

    - ``name(u_fn, **coefficients)`` returns the pointwise residual ``z -> r(z)`` (batch it with
      ``jax.vmap``);
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

            def pointwise(z: Point) -> Array:
                # a first, traced-only pass learns which derivatives the equation uses, so the
                # second computes them together (the first pass's operations are dead code)
                recorder = RequestRecorder(u, z)
                equation(recorder, **coefficients)
                table = derivative_table(u, recorder.z, recorder.requests)
                return equation(PointField(u, z, table), **coefficients)

            return pointwise
        raise TypeError(
            f"{equation.__name__} takes a function of one point or a residuals.Grid, "
            f"got {type(u).__name__}"
        )

    build.equation = equation
    return build
