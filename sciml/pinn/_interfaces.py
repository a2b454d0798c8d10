r"""The nine interface conditions of multi-domain PINNs (Li, Penwarden et al., ICML 2023,
section 3; the order of ``shib0li/METALIC``), as loss terms between the networks u₁, u₂ of two
neighbouring subdomains on points z of their shared boundary. Each term is a mean over the
points:

====  =========================  ==========================================================
 k    condition                  term
====  =========================  ==========================================================
 1    solution continuity        :math:`(u_1 - u_2)^2`
 2    average solution (XPINN)   :math:`(u_1 - \bar u)^2 + (u_2 - \bar u)^2`, ū = (u₁+u₂)/2
 3    interface residual         :math:`f_1^2 + f_2^2` (each network's PDE residual)
 4    residual continuity        :math:`(f_1 - f_2)^2`
 5    flux continuity            :math:`(F_1 - F_2)^2`, F the PDE's flux (e.g. Burgers
                                 :math:`u^2/2 - \nu u_x`)
 6    second-derivative          :math:`(\partial_s^2 u_1 - \partial_s^2 u_2)^2`, s = t (or y)
 7    gPINN                      :math:`|\nabla f_1|^2 + |\nabla f_2|^2`
 8    u_x continuity             :math:`(\partial_x u_1 - \partial_x u_2)^2`
 9    u_xx continuity            :math:`(\partial_x^2 u_1 - \partial_x^2 u_2)^2`
====  =========================  ==========================================================

A *condition set* is a 9-bit mask w; the interface loss is :math:`\sum_k w_k I_k` (METALIC
weighs it by 5 against the boundary and residual terms). There are 2⁹ = 512 sets.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

import physics

CONDITIONS = (
    "solution",
    "average",
    "residual",
    "residual_continuity",
    "flux",
    "second_derivative",
    "gpinn",
    "u_x",
    "u_xx",
)
PointFn = Callable[[jax.Array], jax.Array]


class InterfacePhysics(NamedTuple):
    """What a PDE family supplies to the interface terms: ``residual(u)`` and ``flux(u)`` map a
    network (a function of one point) to a function of one point; ``x_axis`` is the axis of the
    spatial derivative of terms 8-9, ``second_axis`` that of term 6 (t, or y in 2-D)."""

    residual: Callable[[PointFn], PointFn]
    flux: Callable[[PointFn], PointFn]
    x_axis: int = 1
    second_axis: int = 0


def condition_mask(mask) -> jax.Array:
    """A 9-bit condition set from ``"101000000"``, a sequence of 0/1, or an integer 0-511 (bit k
    of the integer is condition k + 1); a wrong length or value is a one-line error."""
    if isinstance(mask, int) and not isinstance(mask, bool):
        if not 0 <= mask < 2 ** len(CONDITIONS):
            raise ValueError(f"a condition-set number must be in 0-511, got {mask}")
        return jnp.asarray([(mask >> k) & 1 for k in range(len(CONDITIONS))], float)
    bits = list(mask) if not isinstance(mask, str) else [c for c in mask.strip()]
    if len(bits) != len(CONDITIONS):
        raise ValueError(
            f"a condition set has {len(CONDITIONS)} bits ({', '.join(CONDITIONS)}), "
            f"got {len(bits)}: {mask!r}"
        )
    try:
        values = [int(b) for b in bits]
    except (TypeError, ValueError):
        raise ValueError(f"condition-set bits must be 0 or 1, got {mask!r}") from None
    if any(v not in (0, 1) for v in values):
        raise ValueError(f"condition-set bits must be 0 or 1, got {mask!r}")
    return jnp.asarray(values, float)


def interface_terms(u1: PointFn, u2: PointFn, points: jax.Array, pde: InterfacePhysics):
    """The nine terms ``[9]`` (means over ``points [m, d]``), in the order of the table."""
    f1, f2 = pde.residual(u1), pde.residual(u2)
    flux1, flux2 = pde.flux(u1), pde.flux(u2)
    second = [physics.partial(u, pde.second_axis, 2) for u in (u1, u2)]
    dx = [physics.partial(u, pde.x_axis, 1) for u in (u1, u2)]
    dxx = [physics.partial(u, pde.x_axis, 2) for u in (u1, u2)]
    grad_f = [jax.grad(lambda z, f=f: jnp.squeeze(f(z))) for f in (f1, f2)]

    def at(z):
        a, b = jnp.squeeze(u1(z)), jnp.squeeze(u2(z))
        mean = 0.5 * (a + b)
        r1, r2 = jnp.squeeze(f1(z)), jnp.squeeze(f2(z))
        return jnp.stack(
            [
                (a - b) ** 2,
                (a - mean) ** 2 + (b - mean) ** 2,
                r1**2 + r2**2,
                (r1 - r2) ** 2,
                (jnp.squeeze(flux1(z)) - jnp.squeeze(flux2(z))) ** 2,
                (jnp.squeeze(second[0](z)) - jnp.squeeze(second[1](z))) ** 2,
                jnp.sum(grad_f[0](z) ** 2) + jnp.sum(grad_f[1](z) ** 2),
                (jnp.squeeze(dx[0](z)) - jnp.squeeze(dx[1](z))) ** 2,
                (jnp.squeeze(dxx[0](z)) - jnp.squeeze(dxx[1](z))) ** 2,
            ]
        )

    return jnp.mean(jax.vmap(at)(points), axis=0)


def interface_loss(terms: jax.Array, mask: jax.Array | Sequence) -> jax.Array:
    """:math:`\\sum_k w_k I_k` for a 9-bit ``mask``."""
    return jnp.sum(jnp.asarray(mask, terms.dtype) * terms)
