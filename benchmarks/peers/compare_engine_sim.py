r"""Simulation speed of the engine model: this project's diffrax simulator against scipy's
``solve_ivp`` on a NumPy port of the same equations, side by side.

Run with the project's venv (scipy is in it)::

    .venv/bin/python benchmarks/peers/compare_engine_sim.py --threads 2 \
        --methods RK45 LSODA --out runs/peers/engine_sim

Two cases, both from the scenario family ``--family`` (default ``whtc`` when
``pdes.engines.FAMILIES`` has it, else ``staircase``):

- ``single``: one scenario of ``--duration`` s (default 1800 s, the whole WHTC);
- ``batch``: ``--batch`` scenarios (default 64) of ``--batch-duration`` s (default 60 s, the
  length of the data-generation scenarios), the keys of ``generate_scenarios``' first attempts.

Every scenario starts at ``initial_equilibrium`` of its first commands (computed once, not timed)
and is saved at ``--rate`` Hz (default 100, the ground-truth rate). Ours is
``pdes.engines.simulate_engine`` (Tsit5, PID controller, the jump times of the commands) as one
``jax.jit`` call, ``vmap``-ed over the batch; compilation (lowering and XLA) is timed separately,
then ``--repeats`` calls, each to ``block_until_ready``, give the median. The peer is
``mvem_numpy.simulate``: ``scipy.integrate.solve_ivp`` with the NumPy right-hand side, piecewise
between the same jump times, on the same nondimensional states at the same rtol = atol
(``--tolerance``, default 1e-8), once per method of ``--methods`` (RK45, the Dormand–Prince pair
closest to Tsit5; LSODA or Radau for stiff-aware ones), looping over the batch, ``--peer-repeats``
times.

Per case and engine: the median wall time, real-time factor (simulated seconds over wall
seconds), accepted steps (and ours' rejected steps, scipy's right-hand-side evaluations; summed
over the batch, ours' lock-step count under ``vmap`` is the largest), and for scipy the largest
relative difference from ours of p_im, p_em and ω_t over all saved samples and at the final
time, and the speed-up (scipy's wall time over ours). Two solvers at rtol = 1e-8 differ by their
own integration errors (~1e-6 in the transients, not ~1e-8: the error controllers bound the local
error per step); ``--reference TOL`` also solves every scenario with DOP853 at rtol = atol = TOL
(untimed; 1e-13 is a good yardstick) and reports each engine's largest relative error from it.

``--threads K`` pins the process to its first K cores before XLA starts (scipy runs on one).
Writes ``OUT/rows.jsonl`` and ``OUT/table.md`` and prints the table.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

import jax
import jax.numpy as jnp
import mvem_numpy
import numpy as np
import scipy.integrate
from compare_burgers import _commit  # the sibling script: one commit lookup for every peer row

from pdes.engines import FAMILIES, initial_equilibrium, simulate_engine
from pdes.engines._commands import jump_capacity
from physics.engines import EngineParameters, EngineState
from sciml.bench._peers import engine_peers_table

COMPARED = ("p_im", "p_em", "omega_t")
METHODS = ("RK45", "DOP853", "LSODA", "Radau", "BDF")
DEFAULT_FAMILY = "whtc" if "whtc" in FAMILIES else "staircase"


def scenarios(family: str, n: int, duration: float, rate: float, seed: int, params):
    """Commands, initial states ``[n, 8]`` and save times ``[n, T]`` of ``n`` scenarios."""
    root = jax.random.PRNGKey(seed)
    keys = jnp.stack([jax.random.fold_in(jax.random.fold_in(root, i), 0) for i in range(n)])
    commands = jax.jit(jax.vmap(lambda k: FAMILIES[family](k, duration)))(keys)
    initial = jax.jit(jax.vmap(lambda c: jnp.stack(initial_equilibrium(c, params))))(commands)
    grid = jnp.arange(round(duration * rate) + 1) / rate
    return commands, initial, commands.times[:, :1] + grid[None, :]


def run_ours(commands, initial, ts, params, args) -> tuple[dict, np.ndarray]:
    """One jitted call over the whole batch: compile once, then the median of ``--repeats``."""

    jumps = jump_capacity(commands, params)  # before jit: the real jump times, not the padding

    def solve(commands, initial, ts, params):
        run = simulate_engine(
            commands,
            params,
            EngineState(*initial),
            ts,
            rtol=args.tolerance,
            atol=args.tolerance,
            max_steps=args.max_steps,
            jumps=jumps,
        )
        return jnp.stack(run.states, axis=-1), run.steps, run.rejected_steps

    batched = len(ts) > 1
    if batched:
        solve = jax.vmap(solve, in_axes=(0, 0, 0, None))
    else:  # one scenario: the unbatched solve, no vmap
        commands, initial, ts = jax.tree_util.tree_map(
            lambda leaf: leaf[0], (commands, initial, ts)
        )
    operands = (commands, initial, ts, params)
    start = time.perf_counter()
    compiled = jax.jit(solve).lower(*operands).compile()
    compile_seconds = time.perf_counter() - start
    walls = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        states, steps, rejected = jax.block_until_ready(compiled(*operands))
        walls.append(time.perf_counter() - start)
    states, steps, rejected = (
        np.asarray(a) if batched else np.asarray(a)[None] for a in (states, steps, rejected)
    )
    row = {
        "engine": f"sciml (diffrax Tsit5, jit{'+vmap' if batched else ''})",
        "wall_seconds": statistics.median(walls),
        "walls": [round(w, 4) for w in walls],
        "compile_seconds": round(compile_seconds, 2),
        "steps": int(steps.sum()),
        "steps_max": int(steps.max()),
        "rejected": int(rejected.sum()),
        "rejected_or_evals": f"{int(rejected.sum()):,} rejected",
    }
    return row, states


def host_commands(commands) -> list[mvem_numpy.Commands]:
    """The batched ``EngineCommands`` as NumPy command histories, one per scenario."""
    leaves = [np.asarray(leaf) for leaf in commands]
    return [mvem_numpy.Commands(*(leaf[i] for leaf in leaves)) for i in range(len(leaves[0]))]


def run_peer(commands, initial, ts, params, method: str, args) -> tuple[dict, np.ndarray]:
    """``solve_ivp`` over the scenarios one after another, ``--peer-repeats`` times."""
    host = host_commands(commands)
    initial, ts = np.asarray(initial), np.asarray(ts)
    walls = []
    for _ in range(args.peer_repeats):
        start = time.perf_counter()
        solved = [
            mvem_numpy.simulate(
                c, params, x0, t, method=method, rtol=args.tolerance, atol=args.tolerance
            )
            for c, x0, t in zip(host, initial, ts, strict=True)
        ]
        walls.append(time.perf_counter() - start)
    states = np.stack([s for s, _, _ in solved])
    steps = sum(n for _, n, _ in solved)
    evaluations = sum(n for _, _, n in solved)
    row = {
        "engine": f"scipy solve_ivp {method} (NumPy rhs)",
        "method": method,
        "wall_seconds": statistics.median(walls),
        "walls": [round(w, 4) for w in walls],
        "steps": steps,
        "steps_max": max(n for _, n, _ in solved),
        "rhs_evaluations": evaluations,
        "rejected_or_evals": f"{evaluations:,} evals",
    }
    return row, states


def relative_difference(base: np.ndarray, other: np.ndarray) -> tuple[dict, dict]:
    """Largest |other − base| / |base| of p_im, p_em, ω_t: over every sample, and at the end."""
    columns = [mvem_numpy.STATES.index(name) for name in COMPARED]
    relative = np.abs(other[..., columns] - base[..., columns]) / np.abs(base[..., columns])
    largest = dict(zip(COMPARED, relative.max(axis=(0, 1)).tolist(), strict=True))
    return largest, dict(zip(COMPARED, relative[:, -1].max(axis=0).tolist(), strict=True))


def as_text(values: dict) -> str:
    return ", ".join(f"{v:.1e}" for v in values.values())


def reference(commands, initial, ts, params, tolerance) -> np.ndarray:
    """Untimed DOP853 solutions at ``tolerance``: the yardstick of both engines' error."""
    host = host_commands(commands)
    return np.stack([
        mvem_numpy.simulate(c, params, x0, t, method="DOP853", rtol=tolerance, atol=tolerance)[0]
        for c, x0, t in zip(host, np.asarray(initial), np.asarray(ts), strict=True)
    ])  # fmt: skip


def run_case(case, n, duration, params, args, threads) -> list[dict]:
    commands, initial, ts = scenarios(args.family, n, duration, args.rate, args.seed, params)
    common = {
        "case": case,
        "family": args.family,
        "scenarios": n,
        "duration": duration,
        "scenarios_x_seconds": f"{n} x {duration:g}",
        "rate_hz": args.rate,
        "tolerance": args.tolerance,
        "seed": args.seed,
        "threads": threads,
        "versions": {
            name: metadata.version(name) for name in ("jax", "jaxlib", "diffrax", "numpy", "scipy")
        }
        | {"python": platform.python_version()},
        "device": f"{jax.default_backend()}:{platform.machine()}",
        "cpu_count": os.cpu_count(),
        "commit": _commit(),
    }
    exact = None
    if args.reference:
        exact = reference(commands, initial, ts, params, args.reference)
        common["reference"] = f"DOP853 at rtol = atol = {args.reference:g}"
    rows, ours = [], None
    for method in ("ours", *args.methods):
        load = os.getloadavg()[0]
        if method == "ours":
            row, states = run_ours(commands, initial, ts, params, args)
            ours = states
        else:
            row, states = run_peer(commands, initial, ts, params, method, args)
            largest, final = relative_difference(ours, states)
            row |= {"max_rel_diff": largest, "final_rel_diff": final}
            row |= {"max_rel_diff_text": as_text(largest), "final_rel_diff_text": as_text(final)}
            row["speedup"] = row["wall_seconds"] / rows[0]["wall_seconds"]
        if exact is not None:
            row["max_rel_error"] = relative_difference(exact, states)[0]
            row["max_rel_error_text"] = as_text(row["max_rel_error"])
        row["real_time_factor"] = n * duration / row["wall_seconds"]
        rows.append(common | row | {"load_before": load})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--family", default=DEFAULT_FAMILY, choices=sorted(FAMILIES))
    parser.add_argument("--duration", type=float, default=1800.0, help="s, the single scenario")
    parser.add_argument("--batch", type=int, default=64, help="scenarios in the batch (0: none)")
    parser.add_argument("--batch-duration", type=float, default=60.0, help="s per batch scenario")
    parser.add_argument("--rate", type=float, default=100.0, help="saved samples per second")
    parser.add_argument("--tolerance", type=float, default=1e-8, help="rtol = atol, both engines")
    parser.add_argument("--methods", nargs="+", default=["RK45"], choices=METHODS)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of ours (median)")
    parser.add_argument("--peer-repeats", type=int, default=1, help="timed scipy runs (median)")
    parser.add_argument("--max-steps", type=int, default=1_000_000, help="diffrax max_steps")
    parser.add_argument("--seed", type=int, default=0, help="scenario keys")
    parser.add_argument(
        "--reference", type=float, help="also solve with DOP853 at this rtol = atol (untimed)"
    )
    parser.add_argument("--skip-single", action="store_true", help="only the batch case")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/peers/engine_sim"), help="rows.jsonl, table.md"
    )
    parser.add_argument("--threads", type=int, help="cores for this process (None: all)")
    args = parser.parse_args(argv)
    for name in ("repeats", "peer_repeats", "max_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.batch < 0 or args.duration <= 0 or args.batch_duration <= 0 or args.rate <= 0:
        parser.error("--batch must be >= 0 and --duration, --batch-duration, --rate > 0")

    # Before XLA starts its CPU client (the first computation), so its pool fits these cores.
    cores = sorted(os.sched_getaffinity(0))
    threads = args.threads or len(cores)
    if not 1 <= threads <= len(cores):
        parser.error(f"--threads must be between 1 and {len(cores)}")
    os.sched_setaffinity(0, cores[:threads])
    jax.config.update("jax_enable_x64", True)  # the model needs float64 (diesel-mvem.md 7.1)
    print(
        f"jax devices: {jax.devices()}; cores: {cores[:threads]}; scipy {scipy.__version__}",
        file=sys.stderr,
    )

    params = EngineParameters()
    rows = []
    if not args.skip_single:
        rows += run_case("single", 1, args.duration, params, args, threads)
    if args.batch:
        rows += run_case("batch", args.batch, args.batch_duration, params, args, threads)
    if not rows:
        parser.error("nothing to run (--skip-single with --batch 0)")

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "rows.jsonl").open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    text = engine_peers_table(rows) + "\n"
    (args.out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
