r"""``sciml twin monitor``: field windows -> health factors with uncertainty and a fault verdict.

The health factor of an identified parameter is :math:`k = \theta_{field}/\theta_{nom}`; it is
estimated with the windows' own error bar :math:`\hat\sigma_k`, and a fault is flagged when
:math:`|\hat k - 1| > \max(3\hat\sigma_k, 0.02)` (reference/diesel-mvem.md, step 10). Estimate
η_c,max too (``--unknowns ...,eta_cmax``) when a compressor fault is possible: otherwise it
aliases into η_sc.
"""

from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

from pdes import engines as sim
from physics.engines import UNKNOWNS, EngineParameters
from sciml import _io
from sciml.twin._fit import load_windows, observation_set
from sciml.twin._simulation_fit import fit_by_simulation

DETECTION_FLOOR = 0.02
"""Smallest flagged deviation of a health factor (2 %), whatever the error bar."""


def detect(k: float, sigma: float) -> bool:
    """The protocol's detection rule: |k − 1| > max(3σ, 0.02)."""
    return abs(k - 1.0) > max(3.0 * sigma, DETECTION_FLOOR)


def monitor(
    paths,
    out: Path,
    *,
    observe: str = "O1",
    noise: float = 0.0,
    window: float = 10.0,
    unknowns=UNKNOWNS,
) -> list[dict]:
    """Estimate the health factors of ``unknowns`` from the files; write ``health.json``,
    ``health.md`` and ``figures/health.png`` into ``out``."""
    unknowns = tuple(unknowns)
    bad = [n for n in unknowns if n not in EngineParameters._fields]
    if bad:
        raise ValueError(f"unknown engine parameter(s) {bad}")
    observation_set(observe)
    nominal = EngineParameters()
    with jax.enable_x64(True):
        windows, observed, truth = load_windows(paths, sim.OBSERVATION_SETS[observe], noise, window)
        result = fit_by_simulation(windows, nominal, observed, unknowns=unknowns)
    rows = []
    for name in unknowns:
        k = result.theta[name] / getattr(nominal, name)
        sigma = result.sigma[name] / getattr(nominal, name)
        row = {"parameter": name, "k": k, "two_sigma": 2 * sigma, "flagged": detect(k, sigma)}
        if truth is not None:
            row["true_k"] = truth[name] / getattr(nominal, name)
        rows.append(row)
    report = {
        "files": [str(p) for p in paths],
        "observe": observe,
        "noise": noise,
        "windows": int(windows.y.shape[0]),
        "wall_seconds": round(result.wall_seconds, 2),
        "factors": rows,
    }
    _io.write_json(out / "health.json", report)
    _io.write_text(out / "health.md", health_table(rows) + "\n")
    _figure(out / "figures" / "health.png", rows)
    return rows


def health_table(rows: list[dict]) -> str:
    truth = all("true_k" in r for r in rows)
    lines = [
        "| parameter | " + ("true k | " if truth else "") + "estimated k ± 2σ | verdict |",
        "|---|" + ("---|" if truth else "") + "---|---|",
    ]
    for r in rows:
        true = f"{r['true_k']:.3f} | " if truth else ""
        verdict = "FAULT" if r["flagged"] else "healthy"
        estimate = f"{r['k']:.4f} ± {r['two_sigma']:.4f}"
        lines.append(f"| {r['parameter']} | {true}{estimate} | {verdict} |")
    return "\n".join(lines)


def _figure(path: Path, rows: list[dict]) -> None:
    """F5 for one engine: k̂ ± 2σ per parameter, the true k where known, the detection band."""
    fig = Figure(figsize=(1.6 * len(rows) + 2, 3.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(rows))
    ks = [r["k"] for r in rows]
    ax.errorbar(x, ks, yerr=[r["two_sigma"] for r in rows], fmt="o", capsize=4, label="k̂ ± 2σ")
    if all("true_k" in r for r in rows):
        ax.plot(x, [r["true_k"] for r in rows], "rx", ms=9, label="true k")
    band = (1 - DETECTION_FLOOR, 1 + DETECTION_FLOOR)
    ax.axhspan(*band, color="green", alpha=0.15, label="±2 % (never flagged)")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks(x, [r["parameter"] for r in rows])
    ax.set_ylabel("health factor k = θ / θ_nom")
    ax.legend(fontsize=8)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
