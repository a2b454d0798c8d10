"""The formula surrogates of the digital twin (protocol Step 4b): six tanh MLPs (3 × 32) on Latin
hypercubes of the 1st-99th percentile boxes of lab scenarios, trained on clean, 1 % and 3 % noisy
targets; acceptance: relative L2 < 1e-3 on clean held-out points. The clean set goes beside the
rows (``surrogates/``), where the ``twin_pinn`` suite's V2 finds it; a partial run (``--only``)
replaces its clean surrogates in that set and keeps the others."""

from pathlib import Path

import jax

from physics.engines import EngineParameters, Formulae
from sciml.twin._surrogates import (
    lab_scenarios,
    load_surrogates,
    save_surrogates,
    train_surrogates,
)

ACCEPTANCE = 1e-3
NOISE = (0.0, 0.01, 0.03)
POINTS = 20_000  # protocol Step 4b
LM_STEPS = 60
# η_tm's c_m ramp (0 to 1.4 over 28 rad/s, the bottom 0.4 % of the box's ω_t) holds 85-89 % of its
# squared held-out error: 2e4 points and 60 LM trials leave 1.7e-3, 4e4 points 1.6e-3, 2000
# residual-refined points 1.7e-3; the LM polish keeps lowering it slowly (1.0e-3 after 100)
SETTINGS = {"eta_tm": {"points": 40_000, "lm_steps": 160}}
DEVIATIONS = {
    "eta_tm points and LM trials": f"{SETTINGS['eta_tm']['points']} Latin-hypercube points and "
    f"{SETTINGS['eta_tm']['lm_steps']} LM trials instead of {POINTS} and {LM_STEPS}: its error "
    "at c_m's ramp missed 1e-3 with the protocol's budget",
}


def task_names(quick: bool = False) -> list[str]:
    return [f"{n}-noise{z:g}" for z in (NOISE[:1] if quick else NOISE) for n in Formulae._fields]


def _store(out) -> Path:
    root = Path(out).parent if out is not None else Path("runs/bench/twin_surrogates")
    return root / "surrogates"


def _partial_clean(tasks: list[str]) -> bool:
    clean = [t for t in tasks if t.endswith("-noise0")]
    return 0 < len(clean) < len(Formulae._fields)


def check_partial(only, quick: bool, out) -> None:
    """Before any output: a partial run of clean surrogates needs the stored set it completes."""
    tasks = [t for t in task_names(quick) if only is None or t in only]
    if _partial_clean(tasks):
        _stored(_store(out))


def twin_surrogate_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    where = _store(out)
    params = EngineParameters()
    tasks = [t for t in task_names(quick) if only is None or t in only]
    stored, meta = _stored(where) if _partial_clean(tasks) else ({}, {})  # keeps the others
    rows = []
    with jax.enable_x64(True):
        scenarios = lab_scenarios(params, 20.0 if quick else 60.0, 1 if quick else 2)
        for noise in NOISE[:1] if quick else NOISE:
            names = tuple(n for n in Formulae._fields if f"{n}-noise{noise:g}" in tasks)
            if not names:
                continue
            trained, metrics = {}, {}
            for name in names:  # one at a time: the budget is per formula
                full = {"points": POINTS, "lm_steps": LM_STEPS} | SETTINGS.get(name, {})
                t, m = train_surrogates(
                    scenarios, params, noise=noise, names=(name,), steps=1000 if quick else 100_000,
                    lbfgs_steps=100 if quick else 3000,
                    **({"points": 2000, "lm_steps": 3} if quick else full),
                )  # fmt: skip
                trained, metrics = trained | t, metrics | m
            if noise == 0.0:  # the set V2 uses
                save_surrogates(where, Formulae(**(stored | trained)), meta | metrics)
            for name, m in metrics.items():
                rows.append(
                    {
                        "suite": "twin_surrogates",
                        "problem": f"{name}-noise{noise:g}",
                        "formula": name,
                        **m,
                        "accepted": m["rel_l2_test"] < ACCEPTANCE,
                        "device": jax.devices()[0].device_kind,
                    }
                )
    return rows


def _stored(where: Path) -> tuple[dict, dict]:
    with jax.enable_x64(True):  # the stored weights are float64: keep them so
        formulae, meta = load_surrogates(where)
    return formulae._asdict(), meta


def twin_surrogate_table(rows: list[dict]) -> str:
    lines = [
        "| formula | inputs | box (1st-99th percentile of the lab) | points | training noise "
        "| Adam steps "
        "| L-BFGS steps | LM steps | training s | rel L2 (clean, held out) | max abs error "
        "| rel L2 on the lab trajectories | < 1e-3? |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["noise"], Formulae._fields.index(r["formula"]))):
        points = f"{r['points']} + {r['refine']} refined" if r.get("refine") else r["points"]
        box = ", ".join(
            f"{n} {lo:.4g}-{hi:.4g}" for n, lo, hi in zip(r["inputs"], r["lower"], r["upper"],
                                                          strict=True)
        )  # fmt: skip
        lines.append(
            f"| {r['formula']} | {', '.join(r['inputs'])} | {box} | {points} | "
            f"{100 * r['noise']:g} % | "
            f"{r['steps']} | {r.get('lbfgs_steps', 0)} | {r.get('lm_steps', 0)} | "
            f"{r['train_seconds']:.0f} | "
            f"{r['rel_l2_test']:.3g} | "
            f"{r['max_abs_error_test']:.3g} | {r.get('rel_l2_lab', float('nan')):.3g} | "
            f"{'yes' if r['accepted'] else 'no'} |"
        )
    return "\n".join(lines)
