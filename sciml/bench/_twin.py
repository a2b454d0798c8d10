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

from pdes import engines as sim
from physics.engines import UNKNOWNS, EngineParameters
from sciml.twin._simulate import step_tests
from sciml.twin._simulation_fit import cut_window, fit_by_simulation

SCENARIO = {"family": "staircase", "seed": 0, "duration": 20.0, "window": 10.0}
OBSERVATION_SETS = ("O1", "O2")
NOISE_LEVELS = (0.0, 0.01, 0.03)
SEEDS = (0, 1, 2)


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
    return rows


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


HEALTH_CASES = {
    # id: (fault description, parameter factors of the field engine, estimated unknowns)
    "H0": ("none", {}, UNKNOWNS),
    "H1": ("compressor efficiency x0.90", {"eta_cmax": 0.90}, (*UNKNOWNS, "eta_cmax")),
    "H1-aliased": ("compressor efficiency x0.90, eta_cmax not estimated", {"eta_cmax": 0.90},
                   UNKNOWNS),
    "H2": ("fouled EGR valve x0.80", {"A_egrmax": 0.80}, UNKNOWNS),
    "H3": ("VGT fouling x0.90", {"A_vgtmax": 0.90}, UNKNOWNS),
    "H4": ("exhaust heat loss x0.80", {"h_tot": 0.80}, UNKNOWNS),
    "H5": ("EGR x0.80 and VGT x0.90", {"A_egrmax": 0.80, "A_vgtmax": 0.90}, UNKNOWNS),
}  # fmt: skip
HEALTH_FIELD = {"family": "staircase", "seed": 7, "duration": 20.0, "window": 10.0,
                "observe": "O1", "noise": 0.01}  # fmt: skip


def health_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """Table T4 with the differentiable-simulation estimator: one field scenario per case (the
    same commands for every case), k̂ ± 2σ per estimated parameter and the detection verdict."""
    from sciml.twin._monitor import detect

    nominal = EngineParameters()
    f = HEALTH_FIELD
    cases = dict(list(HEALTH_CASES.items())[:2]) if quick else HEALTH_CASES
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
    return rows


def health_table(rows: list[dict]) -> str:
    """T4: true k, estimated k ± 2σ and the verdict per case and parameter."""
    lines = [
        "| case | fault | parameter | true k | estimated k ± 2σ | verdict | right? |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = "FAULT" if r["flagged"] else "healthy"
        lines.append(
            f"| {r['problem']} | {r['fault']} | {r['parameter']} | {r['true_k']:.2f} | "
            f"{r['k']:.4f} ± {r['two_sigma']:.4f} | {verdict} | {'yes' if r['correct'] else 'NO'} |"
        )
    return "\n".join(lines)
