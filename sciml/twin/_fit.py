"""``sciml twin fit``: measured windows -> parameter estimates with uncertainty, predicted states,
a run directory (config, result, predictions, figure).

Methods: ``simulation`` (Levenberg–Marquardt through the diffrax solve, :mod:`._simulation_fit`,
with Gauss–Newton σ) and the PINNs ``pinn-v0``, ``pinn-v1-exact`` and ``pinn-v1`` (:mod:`._pinn`;
point estimates, their history in ``history.jsonl``). Transfer learning and V2 are still to come.
"""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from pdes import engines as sim
from physics.engines import UNKNOWNS, EngineParameters
from sciml import _io
from sciml.twin._actuator_operator import load_actuator_operator
from sciml.twin._identifiability import figure as identifiability_figure
from sciml.twin._identifiability import identifiability
from sciml.twin._pinn import PinnSettings, fit_by_pinn, pinn_signals
from sciml.twin._simulation_fit import Window, cut_window, fit_by_simulation, predict

METHODS = ("simulation", "pinn-v0", "pinn-v1-exact", "pinn-v1")
PINN_VARIANTS = {"pinn-v0": "V0", "pinn-v1-exact": "V1-exact", "pinn-v1": "V1"}
PREDICTED = ("p_im", "p_em", "omega_t", "W_egr", "W_c", "T_em", "x_r", "T_1")
"""Signals predicted at the measurement times, measured or not."""


def _csv_window(path: Path, observed) -> tuple[Window, tuple[str, ...]]:
    window = sim.read_measurements(path)
    observed = tuple(n for n in observed if n in window.signals)
    if not observed:
        raise ValueError(
            f"{path.name}: none of the observed signals is measured (has {sorted(window.signals)})"
        )
    y = np.stack([window.signals[n] for n in observed], axis=1)
    scale = np.maximum(y.std(axis=0), 1e-6 * np.abs(y).mean(axis=0))
    return Window(
        window.commands, jnp.asarray(window.time), jnp.asarray(y), jnp.asarray(scale)
    ), observed


def observation_set(name: str) -> tuple[str, ...]:
    """The signals of observation set ``name`` (O1-O4), or a one-line error."""
    if name not in sim.OBSERVATION_SETS:
        known = sorted(sim.OBSERVATION_SETS)
        raise ValueError(f"unknown observation set {name!r}; choose from {known}")
    return sim.OBSERVATION_SETS[name]


def load_windows(paths, observed, noise: float, window: float):
    """Windows of ``window`` seconds cut from scenario files, or whole CSV measurement files.

    Returns the stacked windows, the observed signal names, and the true parameters when every
    file is a scenario simulated with the same parameters (else None).
    """
    windows, truths = [], []
    for path in map(Path, paths):
        if path.suffix.lower() == ".csv":
            w, observed = _csv_window(path, observed)
            windows.append(w)
            truths.append(None)
            continue
        data = sim.read_scenario(path)
        duration = float(data.attrs["duration"])
        starts = np.arange(0.0, duration - window + 1e-9, window)
        if starts.size == 0:
            raise ValueError(f"{path.name}: {duration:g} s is shorter than a {window:g} s window")
        windows += [cut_window(data, s, window, observed, noise) for s in starts]
        truths += [data.attrs["params"]] * len(starts)
    sizes = {(w.t.shape, w.commands.times.shape) for w in windows}
    if len(sizes) > 1:
        raise ValueError("windows differ in length or command grid; fit files of one layout")
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *windows)
    same = all(t is not None and t == truths[0] for t in truths)
    return stacked, tuple(observed), (truths[0] if same else None)


def fit(
    paths,
    out: Path,
    *,
    observe: str = "O1",
    noise: float = 0.0,
    window: float = 10.0,
    method: str = "simulation",
    initial_factors=None,
    steps: int = 50_000,
    operators: Path | str | None = None,
) -> dict:
    """Fit the four unknowns to the files' measurements; write the run directory ``out``.

    ``steps`` is the PINNs' Adam budget; ``operators`` the folder of the trained actuator
    DeepONets (``sciml twin actuators``) that ``pinn-v1`` needs.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fit method {method!r}; available: {', '.join(METHODS)}")
    observation_set(observe)
    params = EngineParameters()
    trained, settings = None, None
    if method != "simulation":  # checked here, before the run directory is written
        settings = PinnSettings(PINN_VARIANTS[method], steps=steps, chunk=max(1, min(500, steps)))
    if method == "pinn-v1":
        if operators is None:
            raise ValueError("pinn-v1 needs --operators DIR (train them with sciml twin actuators)")
        trained = tuple(load_actuator_operator(operators, a) for a in ("egr", "vgt"))
    config = {
        "files": [str(p) for p in paths],
        "observe": observe,
        "noise": noise,
        "window": window,
        "method": method,
        "initial_factors": initial_factors,
    }
    if method != "simulation":
        config.update(steps=steps, operators=None if operators is None else str(operators))
    with jax.enable_x64(True):
        windows, observed, truth = load_windows(paths, sim.OBSERVATION_SETS[observe], noise, window)
    _io.write_json(out / "config.json", {**config, **_io.environment()})  # inputs are valid
    with jax.enable_x64(True):
        report = identifiability(windows, params, observed)
        if method == "simulation":
            result = fit_by_simulation(windows, params, observed, initial_factors=initial_factors)
            rho = jnp.asarray(result.log_factors)
            predicted = jax.vmap(lambda x, w: predict(rho, x, w, params, PREDICTED))(
                jnp.asarray(result.initial_states), windows
            )
            sigma, extra = result.sigma, {"residual_rms": result.residual_rms}
        else:
            result = fit_by_pinn(
                windows,
                params,
                observed,
                settings,
                initial_factors=initial_factors,
                truth=truth,
                operators=trained,
            )
            predicted = pinn_signals(result, windows, params, PREDICTED)
            _io.write_jsonl(out / "history.jsonl", result.history)
            sigma = None
            extra = {"loss": result.loss, "compile_seconds": round(result.compile_seconds, 2)}
    _io.write_npz(
        out / "prediction.npz",
        t=np.asarray(windows.t),
        measured=np.asarray(windows.y),
        measured_names=np.array(observed),
        predicted=np.asarray(predicted),
        predicted_names=np.array(PREDICTED),
    )
    _figure(out / "figures" / "fit.png", windows, observed, np.asarray(predicted))
    identifiability_figure(out / "figures" / "identifiability.png", report)
    summary = {
        "method": method,
        "observe": observe,
        "noise": noise,
        "windows": int(windows.y.shape[0]),
        "theta": result.theta,
        "sigma": sigma,
        "steps": result.steps,
        **extra,
        "wall_seconds": round(result.wall_seconds, 2),
        "identifiability": report,
    }
    if truth is not None:
        summary["true"] = {n: truth[n] for n in UNKNOWNS}
        summary["error_percent"] = {
            n: 100 * abs(result.theta[n] - truth[n]) / truth[n] for n in UNKNOWNS
        }
    _io.write_json(out / "result.json", summary)
    return summary


def _figure(path: Path, windows: Window, observed, predicted: np.ndarray) -> None:
    """Measured samples and the fitted model of the first window, for every predicted signal."""
    fig = Figure(figsize=(11, 8), layout="constrained")
    axes = np.array(fig.subplots(2, 4, sharex=True)).ravel()
    t = np.asarray(windows.t[0])
    for ax, (k, name) in zip(axes, enumerate(PREDICTED), strict=True):
        ax.plot(t, predicted[0, :, k], "-", lw=1.2, label="fitted model")
        if name in observed:
            measured = np.asarray(windows.y[0, :, observed.index(name)])
            ax.plot(t, measured, ".", ms=3, label="measured")
        ax.set_title(name + ("" if name in observed else " (not measured)"), fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes[4:]:
        ax.set_xlabel("t (s)")
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
