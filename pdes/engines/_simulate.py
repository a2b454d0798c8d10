r"""Simulate the mean-value engine model with diffrax, delays and command jumps handled exactly.

The states are integrated in nondimensional form :math:`\hat x = x/s` (p/p_amb, ω_t/1e4,
positions/100; :func:`physics.engines.state_scale`) so that one rtol/atol pair fits every state.
Every command breakpoint, and every breakpoint plus each transport delay, is a jump time of the
step-size controller: the solver steps to just before the jump and restarts just after it.
"""

from typing import NamedTuple

import diffrax
import jax
import jax.numpy as jnp

from pdes.engines._commands import EngineCommands, jump_capacity
from physics._types import Array, ArrayLike
from physics.engines import (
    EngineParameters,
    EngineSignals,
    EngineState,
    GasFlowState,
    engine_rhs,
    engine_signals,
    gas_flow_rhs,
    gas_flow_state,
    state_scale,
)

TOLERANCE = 1e-8
"""Default rtol = atol on the nondimensional states (the protocol's data-generation setting)."""


class EngineTrajectory(NamedTuple):
    """States at the saved times, and the solver's step counts."""

    ts: Array
    states: EngineState | GasFlowState
    steps: Array
    rejected_steps: Array


def cold_start(params: EngineParameters) -> EngineState:
    """The LiU initial state: ambient pressures, O₂ fractions 0, 50 000 rpm, actuators at uInit."""
    p = params
    return EngineState(
        p.p_amb, p.p_amb, 0.0, 0.0, p.omega_t_Init, p.uInit_egr, p.uInit_egr, p.uInit_vgt
    )


def _capacity(commands: EngineCommands, params: EngineParameters, jumps: int | None):
    if jumps is not None or isinstance(commands.times, jax.core.Tracer):
        return jumps
    return jump_capacity(commands, params)


def simulate_engine(
    commands: EngineCommands,
    params: EngineParameters,
    initial: EngineState | GasFlowState,
    ts: ArrayLike,
    *,
    t0: float | None = None,
    solver: diffrax.AbstractSolver | None = None,
    rtol: float = TOLERANCE,
    atol: float = TOLERANCE,
    dt: float | None = None,
    max_steps: int = 200_000,
    adjoint: diffrax.AbstractAdjoint | None = None,
    jumps: int | None = None,
) -> EngineTrajectory:
    """Integrate from ``initial`` at ``t0`` (default: the first breakpoint) and save at ``ts``.

    Args:
        initial: an :class:`EngineState` (full 8-state model) or a :class:`GasFlowState`
            (the 6-state gas-flow model; the O₂ fractions are not integrated).
        solver: a diffrax solver, default ``Tsit5()`` (``Kvaerno5()`` cross-checks stiffness).
        rtol, atol: on the nondimensional states, for the adaptive PID controller.
        dt: a fixed step instead (no error control, no jump clipping): reproducible step
            sequences for gradient checks and the reduced-vs-full comparison.
        jumps: how many jump times the controller holds (:func:`jump_capacity`). Default: all
            of them when ``commands`` are concrete, else the padded list (3 per breakpoint,
            slow for long cycles: pass the capacity when calling under ``jit``).

    Example:
        >>> import jax
        >>> from physics.engines import EngineInputs, equilibrium
        >>> with jax.enable_x64(True):
        ...     p = EngineParameters()
        ...     c = EngineCommands.piecewise([0.0], [[1500, 110, 80, 75]])
        ...     x0 = equilibrium(EngineInputs(*c.values[0]), p).state
        ...     run = simulate_engine(c, p, x0, [0.0, 2.0])
        >>> abs(float(run.states.p_im[1] / run.states.p_im[0]) - 1) < 1e-8  # stays at rest
        True
    """
    ts = jnp.asarray(ts)
    state_type = type(initial)
    if state_type is EngineState:
        rhs, scale = engine_rhs, state_scale(params.p_amb)
    elif state_type is GasFlowState:
        rhs, scale = gas_flow_rhs, gas_flow_state(state_scale(params.p_amb))
    else:
        raise TypeError(f"initial must be an EngineState or a GasFlowState, not {state_type}")
    scale = jnp.asarray(scale, dtype=ts.dtype)

    def vector_field(t, y, _):
        state = state_type(*(y * scale))
        return jnp.stack(rhs(state, commands.inputs(t, params), params)) / scale

    t0 = commands.times[0] if t0 is None else t0
    y0 = jnp.stack([jnp.asarray(v, ts.dtype) for v in initial]) / scale
    if dt is None:
        controller = diffrax.ClipStepSizeController(
            diffrax.PIDController(rtol=rtol, atol=atol),
            jump_ts=commands.jump_times(params, _capacity(commands, params, jumps)),
        )
        dt0 = None
    else:
        controller, dt0 = diffrax.ConstantStepSize(), dt
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(vector_field),
        diffrax.Tsit5() if solver is None else solver,
        t0=t0,
        t1=ts[-1],
        dt0=dt0,
        y0=y0,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=controller,
        max_steps=max_steps,
        adjoint=diffrax.RecursiveCheckpointAdjoint() if adjoint is None else adjoint,
    )
    states = state_type(*jnp.moveaxis(solution.ys * scale[None, :], -1, 0))
    return EngineTrajectory(
        ts, states, solution.stats["num_accepted_steps"], solution.stats["num_rejected_steps"]
    )


def trajectory_signals(
    commands: EngineCommands, trajectory: EngineTrajectory, params: EngineParameters
) -> EngineSignals:
    """Every logged signal along a full-model trajectory, at the saved times."""

    def at(t, state):
        return engine_signals(EngineState(*state), commands.inputs(t, params), params)

    return jax.vmap(at)(trajectory.ts, tuple(trajectory.states))
