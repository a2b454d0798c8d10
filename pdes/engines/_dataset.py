"""Engine scenario data: simulate a batch of drive scenarios, reject those outside the operating
envelope, sample noisy measurements, and store one HDF5 file per scenario.

Ground truth is saved at 100 Hz (8 states and every logged signal); measurements at 10 Hz with
additive Gaussian noise :math:`\\sigma_k = \\varepsilon\\,\\mathrm{std}_t(y_k)` for each noise level
ε, inputs noise-free (reference/diesel-mvem.md, section 11, step 2). A scenario is rejected when
λ_air = W_ei/(W_f (A/F)_s) < 1.2 on more than 2 % of the samples, when a state leaves the LiU
integrator limits, or when the solve fails; it is then redrawn from the next key, so the commands
of scenario i of a seed are always the same (solutions agree across batch sizes to ~1e-7: batched
arithmetic rounds differently and adaptive steps carry that).
"""

import functools
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from pdes import datasets
from pdes.engines._commands import EngineCommands, jump_capacity
from pdes.engines._scenarios import FAMILIES, initial_equilibrium
from pdes.engines._simulate import TOLERANCE, simulate_engine, trajectory_signals
from physics.engines import EngineParameters, EngineState

TRUTH_RATE = 100.0
MEASURED_RATE = 10.0
NOISE_LEVELS = (0.0, 0.01, 0.03, 0.05)
MEASURABLE = ("p_im", "p_em", "omega_t", "W_egr", "W_c")
OBSERVATION_SETS = {
    "O1": ("p_im", "p_em", "omega_t"),
    "O2": ("p_im", "p_em", "omega_t", "W_egr"),
    "O3": ("p_im", "p_em"),
    "O4": ("p_im", "p_em", "omega_t", "W_c"),
}
"""Measured signals: O1 production sensors (MAP, exhaust pressure, turbo speed), O2 adds the EGR
flow (the reproductions' main set), O3 minimal, O4 adds the mass-air-flow sensor."""

STATES = EngineState._fields
SIGNALS = (
    "x_r", "T_1", "T_e", "T_em", "W_c", "W_t", "W_ei", "W_eo", "W_f", "W_egr", "T_c", "eta_c",
    "eta_tm", "BSR", "P_c", "P_t_eta_m", "u_egr", "x_egr", "n_t", "lambda_O", "M_e", "lambda_air",
)  # fmt: skip
LAMBDA_AIR_MIN = 1.2
LAMBDA_AIR_TOLERATED = 0.02
STATE_LIMITS = {
    "p_im": (0.5, 10.0),  # × p_amb
    "p_em": (0.5, 20.0),  # × p_amb
    "X_Oim": (0.0, 1.0),
    "X_Oem": (0.0, 1.0),
    "omega_t": (100 * jnp.pi / 30, 200_000 * jnp.pi / 30),  # rad/s
}


def _truth(commands: EngineCommands, params: EngineParameters, duration: float, jumps: int):
    ts = commands.times[0] + jnp.arange(round(duration * TRUTH_RATE) + 1) / TRUTH_RATE
    initial = initial_equilibrium(commands, params)
    run = simulate_engine(commands, params, initial, ts, jumps=jumps)
    signals = trajectory_signals(commands, run, params)
    named = {**signals.gas._asdict(), **signals._asdict()}
    named["lambda_air"] = named["W_ei"] / (named["W_f"] * params.AFs)
    truth = {
        "states": jnp.stack(run.states, axis=-1),
        "signals": jnp.stack([named[k] for k in SIGNALS], axis=-1),
        "inputs": jax.vmap(commands.at)(ts),
        "t": ts,
    }
    return truth, run.steps, run.rejected_steps


def _simulate_batch(commands: EngineCommands, params: EngineParameters, duration: float):
    return _simulate_jitted(commands, params, duration, jump_capacity(commands, params))


@functools.partial(jax.jit, static_argnames=("duration", "jumps"))
def _simulate_jitted(commands, params, duration: float, jumps: int):
    return jax.vmap(lambda c: _truth(c, params, duration, jumps))(commands)


def envelope_violation(states, signals, params: EngineParameters) -> str | None:
    """Why a ground-truth trajectory is outside the envelope, or None when it is inside."""
    states, signals = np.asarray(states), np.asarray(signals)
    if not (np.all(np.isfinite(states)) and np.all(np.isfinite(signals))):
        return "the solve failed (non-finite states)"
    low_air = np.mean(signals[:, SIGNALS.index("lambda_air")] < LAMBDA_AIR_MIN)
    if low_air > LAMBDA_AIR_TOLERATED:
        return f"lambda_air < {LAMBDA_AIR_MIN} on {100 * low_air:.1f} % of samples"
    for name, (low, high) in STATE_LIMITS.items():
        unit = params.p_amb if name in ("p_im", "p_em") else 1.0
        column = states[:, STATES.index(name)]
        if column.min() <= low * unit or column.max() >= high * unit:
            return f"{name} reaches its integrator limit"
    return None


def measure(truth_ts, states, signals, key, noise_levels=NOISE_LEVELS):
    """Sample the measurable signals at ``MEASURED_RATE`` and add noise per level: ``[L, T, 5]``."""
    stride = round(TRUTH_RATE / MEASURED_RATE)
    columns = [
        states[:, STATES.index(n)] if n in STATES else signals[:, SIGNALS.index(n)]
        for n in MEASURABLE
    ]
    clean = np.stack(columns, axis=-1)[::stride]
    sigma = np.std(clean, axis=0)
    noise = np.asarray(jax.random.normal(key, (len(noise_levels), *clean.shape)))
    levels = np.asarray(noise_levels)[:, None, None]
    return np.asarray(truth_ts)[::stride], clean[None] + levels * sigma[None, None] * noise


def _record(commands, truth, steps, rejected, j, params, noise_key, attrs) -> dict:
    """Arrays and attributes of scenario ``j`` of a simulated batch."""
    ts, states, signals = (np.asarray(truth[k][j]) for k in ("t", "states", "signals"))
    measured_t, measured = measure(ts, states, signals, noise_key)
    return {
        "arrays": {
            "t-coordinate": ts,
            "states": states,
            "signals": signals,
            "inputs": np.asarray(truth["inputs"][j]),
            "command-times": np.asarray(commands.times[j]),
            "command-values": np.asarray(commands.values[j]),
            "command-history": np.asarray(commands.history[j]),
            "measured-t": measured_t,
            "measured": measured,
        },
        "attrs": {
            "generator": "engine",
            **attrs,
            "params": {k: float(v) for k, v in params._asdict().items()},
            "states": list(STATES),
            "signals": list(SIGNALS),
            "inputs": ["n_e", "u_delta", "u_egr", "u_vgt"],
            "measurable": list(MEASURABLE),
            "noise_levels": list(NOISE_LEVELS),
            "noise": "additive Gaussian, sigma = level * std over the window",
            "solver": f"Tsit5, PID rtol = atol = {TOLERANCE} (nondimensional states)",
            "solver_steps": int(steps[j]),
            "solver_rejected_steps": int(rejected[j]),
            "envelope": envelope_violation(states, signals, params) or "inside",
        },
    }


def _noise_key(seed: int, index: int) -> jax.Array:
    """Noise keys are independent of the command keys (a different root)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed + 1_000_003), index)


def generate_scenarios(
    family: str,
    n: int,
    seed: int,
    params: EngineParameters,
    *,
    duration: float = 60.0,
    batch: int = 4,
    max_attempts: int = 20,
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """``n`` accepted scenarios of a family: arrays and attributes ready for :func:`write_scenario`.

    Scenario ``i`` is drawn from ``fold_in(fold_in(PRNGKey(seed), i), attempt)``, the first
    attempt that passes the envelope guard, in batches of ``batch`` solved under ``vmap``.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown scenario family {family!r}; choose from {sorted(FAMILIES)}")
    if n < 1 or batch < 1:
        raise ValueError(f"need n >= 1 and batch >= 1, got n={n}, batch={batch}")
    root = jax.random.PRNGKey(seed)
    draw = jax.jit(jax.vmap(lambda k: FAMILIES[family](k, duration)))
    attempts = [0] * n
    accepted: dict[int, dict] = {}
    pending = list(range(n))
    while pending:
        chunk = pending[:batch]
        keys = [jax.random.fold_in(jax.random.fold_in(root, i), attempts[i]) for i in chunk]
        commands = draw(jnp.stack(keys))
        truth, steps, rejected = _simulate_batch(commands, params, duration)
        for j, i in enumerate(chunk):
            reason = envelope_violation(truth["states"][j], truth["signals"][j], params)
            if reason is not None:
                attempts[i] += 1
                if attempts[i] >= max_attempts:
                    raise RuntimeError(
                        f"scenario {i} of {family} (seed {seed}) failed the envelope guard "
                        f"{max_attempts} times; last: {reason}"
                    )
                continue
            attrs = {"family": family, "seed": seed, "index": i}
            attrs |= {"attempt": attempts[i], "duration": duration}
            accepted[i] = _record(
                commands, truth, steps, rejected, j, params, _noise_key(seed, i), attrs
            )
            if progress is not None:
                progress(1)
        pending = [i for i in pending if i not in accepted]
    return [accepted[i] for i in range(n)]


def simulate_commands(
    commands: EngineCommands, params: EngineParameters, *, seed: int = 0, source: str = "user"
) -> dict:
    """One scenario from a given command history (e.g. a user's CSV), started at equilibrium.

    Not rejected when it leaves the envelope: the attribute ``envelope`` says whether it did.
    """
    duration = float(commands.times[-1] - commands.times[0])
    batched = jax.tree_util.tree_map(lambda leaf: leaf[None], commands)
    truth, steps, rejected = _simulate_batch(batched, params, duration)
    attrs = {"family": source, "seed": seed, "index": 0, "attempt": 0, "duration": duration}
    return _record(batched, truth, steps, rejected, 0, params, _noise_key(seed, 0), attrs)


def write_scenario(path: Path | str, scenario: dict) -> None:
    """One scenario to one HDF5 file (atomic, see :func:`pdes.datasets.write`)."""
    datasets.write(path, scenario["arrays"], scenario["attrs"])


def read_scenario(path: Path | str) -> datasets.Dataset:
    """A scenario file, its arrays and attributes checked for the engine layout."""
    data = datasets.read(path)
    if data.attrs.get("generator") != "engine":
        raise datasets.DatasetError(f"{path}: not an engine scenario file (generator attribute)")
    missing = [
        k for k in ("states", "signals", "measured", "command-values") if k not in data.arrays
    ]
    if missing:
        raise datasets.DatasetError(f"{path}: engine scenario file lacks {missing}")
    return data
