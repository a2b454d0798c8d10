r"""Cylinder: gas and fuel flows, oxygen, brake torque (Wahlström–Eriksson 2011, §4.2).

.. math::
    \eta_{vol} = c_{vol1}\sqrt{p_{im}} + c_{vol2}\sqrt{n_e} + c_{vol3},\quad
    W_{ei} = \frac{\eta_{vol} p_{im} n_e V_d}{120 R_a T_{im}},\quad
    W_f = 10^{-6} u_\delta n_e n_{cyl}/120,\quad W_{eo} = W_f + W_{ei}.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._parameters import EngineParameters


class CylinderFlows(NamedTuple):
    eta_vol: Array
    W_ei: Array
    W_f: Array
    W_eo: Array


def saturate_speed_fuel(n_e: ArrayLike, u_delta: ArrayLike) -> tuple[Array, Array]:
    """The model's input saturations: n_e ∈ [500, 2000] rpm, u_δ ∈ [1, 250] mg."""
    return jnp.clip(n_e, 500.0, 2000.0), jnp.clip(u_delta, 1.0, 250.0)


def volumetric_efficiency(p_im: ArrayLike, n_e: ArrayLike, params: EngineParameters) -> Array:
    """The empirical η_vol(p_im, n_e) (n_e saturated, in rpm)."""
    return params.c_vol1 * jnp.sqrt(p_im) + params.c_vol2 * jnp.sqrt(n_e) + params.c_vol3


def cylinder_flows(
    p_im: ArrayLike,
    n_e: ArrayLike,
    u_delta: ArrayLike,
    params: EngineParameters,
    eta_vol: Callable | None = None,
) -> CylinderFlows:
    """Air flow into the cylinders and fuel flow (kg/s); n_e in rpm, u_δ in mg/cycle/cylinder.

    ``eta_vol(p_im, n_e)`` replaces the empirical formula (a surrogate, :mod:`._formulae`).

    Example:
        >>> f = cylinder_flows(156530.169403718, 1500.0, 110.976447879888, EngineParameters())
        >>> round(float(f.W_ei), 5), round(float(f.W_f), 7)
        (0.26981, 0.0083232)
    """
    p = params
    n_e, u_delta = saturate_speed_fuel(n_e, u_delta)
    eta_vol = volumetric_efficiency(p_im, n_e, p) if eta_vol is None else eta_vol(p_im, n_e)
    W_ei = eta_vol * p_im * n_e * p.V_d / (120.0 * p.R_a * p.T_im)
    W_f = 1e-6 * u_delta * n_e * p.n_cyl / 120.0
    return CylinderFlows(eta_vol, W_ei, W_f, W_f + W_ei)


class CylinderOxygen(NamedTuple):
    lambda_O: Array
    X_Oe: Array


def cylinder_oxygen(flows: CylinderFlows, X_Oim: ArrayLike, params: EngineParameters):
    r"""Oxygen/fuel ratio and the O₂ mass fraction leaving the cylinders:

    .. math::
        \lambda_O = \frac{W_{ei}X_{Oim}}{W_f (A/F)_s X_{Oc}},\quad
        X_{Oe} = \max\Big(0, \frac{W_{ei}X_{Oim} - W_f (A/F)_s X_{Oc}}{W_{eo}}\Big).
    """
    p = params
    burnt = flows.W_f * p.AFs * p.X_Oc
    lambda_O = flows.W_ei * X_Oim / burnt
    X_Oe = jnp.maximum(0.0, (flows.W_ei * X_Oim - burnt) / flows.W_eo)
    return CylinderOxygen(lambda_O, X_Oe)


def brake_torque(
    n_e: ArrayLike,
    u_delta: ArrayLike,
    p_im: ArrayLike,
    p_em: ArrayLike,
    lambda_O: ArrayLike,
    params: EngineParameters,
) -> Array:
    r"""Brake torque (Nm): :math:`M_e = (W_{ig} - W_p - W_{fric})/(4\pi)` with

    .. math::
        W_{ig} = \eta_{igch}(1 - r_c^{1-\gamma_{cyl}})\min(1,\lambda_O)\,u_\delta 10^{-6}
                 n_{cyl} q_{HV},\quad W_p = V_d(p_{em} - p_{im}),

    and the friction work from an FMEP polynomial in n_e/1000 (bar)."""
    p = params
    n_e, u_delta = saturate_speed_fuel(n_e, u_delta)
    W_ig = (
        p.eta_igch
        * (1.0 - 1.0 / p.r_c ** (p.gamma_cyl - 1.0))
        * jnp.minimum(1.0, lambda_O)
        * u_delta
        * 1e-6
        * p.n_cyl
        * p.q_HV
    )
    W_p = p.V_d * (p_em - p_im)
    krpm = n_e / 1000.0
    W_fric = p.V_d * 1e5 * (p.c_fr1 * krpm**2 + p.c_fr2 * krpm + p.c_fr3)
    return (W_ig - W_p - W_fric) / (4.0 * jnp.pi)
