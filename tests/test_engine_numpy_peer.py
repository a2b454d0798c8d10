"""The NumPy port of the engine model (``benchmarks/peers/mvem_numpy.py``, scipy's peer in
``compare_engine_sim.py``) against :mod:`physics.engines`: the same right-hand side, the same
delayed commands, and a piecewise solve that handles the delays and jumps exactly.
"""

import importlib.util
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.engines import EngineCommands
from physics import engines as E

P = E.EngineParameters()
PEER_PATH = Path(__file__).parents[1] / "benchmarks" / "peers" / "mvem_numpy.py"

# Both sides evaluate the same float64 expressions in the same order; they differ only where
# libm and XLA round pow/exp/sqrt differently (a few ulp, ~1e-15), barely amplified by the fixed
# point (it contracts ~20x per iteration). The worst amplification is 1 - Π_t^a at the clip
# Π_t = 0.9999 (the idle point below): one ulp of Π_t^a is 4e-13 of it, so 1e-12 allows ~2 ulp
# there and ~1e3 ulp elsewhere; measured: <= 3e-15 at every point. A wrong term, exponent or
# saturation is off by many orders of magnitude more.
RTOL = 1e-12

# Section 8.1: the 800 Nm equilibrium at 1500 rpm, actuators at their commands.
REFERENCE_INPUTS = (1500.0, 110.976447879888, 15.3657549771663, 70.8311084176616)
REFERENCE_STATE = (
    156530.169403718, 162544.519591941, 0.228497904007297, 0.120767676163110,
    6598.24892268606, 15.3657549771663, 15.3657549771663, 70.8311084176616,
)  # fmt: skip

# Independent uniform draws across the operating range (SI states, inputs partly outside their
# saturations), and one idle-like point: both pressures below ambient (Π_c = 1 with the floored
# (Π_c − 1)^c_π, Π_t clipped at 0.9999), p_im > p_em (no EGR flow), ω_t on the linear c_m branch.
LOW = (1.1 * P.p_amb, 1.1 * P.p_amb, 0.10, 0.0, 3000.0, -5.0, -5.0, 15.0, 400.0, 0.0, -10.0, 10.0)
HIGH = (3.2 * P.p_amb, 4.0 * P.p_amb, 0.2314, 0.2, 15000.0, 105.0, 105.0, 105.0,
        2100.0, 260.0, 110.0, 110.0)  # fmt: skip
IDLE = (0.98 * P.p_amb, 0.97 * P.p_amb, 0.23, 0.2, 2785.0, 5.0, 5.0, 90.0, 800.0, 20.0, 0.0, 90.0)


@pytest.fixture(scope="module")
def peer():
    spec = importlib.util.spec_from_file_location("mvem_numpy", PEER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def points() -> np.ndarray:
    """``[N, 12]``: eight states then four inputs per row."""
    draws = np.random.default_rng(0).uniform(LOW, HIGH, size=(16, len(LOW)))
    reference = (*REFERENCE_STATE, *REFERENCE_INPUTS)
    return np.concatenate([np.array([reference, IDLE]), draws])


def gross_rates(s: dict, state, inputs) -> np.ndarray:
    """Each rate with every term taken positive: the scale of its rounding error (at an
    equilibrium the rates themselves cancel to ~0, so a relative test on them means nothing)."""
    p_im, p_em, X_Oim, X_Oem, omega_t, u_egr1, u_egr2, u_vgt = state
    u_egr, u_vgt_command = np.clip(inputs[2], 0, 100), np.clip(inputs[3], 20, 100)
    return np.array([
        P.R_a * P.T_im * (s["W_c"] + s["W_egr"] + s["W_ei"]) / P.V_im,
        P.R_e * s["T_em"] * (s["W_eo"] + s["W_t"] + s["W_egr"]) / P.V_em,
        P.R_a * P.T_im * ((X_Oem + X_Oim) * s["W_egr"] + (P.X_Oc + X_Oim) * s["W_c"])
        / (p_im * P.V_im),
        P.R_e * s["T_em"] * (s["X_Oe"] + X_Oem) * s["W_eo"] / (p_em * P.V_em),
        (s["P_t_eta_m"] + s["P_c"]) / (P.J_t * omega_t),
        (abs(u_egr) + abs(u_egr1)) / P.tau_egr1,
        (abs(u_egr) + abs(u_egr2)) / P.tau_egr2,
        (abs(u_vgt_command) + abs(u_vgt)) / P.tau_vgt,
    ])  # fmt: skip


def test_numpy_rhs_and_signals_equal_the_jax_model(x64, peer):
    rows = points()

    @jax.jit
    @jax.vmap
    def model(row):
        state, inputs = E.EngineState(*row[:8]), E.EngineInputs(*row[8:])
        signals = E.engine_signals(state, inputs, P)
        return jnp.stack(E.engine_rhs(state, inputs, P)), signals.gas._asdict() | {
            "X_Oe": signals.X_Oe
        }

    rates, signals = jax.device_get(model(jnp.asarray(rows)))
    for n, row in enumerate(rows):
        state, inputs = row[:8].tolist(), row[8:].tolist()
        ours = peer.signals(state, inputs, P)
        for name, value in ours.items():
            np.testing.assert_allclose(value, signals[name][n], rtol=RTOL, err_msg=f"{name} @ {n}")
        error = np.abs(np.array(peer.engine_rhs(state, inputs, P)) - rates[n])
        assert np.all(error <= RTOL * gross_rates(ours, state, inputs)), (n, error)


def test_reference_point_is_an_equilibrium_of_the_port(peer):
    """Section 8.1's residuals, |dp_em/dt| = 3.5e-2 Pa/s the largest, hold for the port too."""
    rates = peer.engine_rhs(REFERENCE_STATE, REFERENCE_INPUTS, P)
    assert abs(rates[0]) < 1e-2 and abs(rates[1]) < 0.1 and abs(rates[4]) < 1e-3


def test_delayed_commands_and_jump_times_equal_engine_commands(x64, peer):
    # Levels repeat and leave the saturations, so some command changes are not jumps.
    rng = np.random.default_rng(1)
    times = np.arange(41) * 0.5
    values = np.stack(
        [
            rng.uniform(400.0, 2100.0, 41),
            rng.choice([30.0, 80.0, 260.0], 41),
            rng.choice([-5.0, -1.0, 40.0, 105.0, 110.0], 41),
            rng.choice([10.0, 15.0, 60.0, 101.0], 41),
        ],
        axis=1,
    )
    commands = EngineCommands.piecewise(times, values)
    numpy_commands = peer.Commands(*map(np.asarray, commands))
    ts = rng.uniform(-0.2, 20.2, 400)
    ts[:4] = (0.0, 0.04, 0.065, 20.0)  # the window's ends and the delays' ends, exactly
    expected = np.stack(commands.inputs(jnp.asarray(ts), P), axis=1)
    ours = np.array([numpy_commands.inputs(t, P) for t in ts])
    np.testing.assert_array_equal(ours[:, 1:], expected[:, 1:])  # held: the same values, exactly
    np.testing.assert_allclose(ours[:, 0], expected[:, 0], rtol=RTOL)  # interpolated n_e
    jumps = np.asarray(commands.jump_times(P))
    far = float(commands.times[-1]) + 1e6
    np.testing.assert_array_equal(numpy_commands.jump_times(P), np.unique(jumps[jumps < far]))


def test_piecewise_solve_reproduces_the_exact_delayed_actuator_lags(x64, peer):
    """ũ_egr1, ũ_egr2 and ũ_vgt are delayed first-order lags of the saturated commands, known in
    closed form (:func:`physics.engines.lag_response`): the piecewise solve must put each jump
    exactly τ after its command (an error of one step there would show as ~1 % of the jump)."""
    times = [0.0, 1.0, 1.5]
    values = [REFERENCE_INPUTS, (1500.0, 111.0, 40.0, 60.0), (1500.0, 111.0, 120.0, 10.0)]
    history = (REFERENCE_INPUTS[2], REFERENCE_INPUTS[3])
    commands = peer.Commands(times, values, history)
    ts = np.linspace(0.0, 2.5, 251)
    states, steps, _ = peer.simulate(commands, P, REFERENCE_STATE, ts)
    assert steps > 0
    egr = np.clip([v[2] for v in values], 0, 100)
    vgt = np.clip([v[3] for v in values], 20, 100)
    for column, levels, tau, delay in (
        (5, egr, P.tau_egr1, P.tau_degr),
        (6, egr, P.tau_egr2, P.tau_degr),
        (7, vgt, P.tau_vgt, P.tau_dvgt),
    ):
        exact = E.lag_response(jnp.asarray(ts), times, levels, levels[0], tau, delay)
        # rtol = atol = 1e-8 on u/100 per step; 1e-5 % bounds the accumulated global error.
        np.testing.assert_allclose(states[:, column], exact, rtol=0, atol=1e-5)
