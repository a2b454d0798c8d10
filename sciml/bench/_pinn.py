"""The PINN suite: problems x configs x seeds, one row per run, a table of mean +- std.

Published numbers are shown beside ours only where the setting matches (see
``../shared/reference/published-numbers.md``); the ``setting`` column says how they differ.
"""

from pathlib import Path

import numpy as np

from pdes import tables
from sciml import configs
from sciml.pinn import train_and_evaluate

PUBLISHED = {
    "burgers": (
        "~4e-3",
        "DeepXDE Burgers example (issue 3: 2-20-20-20-1, 15k Adam + L-BFGS, ~4 min, 2 CPUs)",
    ),
    "allen_cahn": ("5.37e-5", "JAX-PI README (GPU, 300k steps, batch 8192)"),
    "advection": (
        "6.88e-4",
        "JAX-PI README, c = 100 (GPU, 200k steps; its time frequency starts at 3π, ours at c)",
    ),
    "kdv": ("4.27e-4", "PirateNet, JAX-PI pirate branch (GPU, 200k steps)"),
    "wave": ("9.79e-2", "PINNacle Wave1d-C, best method NTK [secondary] (20k Adam steps)"),
}

QUASI_NEWTON = {"lbfgs": "L-BFGS", "bfgs": "BFGS", "ssbfgs": "SSBFGS"}
SEEDS = (0, 1, 2)
TASKS = {
    # (problem, config variant, seeds): three seeds, one for the long recipes
    "quick": [("burgers", "quick", SEEDS)],
    "full": [
        ("burgers", "quick", SEEDS),
        ("burgers", "long", (0,)),
        ("heat", "quick", SEEDS),
        ("poisson", "quick", SEEDS),
        ("wave", "quick", SEEDS),
        ("advection", "quick", SEEDS),
        ("kdv", "long", (0,)),
        ("allen_cahn", "long", (0,)),
    ],
}


def check_only(only: list[str] | None, quick: bool = False) -> None:
    """A clear error for problems that have no task in the suite."""
    known = {problem for problem, _, _ in TASKS["quick" if quick else "full"]}
    if only is not None and not set(only) <= known:
        unknown = ", ".join(sorted(set(only) - known))
        raise ValueError(f"no PINN benchmark task for {unknown}; tasks: {', '.join(sorted(known))}")


def pinn_rows(
    quick: bool = False, out: str | Path | None = None, only: list[str] | None = None
) -> list[dict]:
    """Train every task (of the problems in ``only``, if given); one row per run."""
    tasks = TASKS["quick" if quick else "full"]
    check_only(only, quick)
    rows = []
    base = Path(out if out is not None else "runs/bench/pinn/runs")
    for problem, variant, seeds in tasks:
        if only is not None and problem not in only:
            continue
        for seed in seeds:
            config = configs.get(problem, variant).replace(seed=seed)
            result = train_and_evaluate(
                config, base / f"{problem}-{variant}-{seed}", progress=False
            )
            rows.append({"suite": "pinn", "config": variant, **result})
    return rows


def pinn_table(rows: list[dict]) -> str:
    """Mean +- std over seeds per (problem, config), with the published number where it fits."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["problem"], row["config"]), []).append(row)
    summary = []
    for (problem, variant), runs in groups.items():
        errors = np.array([r["rel_l2"] for r in runs])
        walls = np.array([r["wall_seconds"] for r in runs])
        published, source = PUBLISHED.get(problem, (None, None))
        summary.append(
            {
                "problem": problem,
                "config": variant,
                "seeds": len(runs),
                "steps": f"{runs[0]['adam_steps']} Adam + {runs[0]['lbfgs_steps']} "
                f"{QUASI_NEWTON[runs[0].get('quasi_newton', 'lbfgs')]}",
                "wall": f"{walls.mean():.0f} ± {walls.std():.0f}",
                "steps_per_second": float(np.mean([r["steps_per_second"] for r in runs])),
                "rel_l2": f"{errors.mean():.2e} ± {errors.std():.1e}",
                "best": float(errors.min()),
                "published": published,
                "source": source,
            }
        )
    return tables.markdown(
        summary,
        [
            ("problem", "problem", "{}"),
            ("config", "config", "{}"),
            ("seeds", "seeds", "{}"),
            ("steps", "steps", "{}"),
            ("wall s", "wall", "{}"),
            ("steps/s", "steps_per_second", "{:.0f}"),
            ("rel. L2 (mean ± std)", "rel_l2", "{}"),
            ("best seed", "best", "{:.2e}"),
            ("published", "published", "{}"),
            ("source and setting", "source", "{}"),
        ],
    )
