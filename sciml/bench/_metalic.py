"""METALIC against fixed interface conditions, random ones and one domain, per PDE family
(``seed-models.md`` section 6); and the subdomain stack's speed on 4 simulated devices.

Per family (tasks ``FAMILY-METHOD``): ``baselines`` trains, at each of ``TESTS`` held-out θ,
every fixed condition set (:data:`sciml.pinn._metalic.FIXED`) and one random arm per seed side
by side; ``ucb``, ``ts`` and ``two-stage`` run the bandit (warm-up ``WARMUP``, ``ROUNDS`` online
rounds) for each seed and test its posterior-mean-best arms at the same θ from the same networks
and points; ``single-domain`` trains one network on the whole domain (the points of all strips) and,
for the wall time, the two-strip PINN with solution continuity, one task at a time (the data and
reference computed before the clock starts).

CPU budget (METALIC's in brackets): Adam 1000 [2000] steps, L-BFGS 200 [up to 50 000]
iterations, 1000 collocation and 100 boundary points per subdomain, [2, 20, 20, 1] networks;
8 test contexts [100], 15 online rounds [200].
"""

import os
import subprocess
import sys
import time

import numpy as np

from sciml.pinn._metalic import (
    FIXED,
    Budget,
    Trainer,
    arm_number,
    baseline_errors,
    held_out_contexts,
    held_out_key,
    run_bandit,
)

FAMILIES = ("advection", "reaction", "heat", "burgers", "kdv", "poisson")
METHODS = ("baselines", "ucb", "ts", "two-stage", "single-domain")
BUDGET = Budget(adam_steps=1000, lbfgs_steps=200)
QUICK_BUDGET = Budget(
    adam_steps=40, lbfgs_steps=10, interior_points=100, interface_points=20, boundary_points=20
)
SEEDS = (0, 1, 2)
WARMUP, ROUNDS, TESTS = 5, 15, 8
QUICK_SCHEDULE = (2, 1, 2)
DEVICE_STRIPS, DEVICE_STEPS = 4, 500


def task_names(quick: bool = False) -> list[str]:
    return [f"{f}-{m}" for f in FAMILIES for m in METHODS]


def metalic_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    budget = QUICK_BUDGET if quick else BUDGET
    warmup, rounds, tests = QUICK_SCHEDULE if quick else (WARMUP, ROUNDS, TESTS)
    seeds = SEEDS[:1] if quick else SEEDS
    rows = []
    for family in FAMILIES:
        trainer = None
        for method in METHODS:
            task = f"{family}-{method}"
            if only is not None and task not in only:
                continue
            base = {
                "suite": "metalic",
                "problem": task,
                "family": family,
                "method": method,
                "budget": budget._asdict(),
                "tests": tests,
            }
            if method == "single-domain":
                rows.extend(_domains(family, budget, tests, base))
                continue
            trainer = trainer or Trainer(family, budget)
            if method == "baselines":
                start = time.perf_counter()
                errors = baseline_errors(trainer, tests, seeds)
                wall = time.perf_counter() - start
                for name, values in errors.items():
                    method, _, seed = name.partition("-")
                    rows.append(
                        {
                            **base,
                            "method": method,
                            "seed": int(seed or 0),
                            "errors": values,
                            "mean_error": float(np.mean(values)),
                            "wall_seconds": round(wall, 1),
                        }
                    )
                continue
            heuristic, mode = ("ucb", "step") if method == "two-stage" else (method, "query")
            for seed in seeds:
                run = run_bandit(
                    trainer, heuristic, seed, mode=mode, warmup=warmup, rounds=rounds, tests=tests
                )
                errors = [t["error"] for t in run["test"]]
                rows.append(
                    {
                        **base,
                        "seed": seed,
                        "errors": errors,
                        "mean_error": float(np.mean(errors)),
                        "arms": [t["arms"] for t in run["test"]],
                        "history": run["history"],
                        "wall_seconds": round(run["wall_seconds"], 1),
                    }
                )
    return rows


def _domains(family, budget, tests, base) -> list[dict]:
    """One network on the whole domain against two strips with solution continuity, at the
    held-out θ; the seconds per task after compilation (the first task compiles)."""
    rows = []
    for name, trainer in (
        ("single-domain", Trainer(family, budget, single_domain=True)),
        ("multi-domain", Trainer(family, budget)),
    ):
        errors, seconds = [], []
        for i, theta in enumerate(held_out_contexts(family, tests)):
            trainer.data(theta, held_out_key(i))  # references cached: the time is training
            start = time.perf_counter()
            errors.append(
                float(
                    trainer.errors(theta, [arm_number(FIXED["continuity"])], held_out_key(i))[0, 1]
                )
            )
            seconds.append(time.perf_counter() - start)
        rows.append(
            {
                **base,
                "method": name,
                "seed": 0,
                "errors": errors,
                "mean_error": float(np.mean(errors)),
                "seconds_per_task": float(np.median(seconds[1:] or seconds)),
                "compile_seconds": seconds[0] - float(np.median(seconds[1:] or seconds)),
            }
        )
    return rows


def metalic_table(rows: list[dict]) -> str:
    """Mean relative L2 over the held-out θ; ± the (population) std over seeds; best fixed = the
    fixed set with the lowest mean, chosen in hindsight; wins: the share of held-out θ where a
    method beats it, a tie counting half."""
    lines = [
        "| family | method | seeds | mean rel. L2 | median rel. L2 | wins vs best fixed "
        "| s per task | chosen arms (seed 0) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for family in FAMILIES:
        chosen = [r for r in rows if r["family"] == family]
        if not chosen:
            continue
        fixed = [r for r in chosen if r["method"] in FIXED]
        best = min(fixed, key=lambda r: r["mean_error"]) if fixed else None
        order = [*FIXED, "random", "ucb", "ts", "two-stage", "single-domain", "multi-domain"]
        for method in order:
            group = [r for r in chosen if r["method"] == method]
            if not group:
                continue
            means = np.asarray([r["mean_error"] for r in group])
            spread = f" ± {means.std():.3g}" if len(group) > 1 else ""
            median = np.median(np.concatenate([r["errors"] for r in group]))
            wins = "—"
            if best is not None and method not in FIXED:  # a tie (the same set) counts half
                ref = np.asarray(best["errors"])
                score = [(np.asarray(r["errors"]) < ref) + 0.5 * (np.asarray(r["errors"]) == ref)
                         for r in group]  # fmt: skip
                wins = f"{np.mean(score):.0%}"
            name = f"**{method}** (best fixed)" if best is not None and group[0] is best else method
            arms = group[0].get("arms")
            arms = (
                ", ".join(a[0] if a[0] == a[1] else "→".join(a) for a in arms[:3]) + " …"
                if arms
                else (FIXED.get(method, "") or "—")
            )
            speed = group[0].get("seconds_per_task")
            lines.append(
                f"| {family} | {name} | {len(group)} | {means.mean():.3g}{spread} | "
                f"{median:.3g} | {wins} | {'' if speed is None else f'{speed:.1f}'} | "
                f"{arms} |"
            )
    return "\n".join(lines)


def device_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """Seconds per Adam step of a ``DEVICE_STRIPS``-strip advection stack on 4 simulated CPU
    devices (one strip each) and on 1, each in a fresh process (the device count is fixed when
    JAX starts)."""
    steps = 20 if quick else DEVICE_STEPS
    script = f"""
import time, jax, numpy as np
from pdes import families
from sciml.pinn._multi_domain import adam_stage, family_problem, initial_state
from sciml.train import data_mesh
member = families.instance("advection", beta=10.0)
member = member._replace(edges=tuple(np.linspace(0, 1, {DEVICE_STRIPS} + 1)))
problem = family_problem(member, jax.random.key(0))
mesh = data_mesh() if jax.device_count() > 1 else None
params, interior, interface = initial_state(problem, jax.random.key(1), mesh=mesh)
run = jax.jit(lambda p: adam_stage(problem, "100000000", p, interior, interface, {steps}))
times = []
for _ in range(3):  # the first call compiles
    start = time.perf_counter()
    _, losses = jax.block_until_ready(run(params))
    times.append(time.perf_counter() - start)
print(jax.device_count(), times[0] - min(times[1:]), min(times[1:]), float(losses[-1]))
"""
    rows = []
    for devices in (1, 4):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "XLA_"))}
        env |= {
            "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
        }
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
        )
        if done.returncode:
            raise RuntimeError(f"the {devices}-device run failed: {done.stderr.strip()[-500:]}")
        count, first, seconds, loss = done.stdout.split()[-4:]
        rows.append(
            {
                "suite": "multi_domain_devices",
                "problem": f"{devices}-devices",
                "devices": int(count),
                "strips": DEVICE_STRIPS,
                "steps": steps,
                "seconds": float(seconds),
                "steps_per_second": steps / float(seconds),
                "compile_seconds": float(first),
                "final_loss": float(loss),
                "cpu_count": os.cpu_count(),
            }
        )
    base = rows[0]["seconds"]
    for row in rows:
        row["speed_up"] = base / row["seconds"]
    return rows


def device_table(rows: list[dict]) -> str:
    lines = [
        "| simulated devices | strips | Adam steps | s | steps/s | speed-up | final loss |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['devices']} | {r['strips']} | {r['steps']} | {r['seconds']:.2f} | "
            f"{r['steps_per_second']:.0f} | {r['speed_up']:.2f} | "
            f"{r['final_loss']:.3e} |"
        )
    return "\n".join(lines)
