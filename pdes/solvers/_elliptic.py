r"""Matrix-free reference solver for :math:`-\nabla\cdot(a\nabla u) = f` with Dirichlet data.

The grid is node-centred and uniform: arrays hold every node of the box, boundary nodes included,
and the unknowns are the interior nodes. The operator is the conservative second-order flux form
of :func:`physics.fd.div_a_grad` (the 5-point stencil in 2-D, :math:`2d+1` points in d-D), with
the face coefficient given by a face-mean callable (:func:`physics.fd.arithmetic_mean`, as in the
FNO Darcy generator, or :func:`physics.fd.harmonic_mean`, the exact series conductance of a cell
face when ``a`` jumps between two nodes). Moving the boundary values to the right-hand side leaves
a symmetric positive definite system on the interior, solved by preconditioned conjugate
gradients (:func:`jax.scipy.sparse.linalg.cg`).

Preconditioners plug in as builders ``preconditioner(a, spacing, face_mean) -> M``, where ``M``
maps an interior residual array to an interior correction array and must be a symmetric positive
definite linear map (a CG requirement): :func:`jacobi`, and :func:`pdes.solvers.multigrid`, a
symmetric Galerkin V-cycle whose CG iteration count stays flat in the grid size (9 to 11 from
85 to 421 nodes on the Darcy coefficients, where Jacobi's grows from 352 to 1799).

Everything is written for one sample: ``jit`` at the call site, ``vmap`` over a batch of
coefficient fields. Reference data expect float64 (``with jax.enable_x64(True):``).
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from physics import fd

FaceMean = Callable[[Array, Array], Array]
Preconditioner = Callable[[Array, tuple[float, ...], FaceMean], Callable[[Array], Array]]


class EllipticInfo(NamedTuple):
    """Diagnostics of one solve.

    Attributes:
        residual: relative residual :math:`\\|b - A u\\|_2 / \\|b\\|_2` of the interior system,
            recomputed after CG stops (0 when :math:`b = 0`); above ``rtol`` means CG hit
            ``maxiter`` (or ``a`` was not positive, see :func:`solve_elliptic`).
    """

    residual: Float[Array, ""]


def jacobi(a: Array, spacing: tuple[float, ...], face_mean: FaceMean) -> Callable[[Array], Array]:
    """Diagonal (Jacobi) preconditioner: divide by the diagonal of the interior operator.

    The diagonal at an interior node is :math:`\\sum_i (a_{i-1/2} + a_{i+1/2}) / h_i^2`.
    """
    interior = (slice(1, -1),) * a.ndim
    diagonal = jnp.zeros_like(a[interior])
    for axis, h in enumerate(spacing):
        av = jnp.moveaxis(a, axis, 0)
        faces = face_mean(av[:-1], av[1:])
        per_axis = jnp.moveaxis((faces[:-1] + faces[1:]) / h**2, 0, axis)
        others = tuple(slice(None) if k == axis else slice(1, -1) for k in range(a.ndim))
        diagonal = diagonal + per_axis[others]
    inverse = 1.0 / diagonal
    return lambda r: inverse * r


def _traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


DEFAULT_RTOL = {8: 1e-10, 4: 1e-5}
"""Default CG tolerance by float size in bytes: reference data in float64, a usable solve in
float32 (about 100 ulps above its resolution)."""


def _check_inputs(a, f, boundary, spacing, rtol):
    a = jnp.asarray(a)
    if a.ndim == 0:
        raise ValueError("coefficient a must be a field on the grid, got a scalar")
    for name, v in (("f", f), ("boundary", boundary)):
        if np.ndim(v) != 0 and np.shape(v) != a.shape:
            raise ValueError(f"{name} of shape {np.shape(v)} does not match a of shape {a.shape}")
    if min(a.shape) < 3:
        raise ValueError(f"grid {a.shape} is too small: every axis needs >= 3 nodes")
    spacing = (spacing,) * a.ndim if np.ndim(spacing) == 0 else tuple(spacing)
    if len(spacing) != a.ndim:
        raise ValueError(f"got {len(spacing)} grid spacings for a {a.ndim}-D grid")
    spacing = tuple(h if _traced(h) else float(h) for h in spacing)
    if any(isinstance(h, float) and not h > 0 for h in spacing):
        raise ValueError(f"grid spacing must be positive, got {spacing}")
    if not _traced(a) and not bool(jnp.all(a > 0)):
        raise ValueError(f"coefficient a must be positive everywhere, min is {float(a.min())}")
    dtype = jnp.result_type(a, f, boundary, 1.0)
    if rtol is None:
        rtol = DEFAULT_RTOL.get(jnp.dtype(dtype).itemsize, 1e-5)
    if rtol < 10 * jnp.finfo(dtype).eps:
        raise ValueError(
            f"rtol={rtol} is below {jnp.dtype(dtype).name} resolution: "
            "run under jax.enable_x64(True) or pass a larger rtol"
        )
    return dtype, spacing, rtol


def solve_elliptic(
    a: Float[ArrayLike, "*space"],
    f: Float[ArrayLike, "*space"] | float,
    spacing: float | Sequence[float],
    *,
    boundary: Float[ArrayLike, "*space"] | float = 0.0,
    face_mean: FaceMean = fd.arithmetic_mean,
    rtol: float | None = None,
    maxiter: int | None = None,
    preconditioner: Preconditioner | None = jacobi,
    return_info: bool = False,
) -> Float[Array, "*space"] | tuple[Float[Array, "*space"], EllipticInfo]:
    r"""Solve :math:`-\nabla\cdot(a\nabla u) = f` in a box, :math:`u = g` on its boundary.

    Discretisation, at every interior node (second order for smooth ``a``):

    .. math::
        -\sum_i \frac{a_{i+1/2}\,(u_{i+1} - u_i) - a_{i-1/2}\,(u_i - u_{i-1})}{h_i^2} = f,
        \qquad a_{i\pm1/2} = \mathrm{face\_mean}(a_i, a_{i\pm1}).

    Args:
        a: coefficient at every node, shape ``[*space]`` (no channel axis); must be positive.
        f: source at every node (boundary nodes are ignored), same shape, or a scalar.
        spacing: grid step, one for all axes or one per axis.
        boundary: Dirichlet values :math:`g`; only the boundary nodes of this field are used.
        face_mean: face coefficient from the two neighbouring nodes.
        rtol: CG stops when :math:`\|b - Au\|_2 \le \mathrm{rtol}\,\|b\|_2` (default 1e-10 in
            float64, for reference data, and 1e-5 in float32).
        maxiter: CG iteration cap (default: 10 x the number of unknowns).
        preconditioner: builder ``(a, spacing, face_mean) -> M`` or None (plain CG).
        return_info: also return an :class:`EllipticInfo`.

    Returns:
        ``u`` of shape ``[*space]``, boundary nodes included; with ``return_info``, ``(u, info)``.

    Raises:
        ValueError: shapes differ, a grid axis has fewer than 3 nodes, a spacing is not positive,
            ``a`` is not positive (checked when ``a`` is concrete; under ``jit``/``vmap`` a
            non-positive ``a`` yields NaN), or ``rtol`` is below the floating-point resolution.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> with jax.enable_x64(True):
        ...     x = jnp.linspace(0.0, 1.0, 33)
        ...     X, Y = jnp.meshgrid(x, x, indexing="ij")
        ...     exact = jnp.sin(jnp.pi * X) * jnp.sin(jnp.pi * Y)
        ...     u = solve_elliptic(jnp.ones_like(X), 2 * jnp.pi**2 * exact, x[1] - x[0])
        ...     bool(jnp.max(jnp.abs(u - exact)) < 1e-3)
        True
    """
    dtype, spacing, rtol = _check_inputs(a, f, boundary, spacing, rtol)
    a = jnp.asarray(a, dtype)
    f = jnp.broadcast_to(jnp.asarray(f, dtype), a.shape)
    g = jnp.broadcast_to(jnp.asarray(boundary, dtype), a.shape)
    interior = (slice(1, -1),) * a.ndim

    def div_a_grad(w):
        # Periodic wrap only changes the boundary rows, which are dropped: interior rows are the
        # flux difference of the Dirichlet form, without its one-sided boundary closures.
        return fd.div_a_grad(w, a, spacing, bc="periodic", face_mean=face_mean)[interior]

    def operator(v):  # SPD on interior unknowns; zero boundary values
        return -div_a_grad(jnp.pad(v, 1))

    g_edge = g.at[interior].set(0.0)
    rhs = f[interior] + div_a_grad(g_edge)
    M = None if preconditioner is None else preconditioner(a, spacing, face_mean)
    v, _ = jax.scipy.sparse.linalg.cg(operator, rhs, tol=rtol, maxiter=maxiter, M=M)
    # Traced non-positive coefficients cannot raise: poison the result instead.
    v = jnp.where(jnp.all(a > 0), v, jnp.nan)
    u = g_edge.at[interior].set(v)
    if not return_info:
        return u
    rhs_norm = jnp.linalg.norm(rhs)
    residual = jnp.linalg.norm(rhs - operator(v)) / jnp.where(rhs_norm > 0, rhs_norm, 1.0)
    return u, EllipticInfo(residual=residual)
