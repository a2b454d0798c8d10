r"""The mean-value engine model assembled: every named signal, and the right-hand sides.

.. math::
    \dot p_{im} = \frac{R_a T_{im}}{V_{im}}(W_c + W_{egr} - W_{ei}),\quad
    \dot p_{em} = \frac{R_e T_{em}}{V_{em}}(W_{eo} - W_t - W_{egr}),\quad
    \dot\omega_t = \frac{P_t\eta_m - P_c}{J_t\omega_t},

    \dot X_{Oim} = \frac{R_a T_{im}}{p_{im}V_{im}}\big[(X_{Oem} - X_{Oim})W_{egr}
                    + (X_{Oc} - X_{Oim})W_c\big],\quad
    \dot X_{Oem} = \frac{R_e T_{em}}{p_{em}V_{em}}(X_{Oe} - X_{Oem})W_{eo},

plus the actuator lags. The O₂ fractions feed only λ_O, the torque and X_Oe, so the six gas-flow
states close on their own (:func:`gas_flow_rhs`); :func:`engine_rhs` is the full 8-state model.
"""

from typing import NamedTuple

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._actuators import actuator_rates, egr_position, saturate_actuator_commands
from physics.engines._compressor import compressor
from physics.engines._cylinder import (
    CylinderFlows,
    brake_torque,
    cylinder_flows,
    cylinder_oxygen,
)
from physics.engines._egr import egr_valve
from physics.engines._formulae import Formulae
from physics.engines._parameters import EngineParameters
from physics.engines._state import EngineInputs, EngineState, GasFlowState, gas_flow_state
from physics.engines._temperature import (
    FIXED_POINT_ITERATIONS,
    CylinderTemperature,
    cylinder_temperature,
    exhaust_manifold_temperature,
    residual_gas_map,
)
from physics.engines._turbine import turbine


class GasFlowSignals(NamedTuple):
    """Every signal of the gas-flow subsystem (SI units; positions in %)."""

    eta_vol: Array
    W_ei: Array
    W_f: Array
    W_eo: Array
    x_r: Array
    T_1: Array
    T_e: Array
    T_em: Array
    u_egr: Array
    f_egr: Array
    W_egr: Array
    f_vgt: Array
    Pi_t: Array
    W_t: Array
    BSR: Array
    eta_tm: Array
    P_t_eta_m: Array
    Pi_c: Array
    Phi_c: Array
    W_c: Array
    eta_c: Array
    P_c: Array
    T_c: Array
    x_egr: Array
    n_t: Array


class EngineSignals(NamedTuple):
    """The gas-flow signals plus those that need the O₂ fractions."""

    gas: GasFlowSignals
    lambda_O: Array
    X_Oe: Array
    M_e: Array


def gas_flow_signals(
    state: GasFlowState,
    inputs: EngineInputs,
    params: EngineParameters,
    *,
    iterations: int = FIXED_POINT_ITERATIONS,
    implicit: bool = False,
    residual_gas: tuple[ArrayLike, ArrayLike] | None = None,
    formulae: Formulae | None = None,
) -> GasFlowSignals:
    """All gas-flow signals at one state (x_r/T_1 solved, see :func:`cylinder_temperature`).

    ``residual_gas=(x_r, T_1)`` takes the pair as given instead of solving the fixed point (a
    PINN's network outputs, whose algebraic residual :func:`residual_gas_map` measures); T_e is
    then the one of that pair. ``formulae`` (:class:`Formulae`, e.g. neural surrogates) replace
    the six empirical formulae.

    Example:
        >>> s = GasFlowState(156530.169403718, 162544.519591941, 6598.24892268606,
        ...                  15.3657549771663, 15.3657549771663, 70.8311084176616)
        >>> u = EngineInputs(1500.0, 110.976447879888, 15.3657549771663, 70.8311084176616)
        >>> round(float(gas_flow_signals(s, u, EngineParameters()).W_c), 4)
        0.2627
    """
    p = params
    f = Formulae(*[None] * len(Formulae._fields)) if formulae is None else formulae
    flows = cylinder_flows(state.p_im, inputs.n_e, inputs.u_delta, p, f.eta_vol)
    if residual_gas is None:
        cyl = cylinder_temperature(
            state.p_im,
            state.p_em,
            flows.W_f,
            flows.W_ei,
            p,
            iterations=iterations,
            implicit=implicit,
        )
    else:
        x_r, T_1 = residual_gas
        mapped = residual_gas_map(x_r, T_1, state.p_im, state.p_em, flows.W_f, flows.W_ei, p)
        cyl = CylinderTemperature(jnp.asarray(x_r), jnp.asarray(T_1), mapped.T_e)
    T_em = exhaust_manifold_temperature(cyl.T_e, flows.W_eo, p)
    u_egr = egr_position(state.u_egr1, state.u_egr2, p)
    egr = egr_valve(u_egr, state.p_im, state.p_em, T_em, p, f.f_egr)
    tur = turbine(state.u_vgt, state.p_em, T_em, state.omega_t, p, f.F_vgt, f.eta_tm)
    com = compressor(state.p_im, state.omega_t, p, f.Phi_c, f.eta_c)
    x_egr = jnp.minimum(egr.W_egr / (com.W_c + egr.W_egr), 0.9)
    return GasFlowSignals(
        flows.eta_vol,
        flows.W_ei,
        flows.W_f,
        flows.W_eo,
        cyl.x_r,
        cyl.T_1,
        cyl.T_e,
        T_em,
        u_egr,
        egr.f_egr,
        egr.W_egr,
        tur.f_vgt,
        tur.Pi_t,
        tur.W_t,
        tur.BSR,
        tur.eta_tm,
        tur.P_t_eta_m,
        com.Pi_c,
        com.Phi_c,
        com.W_c,
        com.eta_c,
        com.P_c,
        com.T_c,
        x_egr,
        state.omega_t * 30.0 / jnp.pi,
    )


def engine_signals(
    state: EngineState, inputs: EngineInputs, params: EngineParameters, **fixed_point
) -> EngineSignals:
    """All logged signals of the full model, including λ_O, X_Oe and the brake torque M_e (Nm)."""
    gas = gas_flow_signals(gas_flow_state(state), inputs, params, **fixed_point)
    oxygen = cylinder_oxygen(_flows(gas), state.X_Oim, params)
    M_e = brake_torque(inputs.n_e, inputs.u_delta, state.p_im, state.p_em, oxygen.lambda_O, params)
    return EngineSignals(gas, oxygen.lambda_O, oxygen.X_Oe, M_e)


def _flows(gas: GasFlowSignals) -> CylinderFlows:
    return CylinderFlows(gas.eta_vol, gas.W_ei, gas.W_f, gas.W_eo)


def gas_flow_rates(
    state: GasFlowState, inputs: EngineInputs, gas: GasFlowSignals, params: EngineParameters
) -> GasFlowState:
    """Time derivatives of the six gas-flow states from already computed signals."""
    p = params
    u_egr_s, u_vgt_s = saturate_actuator_commands(inputs.u_egr, inputs.u_vgt)
    d_egr1, d_egr2, d_vgt = actuator_rates(
        state.u_egr1, state.u_egr2, state.u_vgt, u_egr_s, u_vgt_s, p
    )
    return GasFlowState(
        p.R_a * p.T_im * (gas.W_c + gas.W_egr - gas.W_ei) / p.V_im,
        p.R_e * gas.T_em * (gas.W_eo - gas.W_t - gas.W_egr) / p.V_em,
        (gas.P_t_eta_m - gas.P_c) / (p.J_t * state.omega_t),
        d_egr1,
        d_egr2,
        d_vgt,
    )


def gas_flow_rhs(
    state: GasFlowState, inputs: EngineInputs, params: EngineParameters, **fixed_point
) -> GasFlowState:
    """Time derivatives of the 6-state gas-flow model (p_im, p_em, ω_t and the actuators)."""
    gas = gas_flow_signals(state, inputs, params, **fixed_point)
    return gas_flow_rates(state, inputs, gas, params)


def engine_rhs(
    state: EngineState, inputs: EngineInputs, params: EngineParameters, **fixed_point
) -> EngineState:
    """Time derivatives of the full 8-state model, as an :class:`EngineState`.

    ``inputs.u_egr`` and ``inputs.u_vgt`` are the *delayed* commands (see :class:`EngineInputs`).

    Example:
        >>> s = EngineState(156530.169403718, 162544.519591941, 0.228497904007297,
        ...                 0.120767676163110, 6598.24892268606,
        ...                 15.3657549771663, 15.3657549771663, 70.8311084176616)
        >>> u = EngineInputs(1500.0, 110.976447879888, 15.3657549771663, 70.8311084176616)
        >>> rates = engine_rhs(s, u, EngineParameters())   # an equilibrium (800 Nm at 1500 rpm)
        >>> abs(float(rates.omega_t)) < 1.0
        True
    """
    p = params
    gas_state = gas_flow_state(state)
    gas = gas_flow_signals(gas_state, inputs, p, **fixed_point)
    rates = gas_flow_rates(gas_state, inputs, gas, p)
    oxygen = cylinder_oxygen(_flows(gas), state.X_Oim, p)
    dX_Oim = (
        p.R_a
        * p.T_im
        * ((state.X_Oem - state.X_Oim) * gas.W_egr + (p.X_Oc - state.X_Oim) * gas.W_c)
        / (state.p_im * p.V_im)
    )
    dX_Oem = p.R_e * gas.T_em * (oxygen.X_Oe - state.X_Oem) * gas.W_eo / (state.p_em * p.V_em)
    return EngineState(
        rates.p_im,
        rates.p_em,
        dX_Oim,
        dX_Oem,
        rates.omega_t,
        rates.u_egr1,
        rates.u_egr2,
        rates.u_vgt,
    )
