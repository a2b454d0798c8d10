r"""Compressor: mass flow from the pressure ratio and shaft speed, efficiency, power
(Wahlström–Eriksson 2011, §4.7).

.. math::
    \Pi_c = \max(p_{im}/p_{amb}, 1),\quad
    \Psi_c = \frac{2c_{pa}T_{amb}(\Pi_c^{1-1/\gamma_a} - 1)}{R_c^2\omega_t^2},

    \Phi_c = \max\Big(0, c_{\Phi 2}
             + \sqrt{\max(0, 1 - c_{\Psi 1}(\Psi_c - c_{\Psi 2})^2)/c_{\Phi 1}}\Big),\quad
    W_c = \max\Big(10^{-4}, \frac{p_{amb}\pi R_c^3\omega_t\Phi_c}{R_a T_{amb}}\Big),

    \eta_c = \max(0.2, \eta_{c,max} - \chi^T Q_c\chi),\quad
    \chi = (W_c - W_{c,opt}, (\Pi_c - 1)^{c_\pi} - \pi_{c,opt}),\quad
    P_c = \frac{W_c c_{pa}T_{amb}(\Pi_c^{1-1/\gamma_a} - 1)}{\eta_c}.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._parameters import EngineParameters
from physics.engines._safe import safe_sqrt

PRESSURE_RATIO_FLOOR = 1e-9
"""(Π_c − 1)^0.27 has an infinite slope at Π_c = 1 (p_im ≤ p_amb): the base is floored so that
gradients stay finite at idle; π_c then cannot fall below 1e-9^0.27 ≈ 4e-3 (π_c,opt = 1.05)."""


class CompressorFlow(NamedTuple):
    Pi_c: Array
    Psi_c: Array
    Phi_c: Array
    W_c: Array
    eta_c: Array
    P_c: Array
    T_c: Array


def head_parameter(Pi_c: ArrayLike, omega_t: ArrayLike, params) -> Array:
    """Ψ_c = 2 c_pa T_amb (Π_c^(1−1/γ_a) − 1) / (R_c ω_t)²."""
    p = params
    temperature_rise = Pi_c ** (1.0 - 1.0 / p.gamma_a) - 1.0
    return 2.0 * p.c_pa * p.T_amb * temperature_rise / (p.R_c**2 * omega_t**2)


def compressor_flow_coefficient(Pi_c: ArrayLike, omega_t: ArrayLike, params) -> Array:
    """The empirical Φ_c(Π_c, ω_t) (at the fixed T_amb)."""
    p = params
    Psi_c = head_parameter(Pi_c, omega_t, p)
    c_psi1 = jnp.maximum(0.0, p.c_wpsi1 * omega_t**2 + p.c_wpsi2 * omega_t + p.c_wpsi3)
    c_phi1 = jnp.maximum(0.1, p.c_wphi1 * omega_t**2 + p.c_wphi2 * omega_t + p.c_wphi3)
    return jnp.maximum(0.0, p.c_phi2 + safe_sqrt((1.0 - c_psi1 * (Psi_c - p.c_psi2) ** 2) / c_phi1))


def compressor_efficiency(W_c: ArrayLike, Pi_c: ArrayLike, params) -> Array:
    """The empirical η_c(W_c, Π_c) = max(0.2, η_c,max − χᵀQ_cχ)."""
    p = params
    pi_c = jnp.maximum(Pi_c - 1.0, PRESSURE_RATIO_FLOOR) ** p.c_pi
    chi_w = W_c - p.w_copt
    chi_pi = pi_c - p.pi_copt
    quadratic = p.Q_c11 * chi_w**2 + 2.0 * p.Q_c12 * chi_w * chi_pi + p.Q_c22 * chi_pi**2
    return jnp.maximum(0.2, p.eta_cmax - quadratic)


def compressor(
    p_im: ArrayLike,
    omega_t: ArrayLike,
    params: EngineParameters,
    Phi_c: Callable | None = None,
    eta_c: Callable | None = None,
) -> CompressorFlow:
    """Compressor flow (kg/s), efficiency, absorbed power (W) and outlet temperature (K).

    ``Phi_c(Π_c, ω_t)`` and ``eta_c(W_c, Π_c)`` replace the empirical formulae (surrogates,
    :mod:`._formulae`).

    Example:
        >>> c = compressor(156530.169403718, 6598.24892268606, EngineParameters())
        >>> round(float(c.W_c), 4), round(float(c.eta_c), 4)
        (0.2627, 0.6658)
    """
    p = params
    Pi_c = jnp.maximum(p_im / p.p_amb, 1.0)
    temperature_rise = Pi_c ** (1.0 - 1.0 / p.gamma_a) - 1.0
    Psi_c = head_parameter(Pi_c, omega_t, p)
    if Phi_c is None:
        Phi_c = compressor_flow_coefficient(Pi_c, omega_t, p)
    else:
        Phi_c = Phi_c(Pi_c, omega_t)
    W_c = jnp.maximum(1e-4, p.p_amb * jnp.pi * p.R_c**3 * omega_t * Phi_c / (p.R_a * p.T_amb))
    eta_c = compressor_efficiency(W_c, Pi_c, p) if eta_c is None else eta_c(W_c, Pi_c)
    P_c = W_c * p.c_pa * p.T_amb * temperature_rise / eta_c
    T_c = p.T_amb + p.T_amb * temperature_rise / eta_c
    return CompressorFlow(Pi_c, Psi_c, Phi_c, W_c, eta_c, P_c, T_c)
