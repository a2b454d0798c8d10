"""Type aliases shared by the operators layer (defined once, used everywhere)."""

from collections.abc import Callable

from jaxtyping import Array, ArrayLike, Float

Point = Float[Array, " d"]
"""One coordinate point ``z = (t, x1, ..., xd)`` (time first) or ``(x1, ..., xd)``."""

Value = Float[Array, "*m"]
"""The value of a field at one point: a scalar ``()`` or a vector ``(m,)``."""

PointFn = Callable[[Point], Value]
"""A field given as a function of one point, e.g. ``lambda z: model.apply(params, z)``."""

Coefficient = float | ArrayLike | Callable[[Point], Value]
"""A PDE coefficient or source: a constant, an array on the grid, or a function of the point."""

__all__ = ["Array", "ArrayLike", "Coefficient", "Float", "Point", "PointFn", "Value"]
