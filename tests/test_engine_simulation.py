"""Simulating the engine model with diffrax: gates G3-G6 of ``reference/diesel-mvem.md`` (8.4),
the solver cross-check of the protocol (step 2) and the command-history checks."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.engines import (
    VGT_STEP_TESTS,
    EngineCommands,
    run_vgt_step_test,
    simulate_engine,
)
from physics import engines as E

P = E.EngineParameters()

STEP_TESTS = VGT_STEP_TESTS  # section 8.2 of reference/diesel-mvem.md
STATE_RTOL = 1e-4  # G3: pre-step and new equilibria
FLOW_ATOL = 2e-4  # G3: W_c extremum and W_c at t = 8 s, kg/s
TIME_ATOL = 5e-3  # G3: time of the extremum, s (the trace is saved every 1 ms)


@pytest.mark.parametrize("name", list(STEP_TESTS))
def test_g3_vgt_step_tests_reproduce_the_liu_experiments(x64, name):
    case = STEP_TESTS[name]
    run = run_vgt_step_test(case["u0"], case["u1"], P)
    x = run.settled
    pre = (x.p_im, x.p_em, x.X_Oim, x.X_Oem, x.omega_t, run.settled_signals.gas.W_c)
    np.testing.assert_allclose(np.asarray(pre, float), case["pre"], rtol=STATE_RTOL)

    w_c = np.asarray(run.signals.gas.W_c)
    k = int(np.argmin(w_c[:-1]))
    assert abs(w_c[k] - case["extremum"][0]) <= FLOW_ATOL
    assert abs(float(run.ts[k]) - case["extremum"][1]) <= TIME_ATOL
    assert abs(w_c[-1] - case["w_c_end"]) <= FLOW_ATOL
    # Section 8.2's sign reversal: W_c ends below its pre-step value in one experiment only.
    assert (w_c[-1] < float(run.settled_signals.gas.W_c)) == (name == "30to25")

    new = (run.new.p_im, run.new.p_em, run.new.omega_t, run.new_signals.gas.W_c)
    np.testing.assert_allclose(np.asarray(new, float), case["new"], rtol=STATE_RTOL)


def staircase() -> EngineCommands:
    """Steps in every command, including one below the VGT saturation (15 % -> 20 %)."""
    return EngineCommands.piecewise(
        [0.0, 0.5, 1.2, 1.9, 2.4],
        [
            [1500, 110, 80, 75],
            [1500, 110, 40, 75],
            [1400, 100, 60, 50],
            [1600, 120, 60, 15],
            [1600, 120, 20, 90],
        ],
    )


ACTUATOR_RTOL = 1e-8  # G4, relative to the largest position in the window


def test_g4_actuator_states_follow_the_closed_forms(x64):
    commands = staircase()
    x0 = E.equilibrium(E.EngineInputs(*commands.values[0]), P).state
    ts = jnp.linspace(0.0, 3.0, 601)
    run = simulate_engine(commands, P, x0, ts, rtol=1e-11, atol=1e-11)
    egr, vgt = E.saturate_actuator_commands(commands.values[:, 2], commands.values[:, 3])
    exact = {
        "u_egr1": E.lag_response(
            ts, commands.times, egr, commands.history[0], P.tau_egr1, P.tau_degr
        ),
        "u_egr2": E.lag_response(
            ts, commands.times, egr, commands.history[0], P.tau_egr2, P.tau_degr
        ),
        "u_vgt": E.lag_response(
            ts, commands.times, vgt, commands.history[1], P.tau_vgt, P.tau_dvgt
        ),
    }
    for key, expected in exact.items():
        got = getattr(run.states, key)
        scale = float(jnp.max(jnp.abs(expected)))
        assert float(jnp.max(jnp.abs(got - expected))) <= ACTUATOR_RTOL * scale, key
    # The VGT command of 15 % is saturated to 20 % before the delay.
    assert float(run.states.u_vgt[jnp.searchsorted(ts, 2.35)]) > 19.9


def test_g5_reduced_model_integrates_to_the_same_gas_flow_states(x64):
    """Same fixed steps, same gas-flow right-hand side: p_im, p_em, ω_t agree to 1e-12."""
    commands = staircase()
    x0 = E.equilibrium(E.EngineInputs(*commands.values[0]), P).state
    ts = jnp.linspace(0.0, 3.0, 31)
    full = simulate_engine(commands, P, x0, ts, dt=2e-3)
    reduced = simulate_engine(commands, P, E.gas_flow_state(x0), ts, dt=2e-3)
    for key in ("p_im", "p_em", "omega_t"):
        np.testing.assert_allclose(
            np.asarray(getattr(reduced.states, key)),
            np.asarray(getattr(full.states, key)),
            rtol=1e-12,
        )


GRADIENT_RTOL = 1e-5  # G6
FD_STEP = 1e-4  # central differences in log-parameters: truncation ~h^2 = 1e-8 relative


def test_g6_gradient_through_the_solve_matches_finite_differences(x64):
    """d/dρ of a trajectory misfit (O1 signals) for the four unknowns θ = θ_nom exp(ρ)."""
    commands = staircase()
    x0 = E.equilibrium(E.EngineInputs(*commands.values[0]), P).state
    ts = jnp.linspace(0.0, 3.0, 31)
    scale = jnp.array([P.p_amb, P.p_amb, 1e4])

    def observe(rho):
        params = E.with_log_factors(P, E.UNKNOWNS, rho)
        run = simulate_engine(commands, params, x0, ts, dt=5e-3)
        return (
            jnp.stack([run.states.p_im, run.states.p_em, run.states.omega_t], axis=-1) / scale[None]
        )

    measured = observe(jnp.array([0.05, -0.1, 0.1, -0.05]))
    loss = jax.jit(lambda rho: jnp.mean((observe(rho) - measured) ** 2))
    rho = jnp.zeros(4)
    grad = jax.grad(loss)(rho)
    eye = jnp.eye(4)
    fd = jnp.array(
        [(loss(rho + FD_STEP * e) - loss(rho - FD_STEP * e)) / (2 * FD_STEP) for e in eye]
    )
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=GRADIENT_RTOL)
    assert bool(jnp.all(jnp.abs(grad) > 0))  # every unknown moves the measured signals


@pytest.mark.slow  # ~30 s on 2 cores, mostly compiling Kvaerno5's implicit stages
def test_stiff_solver_cross_check_agrees(x64):
    """Protocol step 2: Kvaerno5 (implicit) and Tsit5 (explicit) agree to 1e-6 relative."""
    commands = staircase()
    x0 = E.equilibrium(E.EngineInputs(*commands.values[0]), P).state
    ts = jnp.linspace(0.0, 3.0, 31)
    explicit = simulate_engine(commands, P, x0, ts)
    implicit = simulate_engine(commands, P, x0, ts, solver=diffrax.Kvaerno5())
    for a, b in zip(explicit.states, implicit.states, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-9)


def test_commands_are_checked_and_evaluated_as_documented(x64):
    with pytest.raises(ValueError, match=r"row 2 has t = 1\.0"):
        EngineCommands.piecewise([0.0, 1.0, 1.0], [[1500, 110, 80, 75]] * 3)
    with pytest.raises(ValueError, match=r"values \[K, 4\]"):
        EngineCommands.piecewise([0.0, 1.0], [[1500, 110, 80]] * 2)
    c = EngineCommands.piecewise([0.0, 1.0], [[1000, 50, 120, 10], [2000, 150, 30, 60]])
    now = c.at(jnp.array([0.5, 1.0, 9.0]))
    np.testing.assert_allclose(np.asarray(now[:, 0]), [1500, 2000, 2000])  # speed: linear
    np.testing.assert_allclose(np.asarray(now[:, 1]), [50, 150, 150])  # fuel: held
    u = c.inputs(jnp.array([0.03, 0.07, 1.05, 1.07]), P)
    # Saturated before the delay: 120 -> 100 and 10 -> 20; history is the saturated first command.
    np.testing.assert_allclose(np.asarray(u.u_egr), [100, 100, 100, 30])
    np.testing.assert_allclose(np.asarray(u.u_vgt), [20, 20, 60, 60])
