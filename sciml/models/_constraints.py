r"""Output transforms that satisfy initial or boundary conditions exactly (hard constraints).

A transform maps ``(z, raw)`` (the point and the network output) to the field value. With a
function :math:`g` that satisfies the condition and a function :math:`d` that vanishes where it
is imposed, :math:`u = g + d\,N` satisfies it for any network :math:`N` (Lagaris et al. 1998).
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

PointFn = Callable[[jax.Array], jax.Array]


def hard_initial(initial: PointFn, t0: float = 0.0) -> Callable:
    r""":math:`u(t, x) = u_0(x) + (t - t_0)\,N(t, x)`: exact initial condition at :math:`t_0`.

    ``initial`` maps a spatial point ``x`` to :math:`u_0(x)`; points are ``(t, x...)``.
    """

    def transform(z: jax.Array, raw: jax.Array) -> jax.Array:
        u0 = jnp.vectorize(initial, signature="(d)->()")(z[..., 1:])
        return u0[..., None] + (z[..., :1] - t0) * raw

    return transform


def hard_boundary(value: PointFn, distance: PointFn) -> Callable:
    r""":math:`u(z) = g(z) + d(z)\,N(z)` with :math:`g` the boundary data and :math:`d = 0` on
    the constrained boundary (e.g. :math:`d = (x - a)(b - x)` for Dirichlet data on an
    interval)."""

    def transform(z: jax.Array, raw: jax.Array) -> jax.Array:
        g = jnp.vectorize(value, signature="(d)->()")(z)
        d = jnp.vectorize(distance, signature="(d)->()")(z)
        return g[..., None] + d[..., None] * raw

    return transform
