r"""Identification by differentiable simulation: classic system identification as the baseline
the PINN studies lack.

The unknowns :math:`\theta = \theta_{nom} e^{\rho}` and each window's initial gas-flow state
:math:`(p_{im}, p_{em}, \omega_t)(t_0)` are fitted by Levenberg–Marquardt (optimistix) to the
measured signals through the diffrax solve of the 6-state gas-flow model, with forward-mode
sensitivities (``diffrax.ForwardMode``: a few unknowns, many residuals):

.. math::
    \min_{\rho, x_0}\ \sum_{w}\sum_{i,k}
        \Big(\frac{y_k(t_i; \rho, x_{0,w}) - y^{meas}_{k,i}}{s_k}\Big)^2,

with :math:`s_k` the std of the measured signal k over the window. The actuator states at
:math:`t_0` are not fitted: the command history fixes them in closed form
(:func:`physics.engines.lag_response`). A start that ends with a residual far above the noise
(``RESTART_RMS``) is retried from the nominal values, then from ``RETRIES`` fixed random
starts within ±30 %, and the lowest residual is kept. Uncertainty is the Gauss–Newton covariance
:math:`\hat\sigma^2 (J^TJ)^{-1}` at the optimum, :math:`\hat\sigma^2 = \|r\|^2/(N - P)`.
"""

import time
from typing import NamedTuple

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from pdes import engines as sim
from physics.engines import (
    UNKNOWNS,
    EngineParameters,
    GasFlowState,
    gas_flow_signals,
    lag_response,
    saturate_actuator_commands,
    with_log_factors,
)

RESTART_RMS = 0.5
"""A fit whose normalised residual rms stays above 0.5 has failed: a converged fit leaves about
the noise level (≤ 0.05 for the protocol's noise) since residuals are scaled by each signal's
std. Far starts (factors ~0.5) can land in another basin; the fit then restarts from nominal."""

RETRIES = 3
"""Further starts after a failed nominal one: factors U[0.7, 1.3] per unknown (seed 0), e.g. a
compressor fault of 0.85 sent the nominal start of five unknowns into another basin."""

SCALE_FLOOR = 1e-6
"""Relative floor of a window's signal scale s_k (a signal constant over the window)."""


class Window(NamedTuple):
    """A measured window: the full command history, the sample times and the measurements."""

    commands: sim.EngineCommands
    t: jax.Array  # [M], t[0] is the window start
    y: jax.Array  # [M, S] measured signals (columns as in the observation set)
    scale: jax.Array  # [S]


def cut_window(data, start: float, length: float, observed, noise_level: float) -> Window:
    """A window of a scenario file (:func:`pdes.engines.read_scenario`): measured samples in
    ``[start, start + length]`` of the signals ``observed`` at ``noise_level``."""
    arrays, attrs = data.arrays, data.attrs
    levels = list(attrs["noise_levels"])
    if noise_level not in levels:
        raise ValueError(f"noise level {noise_level} not in the file (has {levels})")
    unknown = [n for n in observed if n not in attrs["measurable"]]
    if unknown:
        raise ValueError(f"signals {unknown} are not measured (measurable: {attrs['measurable']})")
    t = arrays["measured-t"]
    keep = (t >= start - 1e-9) & (t <= start + length + 1e-9)
    columns = [list(attrs["measurable"]).index(n) for n in observed]
    y = arrays["measured"][levels.index(noise_level)][keep][:, columns]
    scale = np.maximum(y.std(axis=0), SCALE_FLOOR * np.abs(y).mean(axis=0))
    commands = sim.EngineCommands(
        jnp.asarray(arrays["command-times"]),
        jnp.asarray(arrays["command-values"]),
        jnp.asarray(arrays["command-history"]),
    )
    return Window(commands, jnp.asarray(t[keep]), jnp.asarray(y), jnp.asarray(scale))


def actuator_states(commands: sim.EngineCommands, t, params: EngineParameters):
    """Actuator states (ũ_egr1, ũ_egr2, ũ_vgt) at t (any shape) from the command history, in
    closed form (at rest before the first command)."""
    egr, vgt = saturate_actuator_commands(commands.values[:, 2], commands.values[:, 3])
    lag = lambda levels, history, tau, delay: lag_response(
        t, commands.times, levels, history, tau, delay
    )
    return (
        lag(egr, commands.history[0], params.tau_egr1, params.tau_degr),
        lag(egr, commands.history[0], params.tau_egr2, params.tau_degr),
        lag(vgt, commands.history[1], params.tau_vgt, params.tau_dvgt),
    )


def observed_signals(state: GasFlowState, gas, names, axis: int = 0) -> jax.Array:
    """The signals ``names`` (states or gas-flow signals), stacked on ``axis``."""
    named = {"p_im": state.p_im, "p_em": state.p_em, "omega_t": state.omega_t}
    return jnp.stack([named[n] if n in named else getattr(gas, n) for n in names], axis=axis)


def predict(rho, x0, window: Window, params: EngineParameters, observed, unknowns=UNKNOWNS):
    """Simulated measurements ``[M, S]`` of one window for log-factors ``rho`` and the
    nondimensional initial state ``x0 = (p_im/p_amb, p_em/p_amb, ω_t/1e4)``."""
    theta = with_log_factors(params, unknowns, rho)
    t0 = window.t[0]
    initial = GasFlowState(
        x0[0] * params.p_amb,
        x0[1] * params.p_amb,
        x0[2] * 1e4,
        *actuator_states(window.commands, t0, params),
    )
    run = sim.simulate_engine(
        window.commands, theta, initial, window.t, t0=t0, adjoint=diffrax.ForwardMode()
    )

    def observe(t, state):
        state = GasFlowState(*state)
        gas = gas_flow_signals(state, window.commands.inputs(t, theta), theta)
        return observed_signals(state, gas, observed)

    return jax.vmap(observe)(window.t, tuple(run.states))


def initial_guess(windows: Window, observed, params: EngineParameters) -> jax.Array:
    """First measured p_im, p_em, ω_t of each window (nominal-ish values where not measured)."""
    defaults = {"p_im": 1.5 * params.p_amb, "p_em": 1.6 * params.p_amb, "omega_t": 6500.0}
    scale = {"p_im": params.p_amb, "p_em": params.p_amb, "omega_t": 1e4}
    columns = []
    for name in ("p_im", "p_em", "omega_t"):
        if name in observed:
            columns.append(windows.y[:, 0, list(observed).index(name)] / scale[name])
        else:
            columns.append(jnp.full(windows.y.shape[0], defaults[name] / scale[name]))
    return jnp.stack(columns, axis=1)


class SimulationFit(NamedTuple):
    theta: dict  # estimated parameter values
    sigma: dict  # one standard deviation (Gauss-Newton), same units
    log_factors: np.ndarray
    initial_states: np.ndarray  # [W, 3]: p_im/p_amb, p_em/p_amb, omega_t/1e4 at each t0
    steps: int
    residual_rms: float
    wall_seconds: float
    restarted: bool  # the first start failed (rms > RESTART_RMS) and other starts were tried


def fit_by_simulation(
    windows: Window,
    params: EngineParameters,
    observed,
    *,
    initial_factors=None,
    unknowns=UNKNOWNS,
    rtol: float = 1e-8,
    max_steps: int = 64,
) -> SimulationFit:
    """Fit ``unknowns`` (and each window's initial state) to stacked ``windows`` (leaves with a
    leading window axis, e.g. ``jax.tree.map(lambda *w: jnp.stack(w), *list_of_windows)``).

    ``initial_factors`` multiplies the nominal values to start from (default 1); ``params``
    holds the nominal values of everything else.
    """
    observed = tuple(observed)
    factors = np.ones(len(unknowns)) if initial_factors is None else np.asarray(initial_factors)
    if factors.shape != (len(unknowns),):
        raise ValueError(f"initial_factors needs {len(unknowns)} values, got {factors.shape}")
    count = windows.y.shape[0]

    def residuals(z, data: Window):
        # The windows travel as an argument, not a closure: XLA would constant-fold them.
        rho, x0 = z
        predicted = jax.vmap(lambda x, w: predict(rho, x, w, params, observed, unknowns))(x0, data)
        return ((predicted - data.y) / data.scale[:, None, :]).ravel()

    x_start = initial_guess(windows, observed, params)
    solver = optx.LevenbergMarquardt(rtol=rtol, atol=rtol)
    compiled = jax.jit(residuals)
    start = time.perf_counter()

    def solve(log_factors):
        z0 = (jnp.asarray(log_factors), x_start)
        solution = optx.least_squares(
            compiled, solver, z0, args=windows, max_steps=max_steps, throw=False
        )
        r = compiled(solution.value, windows)
        return solution, float(jnp.sqrt(jnp.mean(r**2)))

    solution, rms = solve(np.log(factors))
    solution_steps = int(solution.stats["num_steps"])
    restarted = rms > RESTART_RMS
    # a start that fell into another basin: the nominal values, then fixed random starts
    draws = np.random.default_rng(0).uniform(0.7, 1.3, (RETRIES, len(unknowns)))
    nominal = [] if np.all(factors == 1.0) else [np.ones(len(unknowns))]
    starts = nominal + list(draws)
    for start_factors in starts if restarted else []:
        retry, retry_rms = solve(np.log(start_factors))
        solution_steps += int(retry.stats["num_steps"])
        if retry_rms < rms:
            solution, rms = retry, retry_rms
        if rms <= RESTART_RMS:
            break
    rho, x0 = solution.value
    r = residuals((rho, x0), windows)
    flat_residuals = lambda flat, data: residuals(_unflatten(flat, len(unknowns), count), data)
    jacobian = jax.jit(jax.jacfwd(flat_residuals))(jnp.concatenate([rho, x0.ravel()]), windows)
    jax.block_until_ready(jacobian)
    wall = time.perf_counter() - start
    dof = max(r.size - jacobian.shape[1], 1)
    covariance = np.linalg.pinv(np.asarray(jacobian.T @ jacobian)) * float(r @ r) / dof
    sigma_rho = np.sqrt(np.diag(covariance)[: len(unknowns)])
    theta = {n: float(getattr(params, n) * np.exp(rho[i])) for i, n in enumerate(unknowns)}
    return SimulationFit(
        theta,
        {n: theta[n] * float(sigma_rho[i]) for i, n in enumerate(unknowns)},
        np.asarray(rho),
        np.asarray(x0),
        solution_steps,
        float(jnp.sqrt(jnp.mean(r**2))),
        wall,
        restarted,
    )


def _unflatten(flat, n_unknowns: int, count: int):
    return flat[:n_unknowns], flat[n_unknowns:].reshape(count, 3)
