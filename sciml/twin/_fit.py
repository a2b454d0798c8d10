"""``sciml twin fit``: measured windows -> parameter estimates with uncertainty, predicted states,
a run directory (config, result, predictions, figure).

Methods: ``simulation`` (Levenberg–Marquardt through the diffrax solve, :mod:`._simulation_fit`,
with Gauss–Newton σ); the PINNs ``pinn-v0``, ``pinn-v1-exact``, ``pinn-v1`` and ``pinn-v2``
(:mod:`._pinn`;
point estimates, their history in ``history.jsonl``, their networks stored for transfer);
``few-shot`` (Step 8: a body from ``sciml twin pretrain``, frozen; MC-dropout σ when the body
was pre-trained with dropout) and ``multi-stage`` (Step 7: from a ``pinn-*`` run directory).
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
from sciml.twin._few_shot import dropout_estimates, ensemble_estimates, few_shot_solver
from sciml.twin._few_shot_body import FewShotSettings, check_length
from sciml.twin._identifiability import figure as identifiability_figure
from sciml.twin._identifiability import identifiability
from sciml.twin._multi_stage import fit_multi_stage
from sciml.twin._pinn import PinnSettings, check_budget, fit_by_pinn, pinn_signals
from sciml.twin._simulation_fit import Window, cut_window, fit_by_simulation, predict
from sciml.twin._store import load_body, load_networks, save_networks
from sciml.twin._surrogates import load_surrogates

METHODS = (
    "simulation",
    "pinn-v0",
    "pinn-v1-exact",
    "pinn-v1",
    "pinn-v2",
    "few-shot",
    "multi-stage",
)
PINN_VARIANTS = {"pinn-v0": "V0", "pinn-v1-exact": "V1-exact", "pinn-v1": "V1", "pinn-v2": "V2"}
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
    steps: int | None = None,
    stage1_steps: int = 2000,
    lbfgs_steps: int = 0,
    fixed_weights: bool = False,
    operators: Path | str | None = None,
    body: Path | str | list | None = None,
    source: Path | str | None = None,
    surrogates: Path | str | None = None,
    dropout_masks: int = 20,
) -> dict:
    """Fit the four unknowns to the files' measurements; write the run directory ``out``.

        ``steps`` is the PINNs' Adam budget (50,000) or multi-stage's stage 2 (5000), after
        ``stage1_steps`` with θ frozen at the source's estimate; ``lbfgs_steps`` L-BFGS
        iterations after Adam (Step 5's option; multi-stage's stage 3); ``fixed_weights`` holds
        the PINN data term's self-adaptive weights at 1; ``operators``
        the folder of the trained actuator DeepONets (``sciml twin actuators``) that ``pinn-v1`` and
        V1/V2 sources need; ``surrogates`` the folder of ``sciml twin surrogates`` (``pinn-v2``, V2
        sources); ``body`` the folder of ``sciml twin pretrain`` (few-shot), or several folders
    (bodies pre-trained with other ``--init-seed``: a deep ensemble, θ̂ ± its spread); ``source`` a
        ``pinn-*`` run directory (multi-stage), whose θ̂ is the start.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fit method {method!r}; available: {', '.join(METHODS)}")
    observation_set(observe)
    if lbfgs_steps < 0:
        raise ValueError(f"need lbfgs_steps >= 0, got {lbfgs_steps}")
    if lbfgs_steps and method not in (*PINN_VARIANTS, "multi-stage"):
        raise ValueError(f"L-BFGS steps apply to the PINN methods and multi-stage, not {method}")
    if fixed_weights and method not in PINN_VARIANTS:
        raise ValueError(f"fixed data weights apply to the PINN methods, not {method}")
    params = EngineParameters()
    trained, settings, bodies, source_fit, formulae = None, None, [], None, None
    # everything is checked here, before the run directory is written
    if method in PINN_VARIANTS:
        steps = 50_000 if steps is None else steps
        settings = PinnSettings(
            PINN_VARIANTS[method],
            steps=steps,
            chunk=max(1, min(500, steps)),
            lbfgs_steps=lbfgs_steps,
            lbfgs_chunk=max(1, min(100, lbfgs_steps)),
            self_adaptive=not fixed_weights,
        )
    if method == "few-shot":
        if body is None:
            raise ValueError("few-shot needs --body DIR (pre-train one with sciml twin pretrain)")
        folders = [body] if isinstance(body, str | Path) else list(body)
        bodies = [load_body(folder)[0] for folder in folders]
    if method == "multi-stage":
        if source is None:
            raise ValueError(
                "multi-stage needs --source DIR (a sciml twin fit --method pinn-* run)"
            )
        if initial_factors is not None:
            raise ValueError("multi-stage starts from the source's estimate; drop --start")
        source_fit = load_networks(source)
        steps = 5000 if steps is None else steps
        for budget in (stage1_steps, steps):  # both stages run in chunks of this size
            check_budget(budget, min(source_fit.settings["chunk"], 500))
    variant = None if source_fit is None else source_fit.settings["variant"]
    if method in ("pinn-v1", "pinn-v2") or variant in ("V1", "V2"):
        if operators is None:
            raise ValueError(
                f"{method} needs --operators DIR (train them with sciml twin actuators)"
            )
        trained = tuple(load_actuator_operator(operators, a) for a in ("egr", "vgt"))
    if method == "pinn-v2" or variant == "V2":
        if surrogates is None:
            raise ValueError(
                f"{method} needs --surrogates DIR (train them with sciml twin surrogates)"
            )
        formulae = load_surrogates(surrogates)[0]
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
        config.update(lbfgs_steps=lbfgs_steps, fixed_weights=fixed_weights)
        config.update(surrogates=None if surrogates is None else str(surrogates))
    if method == "few-shot":
        config.update(body=[str(b) for b in folders], dropout_masks=dropout_masks)
    if method == "multi-stage":
        config.update(source=str(source), stage1_steps=stage1_steps)
    with jax.enable_x64(True):
        windows, observed, truth = load_windows(paths, sim.OBSERVATION_SETS[observe], noise, window)
        for pretrained in bodies:
            check_length(windows, pretrained.length)
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
        elif method == "few-shot":
            result, sigma, extra = _few_shot(
                windows, params, observed, bodies, initial_factors, dropout_masks
            )
            predicted = pinn_signals(result, windows, params, PREDICTED)
        elif method == "multi-stage":
            staged = fit_multi_stage(
                windows, params, observed, source_fit, stage1_steps=stage1_steps,
                stage2_steps=steps, stage3_steps=lbfgs_steps, truth=truth,
                operators=trained, surrogates=formulae,
            )  # fmt: skip
            first, result = staged["stage1"], staged["stage2"]
            predicted = pinn_signals(result, windows, params, PREDICTED)
            _io.write_jsonl(out / "history.jsonl", first.history + result.history)
            save_networks(out, result, observed)
            result.steps += first.steps
            result.wall_seconds = staged["wall_seconds"]
            sigma = None
            extra = {
                "loss": result.loss,
                "compile_seconds": round(staged["compile_seconds"], 2),
                "stage1_seconds": round(first.wall_seconds, 2),
                "lbfgs_steps": result.lbfgs_steps,
                "source_theta": source_fit.theta,
            }
        else:
            result = fit_by_pinn(
                windows,
                params,
                observed,
                settings,
                initial_factors=initial_factors,
                truth=truth,
                operators=trained,
                surrogates=formulae,
            )
            predicted = pinn_signals(result, windows, params, PREDICTED)
            _io.write_jsonl(out / "history.jsonl", result.history)
            save_networks(out, result, observed)  # the source of a later multi-stage fit
            sigma = None
            extra = {
                "loss": result.loss,
                "compile_seconds": round(result.compile_seconds, 2),
                "lbfgs_steps": result.lbfgs_steps,
            }
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


def _few_shot(windows, params, observed, bodies, initial_factors, masks: int):
    """The frozen-body solve; with several bodies, θ̂ and σ are the ensemble's mean and std
    (states from the first body); with one body pre-trained with dropout, MC-dropout σ over
    ``masks`` masks."""
    solves = [few_shot_solver(windows, params, observed, b) for b in bodies]
    result = solves[0](initial_factors=initial_factors)
    settings = FewShotSettings(**bodies[0].settings)
    extra = {
        "loss": result.loss,
        "compile_seconds": round(result.compile_seconds, 2),
        "feature_seconds": round(result.feature_seconds, 4),
    }
    if len(solves) > 1:
        spread = ensemble_estimates(solves, initial_factors=initial_factors)
        extra["ensemble"] = {k: spread[k] for k in ("mean", "std", "estimates", "seconds")}
        result = result._replace(theta=spread["mean"])
        return result, spread["std"], extra
    if settings.dropout == 0.0 or masks < 2:
        return result, None, extra
    spread = dropout_estimates(solves[0], masks, settings, initial_factors=initial_factors)
    extra["dropout"] = {k: spread[k] for k in ("mean", "std", "seconds")}
    return result, spread["std"], extra


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
