r"""VGT turbine: mass flow, blade-speed ratio, efficiency and power (Wahlström–Eriksson 2011, §4.6).

.. math::
    \Pi_t = \min(p_{amb}/p_{em}, 0.9999),\quad f_{\Pi_t} = \sqrt{1 - \Pi_t^{K_t}},\quad
    f_{vgt} = \max\Big(0, c_{f2}
              + c_{f1}\sqrt{\max(0, 1 - ((\tilde u_{vgt} - c_{vgt2})/c_{vgt1})^2)}\Big),

    W_t = \frac{A_{vgt,max} p_{em} f_{\Pi_t} f_{vgt}}{\sqrt{T_{em} R_e}},\quad
    \mathrm{BSR} = \frac{R_t\omega_t}{\sqrt{2 c_{pe} T_{em}(1 - \Pi_t^{1-1/\gamma_e})}},\quad
    \eta_{tm} = \mathrm{clip}(\eta_{tm,max} - c_m(\mathrm{BSR} - \mathrm{BSR}_{opt})^2, 0.2, 1),

    P_t\eta_m = \eta_{tm} W_t c_{pe} T_{em}(1 - \Pi_t^{1-1/\gamma_e}).
"""

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._parameters import EngineParameters
from physics.engines._safe import safe_sqrt


class TurbineFlow(NamedTuple):
    Pi_t: Array
    f_Pi_t: Array
    f_vgt: Array
    W_t: Array
    BSR: Array
    eta_tm: Array
    P_t_eta_m: Array


def pressure_ratio_factor(Pi_t: ArrayLike, params: EngineParameters) -> Array:
    """f_Πt = sqrt(1 − Π_t^K_t)."""
    return jnp.sqrt(1.0 - Pi_t**params.K_t)


def vane_area_fraction(u_vgt: ArrayLike, params: EngineParameters) -> Array:
    """The empirical effective-area fraction f_vgt(ũ_vgt) (position in %)."""
    p = params
    opening = 1.0 - ((u_vgt - p.c_vgt2) / p.c_vgt1) ** 2
    return jnp.maximum(0.0, p.c_f2 + p.c_f1 * safe_sqrt(opening))


def turbine_flow_function(u_vgt: ArrayLike, Pi_t: ArrayLike, params: EngineParameters) -> Array:
    """F_vgt,Πt = f_vgt(ũ_vgt) · f_Πt(Π_t), the product the flow needs."""
    return vane_area_fraction(u_vgt, params) * pressure_ratio_factor(Pi_t, params)


def expansion_factor(Pi_t: ArrayLike, params: EngineParameters) -> Array:
    """1 − Π_t^(1−1/γ_e), the isentropic enthalpy drop over c_pe T_em."""
    return 1.0 - Pi_t ** (1.0 - 1.0 / params.gamma_e)


def blade_speed_ratio(omega_t, T_em, Pi_t, params: EngineParameters) -> Array:
    """BSR = R_t ω_t / sqrt(2 c_pe T_em (1 − Π_t^(1−1/γ_e))), clipped to [0, 2 BSR_opt]."""
    p = params
    expansion = expansion_factor(Pi_t, p)
    return jnp.clip(p.R_t * omega_t / jnp.sqrt(2.0 * p.c_pe * T_em * expansion), 0.0, 2 * p.BSR_opt)


def turbine_efficiency(omega_t, T_em, Pi_t, params: EngineParameters) -> Array:
    """The empirical η_tm(ω_t, T_em, Π_t) = clip(η_tm,max − c_m(ω_t)(BSR − BSR_opt)², 0.2, 1)."""
    p = params
    BSR = blade_speed_ratio(omega_t, T_em, Pi_t, p)
    w = jnp.maximum(omega_t, p.c_m2)
    # The power branch (ω - c_m2)^0.01 has an infinite slope at c_m2: below ω_t,lin the LiU model
    # switches to the linear branch, which meets it continuously (c_m,lin).
    above = w >= p.w_tlin
    w_power = jnp.where(above, w, p.w_tlin)
    c_m = jnp.where(
        above,
        p.c_m1 * (w_power - p.c_m2) ** p.c_m3,
        p.c_mlin * (w - p.c_m2) / (p.w_tlin - p.c_m2),
    )
    return jnp.clip(p.eta_tmmax - c_m * (BSR - p.BSR_opt) ** 2, 0.2, 1.0)


def turbine(
    u_vgt: ArrayLike,
    p_em: ArrayLike,
    T_em: ArrayLike,
    omega_t: ArrayLike,
    params: EngineParameters,
    F_vgt: Callable | None = None,
    eta_tm: Callable | None = None,
) -> TurbineFlow:
    """Turbine flow (kg/s) and the mechanical power it delivers to the shaft (W).

    ``F_vgt(ũ_vgt, Π_t)`` and ``eta_tm(ω_t, T_em, Π_t)`` replace the empirical formulae
    (surrogates, :mod:`._formulae`); f_vgt is then F_vgt / f_Πt.

    Example:
        >>> t = turbine(jnp.array([20.0, 50.0, 100.0]), 1.6e5, 720.0, 6500.0, EngineParameters())
        >>> [round(float(f), 3) for f in t.f_vgt]
        [0.477, 0.876, 1.154]
    """
    p = params
    Pi_t = jnp.minimum(p.p_amb / p_em, 0.9999)
    f_Pi_t = pressure_ratio_factor(Pi_t, p)
    if F_vgt is None:
        f_vgt = vane_area_fraction(u_vgt, p)
        flow_function = f_vgt * f_Pi_t
    else:
        flow_function = F_vgt(u_vgt, Pi_t)
        f_vgt = flow_function / f_Pi_t
    W_t = p.A_vgtmax * p_em * flow_function / jnp.sqrt(T_em * p.R_e)
    expansion = expansion_factor(Pi_t, p)
    BSR = blade_speed_ratio(omega_t, T_em, Pi_t, p)
    if eta_tm is None:
        eta_tm = turbine_efficiency(omega_t, T_em, Pi_t, p)
    else:
        eta_tm = eta_tm(omega_t, T_em, Pi_t)
    P_t_eta_m = eta_tm * W_t * p.c_pe * T_em * expansion
    return TurbineFlow(Pi_t, f_Pi_t, f_vgt, W_t, BSR, eta_tm, P_t_eta_m)
