"""The digital-twin suite: parameter identification by differentiable simulation (the classic
system-identification baseline of table T1), by observation set and noise level.

Data: one 20 s staircase scenario (F1, seed 0, nominal parameters) cut into two 10 s windows,
measured at 10 Hz. Each seed starts the fit from θ_nom·c with c ~ U[0.5, 1.5] per unknown (the
protocol's random initial guesses). Rows give the error in % per unknown, the Gauss–Newton σ, the
Levenberg–Marquardt steps (both starts where the first failed and the fit restarted from the
nominal values, see ``RESTART_RMS``) and the wall time (each fit compiles its solve: included).
"""

import time
from pathlib import Path
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from pdes import engines as sim
from physics.engines import UNKNOWNS, EngineParameters
from sciml import _io
from sciml.twin._simulate import step_tests
from sciml.twin._simulation_fit import cut_window, fit_by_simulation, predict

SCENARIO = {"family": "staircase", "seed": 0, "duration": 20.0, "window": 10.0}
OBSERVATION_SETS = ("O1", "O2")
NOISE_LEVELS = (0.0, 0.01, 0.03)
SEEDS = (0, 1, 2)
EXAMPLE = ("O1", 0.01, 0)
"""The fit drawn in figure F2: observation set, noise level, seed."""
F2_SIGNALS = ("p_im", "p_em", "omega_t", "x_r", "T_em", "W_egr")


def twin_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    params = EngineParameters()
    seeds = SEEDS[:1] if quick else SEEDS
    noise_levels = NOISE_LEVELS[:2] if quick else NOISE_LEVELS
    rows = []
    with jax.enable_x64(True):
        scenario = sim.generate_scenarios(
            SCENARIO["family"], 1, SCENARIO["seed"], params, duration=SCENARIO["duration"]
        )[0]
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
            sim.write_scenario(Path(out) / "scenario.h5", scenario)

        data = SimpleNamespace(arrays=scenario["arrays"], attrs=scenario["attrs"])

        starts = np.arange(0.0, SCENARIO["duration"], SCENARIO["window"])
        for observe in OBSERVATION_SETS:
            observed = sim.OBSERVATION_SETS[observe]
            for noise in noise_levels:
                windows = [cut_window(data, s, SCENARIO["window"], observed, noise) for s in starts]
                stacked = jax.tree.map(lambda *w: jnp.stack(w), *windows)
                for seed in seeds:
                    factors = np.random.default_rng(seed).uniform(0.5, 1.5, len(UNKNOWNS))
                    start = time.perf_counter()
                    fit = fit_by_simulation(stacked, params, observed, initial_factors=factors)
                    wall = time.perf_counter() - start
                    errors = {n: 100 * abs(fit.theta[n] / getattr(params, n) - 1) for n in UNKNOWNS}
                    if out is not None and (observe, noise, seed) == EXAMPLE:
                        figure = Path(out).parent / "figures" / "F2_example_window.png"
                        example_figure(figure, scenario, stacked, fit, params, observed, noise)
                    rows.append(
                        {
                            "suite": "twin",
                            "problem": f"simulation-{observe}-noise{noise:g}",
                            "method": "differentiable simulation (LM)",
                            "observe": observe,
                            "noise": noise,
                            "seed": seed,
                            "initial_factors": factors.tolist(),
                            "windows": len(starts),
                            "error_percent": errors,
                            "sigma_percent": {
                                n: 100 * fit.sigma[n] / fit.theta[n] for n in UNKNOWNS
                            },
                            "steps": fit.steps,
                            "restarted": fit.restarted,
                            "residual_rms": fit.residual_rms,
                            "wall_seconds": round(wall, 2),
                        }
                    )
    if out is not None:
        noise_figure(Path(out).parent / "figures" / "F4_noise.png", rows)
    return rows


def example_figure(path: Path, scenario, windows, fit, params, observed, noise) -> None:
    """F2: the commands; measured samples, truth and the fitted model of p_im, p_em, ω_t; truth
    and prediction of the unmeasured x_r, T_em, W_egr; over every window of the scenario."""
    a = scenario["arrays"]
    t_true = np.asarray(a["t-coordinate"])
    truth = {n: a["states"][:, sim.STATES.index(n)] for n in sim.STATES}
    truth |= {n: a["signals"][:, sim.SIGNALS.index(n)] for n in sim.SIGNALS}
    rho = jnp.asarray(fit.log_factors)
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = np.array(fig.subplots(2, 4, sharex=True)).ravel()
    times = np.asarray(a["command-times"])
    values = np.asarray(a["command-values"])
    axes[0].step(times, values[:, 0] / 10.0, where="post", label="n_e / 10 rpm")
    axes[0].step(times, values[:, 1], where="post", label="u_delta mg")
    axes[4].step(times, values[:, 2], where="post", label="u_egr %")
    axes[4].step(times, values[:, 3], where="post", label="u_vgt %")
    axes[0].set_title("commands", fontsize=9)
    axes[4].set_title("actuator commands", fontsize=9)
    for i in range(windows.t.shape[0]):
        keep = (t_true >= float(windows.t[i, 0]) - 1e-9) & (
            t_true <= float(windows.t[i, -1]) + 1e-9
        )
        one = jax.tree.map(lambda leaf, i=i: leaf[i], windows)
        dense = one._replace(t=jnp.asarray(t_true[keep]))  # predict reads times and commands
        predicted = np.asarray(
            predict(rho, jnp.asarray(fit.initial_states[i]), dense, params, F2_SIGNALS)
        )
        for j, name in enumerate(F2_SIGNALS):
            ax = axes[(1, 2, 3, 5, 6, 7)[j]]
            first = i == 0
            ax.plot(t_true[keep], truth[name][keep], "k-", lw=1.0, label="truth" if first else None)
            ax.plot(t_true[keep], predicted[:, j], "C1--", lw=1.2,
                    label="fitted model" if first else None)  # fmt: skip
            if name in observed:
                measured = np.asarray(windows.y[i, :, observed.index(name)])
                label = f"measured ({noise:.0%})" if first else None
                ax.plot(np.asarray(windows.t[i]), measured, "C0.", ms=3, label=label)
            ax.set_title(name + ("" if name in observed else " (not measured)"), fontsize=9)
    for ax in axes:
        ax.legend(fontsize=7)
    for ax in axes[4:]:
        ax.set_xlabel("t (s)")
    fig.suptitle("F2: a field scenario and the differentiable-simulation fit", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def noise_figure(path: Path, rows: list[dict]) -> None:
    """F4: parameter error % (mean over seeds, bars: min to max) against noise, per
    observation set and unknown."""
    sets = sorted({r["observe"] for r in rows})
    fig = Figure(figsize=(4.5 * len(sets), 4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(sets), sharey=True))
    for ax, observe in zip(axes, sets, strict=True):
        mine = [r for r in rows if r["observe"] == observe]
        levels = sorted({r["noise"] for r in mine})
        for name in UNKNOWNS:
            errors = [[r["error_percent"][name] for r in mine if r["noise"] == n] for n in levels]
            mean = np.array([np.mean(e) for e in errors])
            low = mean - np.array([np.min(e) for e in errors])
            high = np.array([np.max(e) for e in errors]) - mean
            x = 100 * np.array(levels)
            ax.errorbar(x, mean, yerr=[low, high], fmt="o-", capsize=3, label=name)
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_xlabel("noise, % of each signal's std")
        ax.set_title(f"{observe}: {', '.join(sim.OBSERVATION_SETS[observe])}", fontsize=9)
    axes[0].set_ylabel("parameter error %")
    axes[0].legend(fontsize=8)
    fig.suptitle("F4: differentiable-simulation identification against noise", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def step_test_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """The LiU VGT step tests against their published values. Figure F1 goes beside the rows
    (``out`` is the suite's ``runs/`` folder), so that the README can show it."""
    where = Path(out).parent if out is not None else Path("runs/bench/twin_steps")
    rows = step_tests(where, write_rows=False)  # the suite writes rows.jsonl itself
    return [{"suite": "twin_steps", "problem": r["experiment"], **r} for r in rows]


def twin_table(rows: list[dict]) -> str:
    """T1 for this method: error % (mean ± std over seeds) per unknown, σ, steps, wall time."""
    header = " | ".join(f"{n} error %" for n in UNKNOWNS)
    lines = [
        f"| method | observed | noise | seeds | {header} | mean 2σ % | LM steps | restarts "
        "| wall s |",
        "|---|---|---|---|" + "---|" * len(UNKNOWNS) + "---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["observe"], row["noise"]), []).append(row)
    for (method, observe, noise), group in sorted(groups.items(), key=lambda g: g[0]):
        cells = []
        for n in UNKNOWNS:
            e = np.array([r["error_percent"][n] for r in group])
            cells.append(f"{e.mean():.3g} ± {e.std():.2g}")
        two_sigma = np.mean([2 * np.mean(list(r["sigma_percent"].values())) for r in group])
        steps = np.mean([r["steps"] for r in group])
        wall = np.median([r["wall_seconds"] for r in group])
        restarts = sum(bool(r.get("restarted")) for r in group)
        lines.append(
            f"| {method} | {observe} | {noise:.0%} | {len(group)} | {' | '.join(cells)} | "
            f"{two_sigma:.2g} | {steps:.0f} | {restarts} | {wall:.0f} |"
        )
    return "\n".join(lines)


def _health_cases() -> dict:
    """Step 10's cases at every level: id -> (fault, field factors, estimated unknowns)."""
    cases = {"H0": ("none", {}, UNKNOWNS)}
    for k in (0.95, 0.90, 0.85):
        cases[f"H1-{k:.2f}"] = (f"compressor efficiency x{k:.2f}", {"eta_cmax": k},
                                (*UNKNOWNS, "eta_cmax"))  # fmt: skip
    # θ alone under the H1 fault: how much of it aliases into the four unknowns
    cases["H1-0.90-aliased"] = ("compressor efficiency x0.90, eta_cmax not estimated",
                                {"eta_cmax": 0.90}, UNKNOWNS)  # fmt: skip
    for k in (0.9, 0.8, 0.6):
        cases[f"H2-{k:.2f}"] = (f"fouled EGR valve x{k:.2f}", {"A_egrmax": k}, UNKNOWNS)
    for k in (0.95, 0.90, 0.80):
        cases[f"H3-{k:.2f}"] = (f"VGT fouling x{k:.2f}", {"A_vgtmax": k}, UNKNOWNS)
    for name, label, levels in (("h_tot", "exhaust heat loss", (0.8, 1.2)),
                                ("eta_sc", "combustion drift", (0.95, 1.05))):  # fmt: skip
        for k in levels:
            cases[f"H4-{name}-{k:.2f}"] = (f"{label} x{k:.2f}", {name: k}, UNKNOWNS)
    cases["H5"] = ("EGR x0.80 and VGT x0.90", {"A_egrmax": 0.80, "A_vgtmax": 0.90}, UNKNOWNS)
    return cases


HEALTH_CASES = _health_cases()
HEALTH_FIELD = {"family": "staircase", "seed": 7, "duration": 20.0, "window": 10.0,
                "observe": "O1", "noise": 0.01}  # fmt: skip


def health_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """Table T4 with the differentiable-simulation estimator: one field scenario per case (the
    same commands for every case), k̂ ± 2σ per estimated parameter and the detection verdict."""
    from sciml.twin._monitor import detect

    nominal = EngineParameters()
    f = HEALTH_FIELD
    cases = {k: HEALTH_CASES[k] for k in ("H0", "H1-0.90")} if quick else HEALTH_CASES
    observed = sim.OBSERVATION_SETS[f["observe"]]
    rows = []
    with jax.enable_x64(True):
        for case, (fault, factors, unknowns) in cases.items():
            field = nominal._replace(**{n: getattr(nominal, n) * k for n, k in factors.items()})
            scenario = sim.generate_scenarios(
                f["family"], 1, f["seed"], field, duration=f["duration"]
            )[0]
            data = SimpleNamespace(arrays=scenario["arrays"], attrs=scenario["attrs"])
            starts = np.arange(0.0, f["duration"], f["window"])
            windows = [cut_window(data, s, f["window"], observed, f["noise"]) for s in starts]
            stacked = jax.tree.map(lambda *w: jnp.stack(w), *windows)
            start = time.perf_counter()
            fit = fit_by_simulation(stacked, nominal, observed, unknowns=unknowns)
            wall = time.perf_counter() - start
            for name in unknowns:
                k = fit.theta[name] / getattr(nominal, name)
                sigma = fit.sigma[name] / getattr(nominal, name)
                true_k = factors.get(name, 1.0)
                flagged = detect(k, sigma)
                rows.append(
                    {
                        "suite": "twin_health",
                        "problem": case,
                        "fault": fault,
                        "parameter": name,
                        "true_k": true_k,
                        "k": k,
                        "two_sigma": 2 * sigma,
                        "flagged": flagged,
                        "correct": flagged == (true_k != 1.0),
                        "observe": f["observe"],
                        "noise": f["noise"],
                        "wall_seconds": round(wall, 2),
                    }
                )
    if out is not None:
        health_figure(Path(out).parent / "figures" / "F5_health.png", rows)
    return rows


def health_table(rows: list[dict]) -> str:
    """T4, one line per case: the faulted parameters' true k and k̂ ± 2σ, the healthy ones'
    largest deviation, the verdicts."""
    lines = [
        "| case | fault | true k | estimated k ± 2σ | healthy parameters: largest abs(k - 1) "
        "| flagged | all verdicts right? |",
        "|---|---|---|---|---|---|---|",
    ]
    cases: dict[str, list[dict]] = {}
    for r in rows:
        cases.setdefault(r["problem"], []).append(r)
    for case, group in cases.items():
        faulty = [r for r in group if r["true_k"] != 1.0]
        healthy = [r for r in group if r["true_k"] == 1.0]
        true_k = ", ".join(f"{r['parameter']} {r['true_k']:.2f}" for r in faulty) or "-"
        estimated = ", ".join(f"{r['k']:.4f} ± {r['two_sigma']:.4f}" for r in faulty) or "-"
        worst = max(healthy, key=lambda r: abs(r["k"] - 1.0))
        flagged = ", ".join(r["parameter"] for r in group if r["flagged"]) or "none"
        right = all(r["correct"] for r in group)
        lines.append(
            f"| {case} | {group[0]['fault']} | {true_k} | {estimated} | "
            f"{worst['parameter']} {abs(worst['k'] - 1.0):.4f} | {flagged} | "
            f"{'yes' if right else 'NO'} |"
        )
    return "\n".join(lines)


LIMITS = (0.5, 1.3)
"""The k̂ axis of F5: the levels of Step 10 with room for their error bars."""


def health_figure(path: Path, rows: list[dict]) -> None:
    """F5: estimated against true health factor (± 2σ) of every faulted parameter, by group."""
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.subplots()
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["true_k"] != 1.0:
            groups.setdefault(r["problem"].split("-")[0], []).append(r)
    for i, (group, members) in enumerate(sorted(groups.items())):
        direct = [m for m in members if not m["problem"].endswith("aliased")]
        offset = 0.004 * (i - 2)  # groups side by side where their true k coincide
        if direct:
            ax.errorbar([m["true_k"] + offset for m in direct], [m["k"] for m in direct],
                        yerr=[m["two_sigma"] for m in direct], fmt="o", capsize=3,
                        label=group)  # fmt: skip
        for m in direct:  # estimates off the scale: marked at its edge with their value
            if not LIMITS[0] <= m["k"] <= LIMITS[1]:
                edge = min(max(m["k"], LIMITS[0]), LIMITS[1])
                ax.plot(m["true_k"] + offset, edge, "v" if m["k"] < edge else "^", color="C3")
                ax.annotate(f"{m['problem']}: k̂ = {m['k']:.2f}", (m["true_k"] + offset, edge),
                            textcoords="offset points", xytext=(6, -10), fontsize=7)  # fmt: skip
    ax.set_ylim(*LIMITS)
    ax.axline((1.0, 1.0), slope=1.0, color="0.5", lw=0.8, ls="--", label="k̂ = k")
    ax.set_xlabel("true health factor k")
    ax.set_ylabel("estimated k̂ ± 2σ")
    ax.set_title("F5: health factors of the faulted parameters (O1, 1 % noise)", fontsize=9)
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
