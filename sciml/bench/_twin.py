"""The digital-twin suite: parameter identification by differentiable simulation (the classic
system-identification baseline of table T1), by observation set and noise level.

Data: one 20 s staircase scenario (F1, seed 0, nominal parameters) cut into two 10 s windows,
measured at 10 Hz. Each seed starts the fit from θ_nom·c with c ~ U[0.5, 1.5] per unknown (the
protocol's random initial guesses). Rows give the error in % per unknown, the Gauss–Newton σ, the
Levenberg–Marquardt steps and the wall time (compile included; one process, so later fits of the
same shapes reuse the compiled solve).
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
            sim.write_scenario(out / "scenario.h5", scenario)

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
        f"| method | observed | noise | seeds | {header} | mean 2σ % | LM steps | wall s |",
        "|---|---|---|---|" + "---|" * len(UNKNOWNS) + "---|---|---|",
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
        lines.append(
            f"| {method} | {observe} | {noise:.0%} | {len(group)} | {' | '.join(cells)} | "
            f"{two_sigma:.2g} | {steps:.0f} | {wall:.0f} |"
        )
    return "\n".join(lines)
