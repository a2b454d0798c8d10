r"""The residuals of the mean-value engine model for network-represented states, shared by the
PINN (:mod:`sciml.twin._pinn`) and the few-shot solve (:mod:`sciml.twin._few_shot`).

The states of one window are given at points :math:`t_i` as ``y [N, 8]`` with the columns
:data:`COLUMNS` and their time derivatives ``dy [N, 5 or 8]`` (the same columns, actuators only
where they are learnt). The residuals are

.. math::
    r_{ode} = \frac{\dot y - f(y, u; \theta)}{y_{ref}}, \qquad
    r_{alg} = \frac{F(x_r, T_1) - (x_r, T_1)}{s}, \qquad
    r_{data} = \frac{\hat y(t_j) - y^{meas}_j}{\sigma},

ODE residuals in 1/s (:func:`physics.engines.state_scale`), the x_r/T_1 fixed-point map F,
and the misfit of the observed signals at the sample times.
"""

import jax
import jax.numpy as jnp

from physics.engines import (
    EngineParameters,
    GasFlowState,
    gas_flow_rates,
    gas_flow_signals,
    residual_gas_map,
    state_scale,
)
from sciml.twin._actuator_operator import operator_states
from sciml.twin._simulation_fit import Window, actuator_states, observed_signals

COLUMNS = ("p_im", "p_em", "x_r", "T_1", "omega_t", "u_egr1", "u_egr2", "u_vgt")


def rate_scale(params: EngineParameters, actuators: bool) -> jax.Array:
    """Scales of dp_im/dt, dp_em/dt, dω_t/dt (and the actuator rates where they are learnt)."""
    scale = state_scale(params.p_amb)
    rates = [scale.p_im, scale.p_em, scale.omega_t]
    if actuators:
        rates += [scale.u_egr1, scale.u_egr2, scale.u_vgt]
    return jnp.asarray(rates)


def engine_physics(y: jax.Array, t: jax.Array, theta: EngineParameters, commands, formulae=None):
    """Gas-flow state, inputs and signals at states ``y [N, 8]`` and times ``t [N]``;
    ``formulae`` (V2's surrogates) replace the empirical formulae."""
    state = GasFlowState(y[:, 0], y[:, 1], y[:, 4], y[:, 5], y[:, 6], y[:, 7])
    inputs = commands.inputs(t, theta)
    gas = gas_flow_signals(state, inputs, theta, residual_gas=(y[:, 2], y[:, 3]), formulae=formulae)
    return state, inputs, gas


def physics_residuals(y, dy, points, commands, theta, spread, rates, formulae=None):
    """``(ode [N, R], algebraic [N, 2])`` at ``points``; ``spread [8]`` scales the algebraic
    residual, ``rates [R]`` (:func:`rate_scale`) the ODE residual."""
    state, inputs, gas = engine_physics(y, points, theta, commands, formulae)
    f = gas_flow_rates(state, inputs, gas, theta)
    f = jnp.stack([f.p_im, f.p_em, f.omega_t, *f[3:]], axis=1)
    derivative = jnp.concatenate([dy[:, :2], dy[:, 4:5], dy[:, 5:]], axis=1)
    ode = (derivative - f[:, : derivative.shape[1]]) / rates[None, :]
    mapped = residual_gas_map(y[:, 2], y[:, 3], y[:, 0], y[:, 1], gas.W_f, gas.W_ei, theta)
    algebraic = jnp.stack(
        [(mapped.x_r - y[:, 2]) / spread[2], (mapped.T_1 - y[:, 3]) / spread[3]], axis=1
    )
    return ode, algebraic


def data_misfit(y, data: Window, theta, observed, formulae=None) -> jax.Array:
    """``[M, S]``: the observed signals of states ``y [M, 8]`` at the sample times, minus the
    measurements, over each signal's scale."""
    state, _, gas = engine_physics(y, data.t, theta, data.commands, formulae)
    predicted = observed_signals(state, gas, observed, axis=1)
    return (predicted - data.y) / data.scale[None, :]


def engine_residuals(
    y, dy, points, y_data, data: Window, theta, spread, observed, rates, formulae=None
):
    """``(ode [N, R], algebraic [N, 2], misfit [M, S])`` of one window."""
    ode, algebraic = physics_residuals(y, dy, points, data.commands, theta, spread, rates, formulae)
    return ode, algebraic, data_misfit(y_data, data, theta, observed, formulae)


def known_actuators(windows: Window, t: jax.Array, params: EngineParameters, operators=None):
    """Actuator states ``[W, N, 3]`` of stacked ``windows`` at times ``t [W, N]``: closed form,
    or the trained DeepONets ``operators = (egr, vgt)`` tiled from each window's start."""
    if operators is None:
        exact = lambda c, tw: jnp.stack(actuator_states(c, tw, params), axis=-1)
        return jax.vmap(exact)(windows.commands, t)
    egr, vgt = operators
    learnt = lambda c, tw, start: jnp.concatenate(
        [operator_states(egr, c, tw, start), operator_states(vgt, c, tw, start)], axis=-1
    )
    return jax.vmap(learnt)(windows.commands, t, windows.t[:, 0])
