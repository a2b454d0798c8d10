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


def turbine(
    u_vgt: ArrayLike,
    p_em: ArrayLike,
    T_em: ArrayLike,
    omega_t: ArrayLike,
    params: EngineParameters,
) -> TurbineFlow:
    """Turbine flow (kg/s) and the mechanical power it delivers to the shaft (W).

    Example:
        >>> t = turbine(jnp.array([20.0, 50.0, 100.0]), 1.6e5, 720.0, 6500.0, EngineParameters())
        >>> [round(float(f), 3) for f in t.f_vgt]
        [0.477, 0.876, 1.154]
    """
    p = params
    Pi_t = jnp.minimum(p.p_amb / p_em, 0.9999)
    f_Pi_t = jnp.sqrt(1.0 - Pi_t**p.K_t)
    opening = 1.0 - ((u_vgt - p.c_vgt2) / p.c_vgt1) ** 2
    f_vgt = jnp.maximum(0.0, p.c_f2 + p.c_f1 * safe_sqrt(opening))
    W_t = p.A_vgtmax * p_em * f_Pi_t * f_vgt / jnp.sqrt(T_em * p.R_e)
    expansion = 1.0 - Pi_t ** (1.0 - 1.0 / p.gamma_e)
    BSR = jnp.clip(p.R_t * omega_t / jnp.sqrt(2.0 * p.c_pe * T_em * expansion), 0.0, 2 * p.BSR_opt)
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
    eta_tm = jnp.clip(p.eta_tmmax - c_m * (BSR - p.BSR_opt) ** 2, 0.2, 1.0)
    P_t_eta_m = eta_tm * W_t * p.c_pe * T_em * expansion
    return TurbineFlow(Pi_t, f_Pi_t, f_vgt, W_t, BSR, eta_tm, P_t_eta_m)
