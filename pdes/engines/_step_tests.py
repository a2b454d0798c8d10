"""The LiU ``runSimEngine`` VGT step experiments, run with this project's simulator.

Settle 20 s from the LiU cold start at constant commands, restart from the final state with the
delays holding the commands (as the script does), step u_vgt at t = 1 s and run to 8 s; the new
equilibrium comes from the equilibrium solver, continued from the settled state.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from pdes.engines._commands import EngineCommands
from pdes.engines._reference import STEP_TEST_SETTING
from pdes.engines._simulate import cold_start, simulate_engine, trajectory_signals
from physics.engines import (
    EngineInputs,
    EngineParameters,
    EngineSignals,
    EngineState,
    engine_signals,
    equilibrium,
)


class StepTest(NamedTuple):
    settled: EngineState
    settled_signals: EngineSignals
    ts: np.ndarray
    states: EngineState
    signals: EngineSignals
    new: EngineState
    new_signals: EngineSignals


def run_vgt_step_test(
    u0: float, u1: float, params: EngineParameters, save_every: float = 1e-3
) -> StepTest:
    """One experiment: u_vgt from ``u0`` to ``u1`` % (call inside ``jax.enable_x64``).

    The trace is saved every ``save_every`` s on [0, 2] s (where the extremum lies), then every
    20 ms to 8 s.
    """
    s = STEP_TEST_SETTING
    before = [s["n_e"], s["u_delta"], s["u_egr"], u0]
    settle = EngineCommands.piecewise([0.0], [before], history=[params.uInit_egr, params.uInit_vgt])
    run = simulate_engine(settle, params, cold_start(params), jnp.array([0.0, s["settle"]]))
    settled = EngineState(*(v[-1] for v in run.states))
    settled_signals = engine_signals(settled, settle.inputs(s["settle"], params), params)

    step = EngineCommands.piecewise([0.0, s["step"]], [before, [*before[:3], u1]])
    count = round(2.0 / save_every) + 1
    tail = jnp.linspace(2.0, s["end"], round((s["end"] - 2.0) / 0.02) + 1)[1:]
    ts = jnp.concatenate([jnp.linspace(0.0, 2.0, count), tail])
    trace = simulate_engine(step, params, settled, ts)
    new = equilibrium(EngineInputs(s["n_e"], s["u_delta"], s["u_egr"], u1), params, settled)
    return StepTest(
        settled,
        settled_signals,
        np.asarray(ts),
        trace.states,
        trajectory_signals(step, trace, params),
        new.state,
        engine_signals(new.state, new.inputs, params),
    )
