"""States and inputs of the mean-value engine model, and the scales that make them O(1)."""

from typing import NamedTuple

from physics._types import ArrayLike


class EngineState(NamedTuple):
    """The eight states: manifold pressures (Pa), O₂ mass fractions (–), turbo speed (rad/s) and
    the three actuator states (%)."""

    p_im: ArrayLike
    p_em: ArrayLike
    X_Oim: ArrayLike
    X_Oem: ArrayLike
    omega_t: ArrayLike
    u_egr1: ArrayLike
    u_egr2: ArrayLike
    u_vgt: ArrayLike


class GasFlowState(NamedTuple):
    """The six states of the gas-flow subsystem, which closes without the O₂ fractions."""

    p_im: ArrayLike
    p_em: ArrayLike
    omega_t: ArrayLike
    u_egr1: ArrayLike
    u_egr2: ArrayLike
    u_vgt: ArrayLike


class EngineInputs(NamedTuple):
    """What the right-hand side sees at time t.

    ``n_e`` (rpm) and ``u_delta`` (mg per cycle and cylinder) are the current commands;
    ``u_egr`` and ``u_vgt`` (%) are the commands *as they reach the actuators*, i.e. already
    delayed by τ_degr and τ_dvgt (the caller evaluates its command history at t − τ). Every input
    is saturated inside the model, as in the LiU package.
    """

    n_e: ArrayLike
    u_delta: ArrayLike
    u_egr: ArrayLike
    u_vgt: ArrayLike


def state_scale(p_amb: float) -> EngineState:
    """Nondimensional scales: p/p_amb, X_O as is, ω_t/1e4, actuator positions/100."""
    return EngineState(p_amb, p_amb, 1.0, 1.0, 1.0e4, 100.0, 100.0, 100.0)


def gas_flow_state(state: EngineState) -> GasFlowState:
    """The gas-flow part of a full state."""
    return GasFlowState(
        state.p_im, state.p_em, state.omega_t, state.u_egr1, state.u_egr2, state.u_vgt
    )
