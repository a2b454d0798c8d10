r"""What a residual may ask of the unknown field, and the pointwise (autodiff) answer.

Each PDE residual is written once against the abstract :class:`Field`: its value, partial
derivatives along coordinate axes, Laplacian, :math:`\nabla\cdot(a\nabla u)`, components, and
coefficients evaluated where the field is. :class:`PointField` answers with automatic
differentiation of a callable at one point; :class:`physics.residuals.Grid` answers with finite
differences or FFTs on a whole grid. Coordinate axis 0 is time for time-dependent equations.
"""

import abc
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from physics import _autodiff
from physics._types import Array, Coefficient, Point, PointFn


class Field(abc.ABC):
    """The unknown of a PDE as seen by a residual."""

    @property
    @abc.abstractmethod
    def ndim(self) -> int:
        """Number of coordinates (time included)."""

    @abc.abstractmethod
    def value(self) -> Array:
        """The field itself."""

    @abc.abstractmethod
    def d(self, axis: int, order: int = 1) -> Array:
        r""":math:`\partial^n u / \partial z_{axis}^n`."""

    @abc.abstractmethod
    def laplacian(self, axes: Sequence[int]) -> Array:
        r""":math:`\sum_{i\in axes} \partial^2 u / \partial z_i^2`."""

    @abc.abstractmethod
    def div_a_grad(self, a: Coefficient, axes: Sequence[int]) -> Array:
        r""":math:`\sum_{i\in axes} \partial_i (a\, \partial_i u)`."""

    @abc.abstractmethod
    def component(self, index: int) -> "Field":
        """Component ``index`` of a vector-valued field, as a scalar field."""

    @abc.abstractmethod
    def coefficient(self, c: Coefficient) -> Array:
        """A constant, array or function of the point, evaluated where the field is."""

    @property
    def axes(self) -> tuple[int, ...]:
        """All coordinate axes."""
        return tuple(range(self.ndim))

    def require_ndim(self, ndim: int, equation: str, coordinates: str) -> None:
        """Fail with a clear message if the field lives in the wrong number of coordinates."""
        if self.ndim != ndim:
            raise ValueError(
                f"{equation} is written for points {coordinates} ({ndim} coordinates), "
                f"got {self.ndim}"
            )


class PointField(Field):
    """A callable ``u_fn(z)`` differentiated automatically at the point ``z``."""

    def __init__(self, fn: PointFn, z: Point):
        self.fn = fn
        self.z = jnp.asarray(z)
        if self.z.ndim != 1:
            raise ValueError(
                f"pointwise residuals take one point of shape (d,), got {self.z.shape}; "
                "batch with jax.vmap"
            )

    @property
    def ndim(self) -> int:
        return self.z.shape[0]

    def value(self) -> Array:
        return self.fn(self.z)

    def d(self, axis: int, order: int = 1) -> Array:
        return _autodiff.partial(self.fn, axis, order)(self.z)

    def laplacian(self, axes: Sequence[int]) -> Array:
        return _autodiff.laplacian(self.fn, axes)(self.z)

    def div_a_grad(self, a: Coefficient, axes: Sequence[int]) -> Array:
        if not callable(a):
            return jnp.asarray(a) * self.laplacian(axes)
        total = 0.0
        for axis in axes:
            flux = (lambda ax: lambda y: a(y) * _autodiff.partial(self.fn, ax)(y))(axis)
            total = total + _autodiff.partial(flux, axis)(self.z)
        return total

    def component(self, index: int) -> "PointField":
        return PointField(lambda y: self.fn(y)[..., index], self.z)

    def coefficient(self, c: Coefficient) -> Array:
        return c(self.z) if callable(c) else jnp.asarray(c)


def evaluate_on_points(c: PointFn, points: Array) -> Array:
    """``c`` at every point of ``points[*grid, d]``: shape ``[*grid, *value]``."""
    flat = points.reshape(-1, points.shape[-1])
    values = jax.vmap(c)(flat)
    return values.reshape(points.shape[:-1] + values.shape[1:])
