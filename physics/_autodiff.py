r"""Differential operators on callables ``f: R^d -> R^m`` evaluated at one point.

Every operator takes a function of one point ``z`` (shape ``(d,)``) and returns a new function of
one point, so operators compose with each other and with ``jax.jit``, ``jax.vmap`` and
``jax.grad``:

>>> import jax, jax.numpy as jnp
>>> import physics
>>> f = lambda z: jnp.sin(z[0]) * z[1] ** 2
>>> float(physics.partial(f, 1, order=2)(jnp.array([0.5, 3.0])))  # 2 sin(0.5)
0.958851...
>>> jax.vmap(physics.laplacian(f))(jnp.ones((4, 2))).shape
(4,)

Directional derivatives use forward mode: ``order`` nested ``jax.jvp`` calls, or one Taylor-mode
``jax.experimental.jet`` call with ``taylor=True`` (cheaper for order >= 3). The Laplacian sums
second directional derivatives along the requested axes, so its cost grows linearly with the number
of axes and it never builds the full Hessian.

Under the ``(t, x1, ..., xd)`` convention the time derivative is the derivative along axis 0, and
spatial operators take ``axes=range(1, d + 1)``.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import jet

from physics._checks import axis_index, positive_int
from physics._types import Array, Point, PointFn

Axes = Sequence[int] | None


def _check_point(z: Array) -> None:
    if z.ndim != 1:
        raise ValueError(
            f"operators act on one point of shape (d,), got shape {z.shape}; batch with jax.vmap"
        )


def _check_axis(axis: int, z: Array) -> int:
    return axis_index(axis, z.shape[0], "a point with {ndim} coordinates")


def _resolve_axes(axes: Axes, z: Array) -> tuple[int, ...]:
    _check_point(z)
    if axes is None:
        return tuple(range(z.shape[0]))
    resolved = tuple(_check_axis(a, z) for a in axes)
    if not resolved:
        raise ValueError("axes must name at least one coordinate")
    return resolved


def _check_order(order: int) -> int:
    return positive_int("derivative order", order)


def _directional(f: PointFn, z: Point, v: Array, order: int, taylor: bool) -> Array:
    r"""``d^n/ds^n f(z + s v)`` at ``s = 0``."""
    if taylor:
        # jet propagates the curve z + s v; its k-th output term is the k-th derivative in s.
        series = (v,) + (jnp.zeros_like(z),) * (order - 1)
        _, out = jet.jet(f, (z,), (series,))
        return out[order - 1]

    def derivative(g: PointFn) -> PointFn:
        return lambda y: jax.jvp(g, (y,), (v,))[1]

    g = f
    for _ in range(order):
        g = derivative(g)
    return g(z)


def _unit(z: Point, axis: int) -> Array:
    # built from the static shape, not from z: under vmap a direction derived from z would be
    # batched, turning a constant tangent into one per point (and a scatter per point)
    return jnp.asarray(np.eye(z.shape[0])[axis], z.dtype)


def partial(f: PointFn, axis: int, order: int = 1, *, taylor: bool = False) -> PointFn:
    r"""The partial derivative :math:`\partial^n f / \partial z_{axis}^n`.

    Args:
        f: function of one point ``z`` with shape ``(d,)``; scalar or vector valued.
        axis: coordinate to differentiate along (0 is time under the ``(t, x...)`` convention).
        order: derivative order ``n >= 1``.
        taylor: use Taylor mode (``jax.experimental.jet``) instead of ``n`` nested ``jvp`` calls.

    Returns:
        A function of one point with the shape of ``f``'s value.
    """
    order = _check_order(order)

    def derivative(z: Point) -> Array:
        z = jnp.asarray(z)
        _check_point(z)
        return _directional(f, z, _unit(z, _check_axis(axis, z)), order, taylor)

    return derivative


def time_derivative(f: PointFn, order: int = 1, *, taylor: bool = False) -> PointFn:
    r""":math:`\partial^n f / \partial t^n` for points ``z = (t, x1, ..., xd)`` (time first)."""
    return partial(f, 0, order, taylor=taylor)


def grad(f: PointFn, axes: Axes = None) -> PointFn:
    r"""Gradient :math:`\nabla f`, or for vector ``f`` the Jacobian :math:`\partial_j f_i`.

    The result has a trailing axis over ``axes`` (all coordinates by default): shape ``(k,)`` for a
    scalar ``f`` and ``(m, k)`` for ``f`` with ``m`` outputs. Forward mode (one ``jvp`` per axis)
    is used when ``k`` is at most the output size, reverse mode (one ``vjp`` per output) otherwise.
    """

    def gradient(z: Point) -> Array:
        z = jnp.asarray(z)
        ax = _resolve_axes(axes, z)
        out_size = max(1, jax.eval_shape(f, z).size)
        if len(ax) <= out_size:
            basis = jnp.eye(z.shape[0], dtype=z.dtype)[jnp.array(ax)]
            columns = jax.vmap(lambda v: jax.jvp(f, (z,), (v,))[1])(basis)
            return jnp.moveaxis(columns, 0, -1)
        return jax.jacrev(f)(z)[..., jnp.array(ax)]

    return gradient


def divergence(f: PointFn, axes: Axes = None) -> PointFn:
    r"""Divergence :math:`\nabla\cdot f = \sum_i \partial f_i / \partial z_{a_i}` of a vector field.

    ``f`` must return a vector with one component per axis in ``axes`` (all coordinates by
    default); component ``i`` is differentiated along ``axes[i]`` in forward mode.
    """

    def div(z: Point) -> Array:
        z = jnp.asarray(z)
        ax = _resolve_axes(axes, z)
        out = jax.eval_shape(f, z)
        if out.shape != (len(ax),):
            raise ValueError(
                f"divergence needs a vector field with {len(ax)} components (one per axis), "
                f"got values of shape {out.shape}"
            )
        basis = jnp.eye(z.shape[0], dtype=z.dtype)[jnp.array(ax)]
        rows = jax.vmap(lambda v: jax.jvp(f, (z,), (v,))[1])(basis)
        return jnp.trace(rows)

    return div


def hessian(f: PointFn, axes: Axes = None) -> PointFn:
    r"""Hessian :math:`\partial^2 f / \partial z_i \partial z_j` over ``axes``: ``(*m, k, k)``.

    Forward over reverse: one Hessian-vector product per requested axis, so asking for ``k`` of
    ``d`` axes costs ``k`` products, not ``d``.
    """

    def hess(z: Point) -> Array:
        z = jnp.asarray(z)
        ax = jnp.array(_resolve_axes(axes, z))
        basis = jnp.eye(z.shape[0], dtype=z.dtype)[ax]
        jacobian = jax.jacrev(f)
        rows = jax.vmap(lambda v: jax.jvp(jacobian, (z,), (v,))[1])(basis)  # (k, *m, d)
        return jnp.moveaxis(rows[..., ax], 0, -2)

    return hess


def laplacian(f: PointFn, axes: Axes = None, *, taylor: bool = False) -> PointFn:
    r"""Laplacian :math:`\Delta f = \sum_{i \in axes} \partial^2 f / \partial z_i^2`.

    Computed as a sum of second directional derivatives (forward-over-forward ``jvp``, or
    second-order Taylor mode with ``taylor=True``), vectorised over the axes with ``vmap``. Cost
    and memory grow linearly with the number of axes; no Hessian is formed. For time-dependent
    problems pass the spatial axes, e.g. ``axes=(1, 2)`` for ``z = (t, x, y)``.
    """

    def lap(z: Point) -> Array:
        z = jnp.asarray(z)
        ax = _resolve_axes(axes, z)
        basis = jnp.eye(z.shape[0], dtype=z.dtype)[jnp.array(ax)]
        second = jax.vmap(lambda v: _directional(f, z, v, 2, taylor))(basis)
        return second.sum(axis=0)

    return lap
