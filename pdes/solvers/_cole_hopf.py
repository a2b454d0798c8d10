r"""Exact solution of viscous Burgers with :math:`u_0 = -\sin\pi x` via the Cole–Hopf transform.

For :math:`u_t + u u_x = \nu u_{xx}` on :math:`x \in [-1, 1)` (periodic), the substitution
:math:`u = -2\nu\,\phi_x/\phi` turns Burgers into the heat equation, whose solution is a
Gaussian convolution; with :math:`f(y) = \exp(-\cos(\pi y)/(2\pi\nu))` (Basdevant et al. 1986,
*Computers & Fluids* 14),

.. math::

    u(x, t) = -\frac{\int \sin(\pi(x-\eta))\, f(x-\eta)\, e^{-\eta^2/(4\nu t)}\, d\eta}
                    {\int f(x-\eta)\, e^{-\eta^2/(4\nu t)}\, d\eta}.

Numerics. With :math:`\eta = \sqrt{4\nu t}\, s` both integrands are :math:`g(s)e^{E(s)}` with
:math:`E(s) = -\cos(\pi(x - \sqrt{4\nu t}\,s))/(2\pi\nu) - s^2`, an entire function that
decays like a Gaussian. For small :math:`\nu` the exponent spans hundreds of units, so its
maximum over the nodes is subtracted before exponentiating (it cancels in the ratio). Because
:math:`-1/(2\pi\nu) \le E(0)` and :math:`E(s) \le 1/(2\pi\nu) - s^2`, the weights beyond
:math:`|s| = S = \sqrt{1/(\pi\nu) + 40}` are below :math:`e^{-40}` of the largest, so the
integrals are truncated to :math:`[-S, S]` and evaluated with the trapezoid rule, which
converges exponentially for such integrands (Trefethen & Weideman 2014, *SIAM Rev.* 56). The
end-point weights are negligible, so equal weights are used; the step cancels in the ratio.

The pointwise function works on scalars (``vmap`` it), is differentiable in ``x`` everywhere
and in ``t`` for ``t > 0`` (at ``t = 0`` the map :math:`t \mapsto \sqrt{t}` has no derivative
and autodiff returns NaN), and returns :math:`u_0` exactly at ``t = 0``. Use float64.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from pdes._checks import integer, positive

DEFAULT_QUADRATURE_POINTS = 1025
"""Nodes on :math:`[-S, S]`; at :math:`\\nu = 0.01/\\pi`, ``t <= 1`` the rule has converged to
rounding well below this (see ``tests/test_solvers_spectral.py``)."""


def _check(viscosity: object, quadrature_points: object) -> None:
    positive("burgers_cole_hopf", viscosity=viscosity)
    integer("burgers_cole_hopf", 3, quadrature_points=quadrature_points)


def burgers_cole_hopf(
    t: Float[ArrayLike, ""],
    x: Float[ArrayLike, ""],
    *,
    viscosity: float,
    quadrature_points: int = DEFAULT_QUADRATURE_POINTS,
) -> Float[Array, ""]:
    r"""Exact :math:`u(x, t)` of :math:`u_t + u u_x = \nu u_{xx}`, :math:`u_0 = -\sin\pi x`.

    Args:
        t: time, ``t >= 0``.
        x: position (any real; the solution has period 2).
        viscosity: :math:`\nu > 0` (Raissi et al. 2019 use :math:`0.01/\pi`).
        quadrature_points: trapezoid nodes on :math:`[-S, S]` (an odd count includes ``s = 0``).

    Returns:
        The scalar :math:`u(x, t)`.

    Example:
        The steepest slope at the front (152.00516 in Basdevant et al. 1986):

        >>> import jax, math
        >>> u_x = jax.grad(burgers_cole_hopf, argnums=1)
        >>> with jax.enable_x64(True):
        ...     slope = u_x(1.6037 / math.pi, 0.0, viscosity=0.01 / math.pi)
        >>> round(float(slope), 5)
        -152.00516
    """
    _check(viscosity, quadrature_points)
    nu = viscosity
    t, x = jnp.asarray(t), jnp.asarray(x)
    if t.shape or x.shape:
        raise ValueError(f"t and x must be scalars (vmap over points), got {t.shape}, {x.shape}")
    dtype = jnp.result_type(t, x, float)
    half_width = jnp.sqrt(1 / (jnp.pi * nu) + 40.0)
    s = jnp.linspace(-1.0, 1.0, quadrature_points, dtype=dtype) * half_width
    y = x - jnp.sqrt(4 * nu * t) * s
    log_weight = -jnp.cos(jnp.pi * y) / (2 * jnp.pi * nu) - s**2
    # The shift cancels in the ratio, so it carries no gradient.
    weight = jnp.exp(log_weight - jax.lax.stop_gradient(jnp.max(log_weight)))
    return -jnp.sum(jnp.sin(jnp.pi * y) * weight) / jnp.sum(weight)


def burgers_cole_hopf_grid(
    t: Float[ArrayLike, " nt"],
    x: Float[ArrayLike, " nx"],
    *,
    viscosity: float,
    quadrature_points: int = DEFAULT_QUADRATURE_POINTS,
    batch_size: int = 4096,
) -> Float[Array, "nt nx"]:
    r""":func:`burgers_cole_hopf` on the tensor grid ``t x x``, in batches of ``batch_size`` points.

    Memory is bounded by ``batch_size * quadrature_points`` values.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> with jax.enable_x64(True):
        ...     t, x = jnp.linspace(0, 1, 3), jnp.linspace(-1, 1, 5)
        ...     u = burgers_cole_hopf_grid(t, x, viscosity=0.1)
        >>> u.shape
        (3, 5)
    """
    _check(viscosity, quadrature_points)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    t, x = jnp.asarray(t), jnp.asarray(x)
    if t.ndim != 1 or x.ndim != 1:
        raise ValueError(f"t and x must be 1-D grids, got shapes {t.shape} and {x.shape}")
    tt, xx = jnp.meshgrid(t, x, indexing="ij")
    points = jnp.stack([tt.ravel(), xx.ravel()], axis=-1)
    u = jax.lax.map(
        lambda p: burgers_cole_hopf(
            p[0], p[1], viscosity=viscosity, quadrature_points=quadrature_points
        ),
        points,
        batch_size=min(batch_size, points.shape[0]),
    )
    return u.reshape(tt.shape)
