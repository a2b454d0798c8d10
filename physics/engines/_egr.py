r"""EGR valve flow (Wahlström–Eriksson 2011, §4.5).

.. math::
    \tilde u^* = \min(\tilde u_{egr}, -c_{egr2}/(2c_{egr1})),\quad
    f_{egr} = \max(0, c_{egr1}\tilde u^{*2} + c_{egr2}\tilde u^* + c_{egr3}),

    \Pi_{egr} = \mathrm{clip}(p_{im}/p_{em}, \Pi_{egr,opt}, 1),\quad
    \Psi_{egr} = 1 - \Big(\frac{1 - \Pi_{egr}}{1 - \Pi_{egr,opt}} - 1\Big)^2,\quad
    W_{egr} = \frac{A_{egr,max} f_{egr} p_{em}\Psi_{egr}}{\sqrt{T_{em}R_e}}.

The flow cannot reverse: for :math:`p_{im} \ge p_{em}`, :math:`\Psi_{egr} = 0`.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._parameters import EngineParameters


class EgrFlow(NamedTuple):
    f_egr: Array
    Pi_egr: Array
    Psi_egr: Array
    W_egr: Array


def egr_area_fraction(u_egr: ArrayLike, params: EngineParameters) -> Array:
    """The empirical effective-area fraction f_egr(ũ_egr) (position in %)."""
    p = params
    knee = -p.c_egr2 / (2.0 * p.c_egr1)
    u = jnp.minimum(u_egr, knee)
    return jnp.maximum(0.0, p.c_egr1 * u**2 + p.c_egr2 * u + p.c_egr3)


def egr_valve(
    u_egr: ArrayLike,
    p_im: ArrayLike,
    p_em: ArrayLike,
    T_em: ArrayLike,
    params: EngineParameters,
    f_egr: Callable | None = None,
) -> EgrFlow:
    """Mass flow (kg/s) through the EGR valve at actuator position ``u_egr`` (%).

    ``f_egr(ũ_egr)`` replaces the empirical area fraction (a surrogate, :mod:`._formulae`).

    Example:
        >>> g = egr_valve(80.06, 1.5e5, 1.6e5, 720.0, EngineParameters())
        >>> round(float(g.f_egr), 4)     # the knee of the area polynomial
        0.7118
    """
    p = params
    f_egr = egr_area_fraction(u_egr, p) if f_egr is None else f_egr(u_egr)
    Pi_egr = jnp.clip(p_im / p_em, p.PI_egropt, 1.0)
    Psi_egr = 1.0 - ((1.0 - Pi_egr) / (1.0 - p.PI_egropt) - 1.0) ** 2
    W_egr = p.A_egrmax * f_egr * p_em * Psi_egr / jnp.sqrt(T_em * p.R_e)
    return EgrFlow(f_egr, Pi_egr, Psi_egr, W_egr)
