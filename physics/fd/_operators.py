r"""Finite-difference operators on uniform grids, orders 2 and 4.

Fields follow the channel-last convention: the leading axes are space (``spacing`` gives one step
per spatial axis, in the same order), trailing axes (channels, batch of components) are carried
along untouched. Interior rows use centred stencils; rows at a non-periodic boundary use one-sided
closures of the same order (see :mod:`physics.fd._boundary`), so the error is
:math:`O(h^p)` on every node.

>>> import jax.numpy as jnp
>>> from physics import fd
>>> x = jnp.linspace(0, 2 * jnp.pi, 64, endpoint=False)
>>> du = fd.diff(jnp.sin(x), x[1] - x[0], accuracy=4)  # cos(x) to O(h^4)
>>> bool(jnp.max(jnp.abs(du - jnp.cos(x))) < 1e-4)
True
"""

from collections.abc import Callable, Sequence

import jax.numpy as jnp

from physics._checks import axis_index, positive_spacing
from physics._types import Array, ArrayLike
from physics.fd._boundary import (
    BoundaryCondition,
    Dirichlet,
    Neumann,
    Periodic,
    as_boundaries,
    as_boundary,
)
from physics.fd._stencils import centred_offsets, one_sided_offsets, taylor_weights

_ORDERS = (1, 2)
_ACCURACIES = (2, 4)


def _as_field(u: ArrayLike) -> Array:
    u = jnp.asarray(u)
    return u if jnp.issubdtype(u.dtype, jnp.inexact) else u.astype(jnp.result_type(float))


def _step(h, u: Array) -> Array:
    """The grid step in the field's dtype: a float64 step must not promote a float32 field."""
    positive_spacing(h)
    return jnp.asarray(h, dtype=u.dtype)


def _closure_row(u: Array, row: int, order: int, accuracy: int, h: float, datum) -> Array:
    """One boundary row (``row`` nodes from the boundary at index 0), times ``h**order``."""
    offsets = one_sided_offsets(row, order, accuracy, with_datum=datum is not None)
    weights, datum_weight = taylor_weights(offsets, order, -row if datum is not None else None)
    value = sum(w * u[row + s] for s, w in zip(offsets, weights, strict=True))
    if datum is not None:
        value = value + datum_weight * h * datum
    return value


def _boundary_datum(bc: BoundaryCondition, side: str, like: Array):
    """The Neumann value on one side, broadcast to a boundary slice ``like`` (None otherwise)."""
    if not isinstance(bc, Neumann):
        return None
    shape = like.shape
    g = jnp.asarray(bc.left if side == "left" else bc.right, dtype=like.dtype)
    try:
        return jnp.broadcast_to(g, shape)
    except ValueError:
        raise ValueError(
            f"Neumann {side} value of shape {g.shape} does not broadcast to the boundary slice "
            f"of shape {shape}"
        ) from None


def diff(
    u: ArrayLike,
    spacing: float,
    axis: int = 0,
    *,
    order: int = 1,
    accuracy: int = 2,
    bc: BoundaryCondition | str = "periodic",
) -> Array:
    r"""The derivative :math:`\partial^n u / \partial x_{axis}^n` (n = 1 or 2) on a uniform grid.

    Args:
        u: field values; ``axis`` indexes the grid direction.
        spacing: grid step ``h`` along ``axis``.
        order: 1 or 2.
        accuracy: 2 or 4, the order of the truncation error :math:`O(h^p)`.
        bc: 'periodic', 'dirichlet', 'neumann' or a condition object (``fd.Neumann(left, right)``
            carries the boundary derivative).
    """
    u = _as_field(u)
    axis = axis_index(axis, u.ndim)
    if order not in _ORDERS:
        raise ValueError(f"finite differences support derivative orders {_ORDERS}, got {order}")
    if accuracy not in _ACCURACIES:
        raise ValueError(f"accuracy must be one of {_ACCURACIES}, got {accuracy}")
    spacing = _step(spacing, u)
    bc = as_boundary(bc)
    v = jnp.moveaxis(u, axis, 0)
    n = v.shape[0]
    offsets = centred_offsets(accuracy)
    weights, _ = taylor_weights(offsets, order)
    needed = len(offsets) if isinstance(bc, Periodic) else accuracy + order + 1
    if n < needed:
        raise ValueError(
            f"a grid of {n} points along axis {axis} is too small for derivative order {order} at "
            f"accuracy {accuracy} with {type(bc).__name__} boundaries (needs at least {needed})"
        )

    if isinstance(bc, Periodic):
        out = sum(w * jnp.roll(v, -s, axis=0) for s, w in zip(offsets, weights, strict=True))
        return jnp.moveaxis(out / spacing**order, 0, axis)

    half = accuracy // 2
    interior = sum(w * v[half + s : n - half + s] for s, w in zip(offsets, weights, strict=True))
    left_datum = _boundary_datum(bc, "left", v[0])
    right_datum = _boundary_datum(bc, "right", v[0])
    # The right boundary is the left boundary of the reversed field x' = L - x, where the m-th
    # derivative changes sign by (-1)^m and so does the Neumann datum.
    reversed_v = v[::-1]
    sign = (-1) ** order
    left = [_closure_row(v, r, order, accuracy, spacing, left_datum) for r in range(half)]
    right = [
        sign
        * _closure_row(
            reversed_v, r, order, accuracy, spacing, None if right_datum is None else -right_datum
        )
        for r in reversed(range(half))
    ]
    out = jnp.concatenate([jnp.stack(left), interior, jnp.stack(right)], axis=0)
    return jnp.moveaxis(out / spacing**order, 0, axis)


def _check_spatial(u: Array, spacing: Sequence[float]) -> tuple[float, ...]:
    spacing = tuple(spacing)
    if not spacing:
        raise ValueError("spacing must give one grid step per spatial axis")
    if u.ndim < len(spacing):
        raise ValueError(
            f"a field of shape {u.shape} has fewer axes than the {len(spacing)} spatial axes "
            "given by spacing"
        )
    return spacing


def _along_each_axis(fields, spacing, order: int, accuracy: int, bc) -> list[Array]:
    """``diff`` of ``fields[i]`` along spatial axis ``i``, one result per axis."""
    bcs = as_boundaries(bc, len(spacing))
    return [
        diff(field, h, i, order=order, accuracy=accuracy, bc=b)
        for i, (field, h, b) in enumerate(zip(fields, spacing, bcs, strict=True))
    ]


def laplacian(
    u: ArrayLike,
    spacing: Sequence[float],
    *,
    accuracy: int = 2,
    bc: BoundaryCondition | str | Sequence = "periodic",
) -> Array:
    r""":math:`\Delta u = \sum_i \partial^2 u / \partial x_i^2` over the leading spatial axes.

    The spatial axes are the first ``len(spacing)`` axes of ``u``; ``bc`` is one condition for
    every axis or one per axis.
    """
    u = _as_field(u)
    spacing = _check_spatial(u, spacing)
    return sum(_along_each_axis([u] * len(spacing), spacing, 2, accuracy, bc))


def gradient(
    u: ArrayLike,
    spacing: Sequence[float],
    *,
    accuracy: int = 2,
    bc: BoundaryCondition | str | Sequence = "periodic",
) -> Array:
    r""":math:`\nabla u` over the leading ``len(spacing)`` axes, stacked on a new last axis."""
    u = _as_field(u)
    spacing = _check_spatial(u, spacing)
    return jnp.stack(_along_each_axis([u] * len(spacing), spacing, 1, accuracy, bc), axis=-1)


def divergence(
    v: ArrayLike,
    spacing: Sequence[float],
    *,
    accuracy: int = 2,
    bc: BoundaryCondition | str | Sequence = "periodic",
) -> Array:
    r""":math:`\nabla\cdot v = \sum_i \partial v_i / \partial x_i` of ``v[*space, ..., k]``.

    The last axis holds one component per spatial axis; axes between space and it are carried.
    """
    v = _as_field(v)
    spacing = _check_spatial(v, spacing)
    if v.ndim < len(spacing) + 1 or v.shape[-1] != len(spacing):
        raise ValueError(
            f"divergence needs a field of shape [*space, ..., {len(spacing)}], got {v.shape}"
        )
    components = [v[..., i] for i in range(len(spacing))]
    return sum(_along_each_axis(components, spacing, 1, accuracy, bc))


def arithmetic_mean(a: Array, b: Array) -> Array:
    """Face value of a coefficient from its two neighbouring nodes."""
    return 0.5 * (a + b)


def harmonic_mean(a: Array, b: Array) -> Array:
    """Face value for strongly discontinuous coefficients (series resistances)."""
    return 2.0 * a * b / (a + b)


def div_a_grad(
    u: ArrayLike,
    a: ArrayLike,
    spacing: Sequence[float],
    *,
    bc: BoundaryCondition | str | Sequence = "periodic",
    face_mean: Callable[[Array, Array], Array] = arithmetic_mean,
) -> Array:
    r""":math:`\nabla\cdot(a \nabla u)` in conservative (flux) form, second order.

    Interior nodes use the 5-point (in 2D) flux difference
    :math:`[a_{i+1/2}(u_{i+1}-u_i) - a_{i-1/2}(u_i-u_{i-1})]/h^2`, which stays conservative for
    discontinuous ``a`` (Darcy flow); nodes on a non-periodic boundary use the expanded form
    :math:`a u'' + a' u'` with second-order one-sided closures.
    """
    u = _as_field(u)
    spacing = _check_spatial(u, spacing)
    try:
        a = jnp.broadcast_to(jnp.asarray(a, dtype=u.dtype), u.shape)
    except ValueError:
        raise ValueError(
            f"coefficient of shape {jnp.shape(a)} does not match the field of shape {u.shape}"
        ) from None
    bcs = as_boundaries(bc, len(spacing))
    total = jnp.zeros_like(u)
    for i, (h, b) in enumerate(zip(spacing, bcs, strict=True)):
        h = _step(h, u)
        uv, av = jnp.moveaxis(u, i, 0), jnp.moveaxis(a, i, 0)
        if isinstance(b, Periodic):
            flux = face_mean(av, jnp.roll(av, -1, axis=0)) * (jnp.roll(uv, -1, axis=0) - uv) / h
            term = (flux - jnp.roll(flux, 1, axis=0)) / h
        else:
            flux = face_mean(av[:-1], av[1:]) * (uv[1:] - uv[:-1]) / h
            inner = (flux[1:] - flux[:-1]) / h
            expanded = av * diff(uv, h, order=2, bc=b) + diff(av, h, bc=Dirichlet()) * diff(
                uv, h, bc=b
            )
            term = jnp.concatenate([expanded[:1], inner, expanded[-1:]], axis=0)
        total = total + jnp.moveaxis(term, 0, i)
    return total
