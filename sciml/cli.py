"""The ``sciml`` command line.

Sub-commands (each has ``--help``):

- ``sciml demo``: the quick PDE demo (reference solutions checked, operator convergence orders,
  a figure).
- ``sciml pinn PROBLEM [--config V] [--steps N] [--seed S] [--out DIR] [--set key=value ...]``:
  train and evaluate a PINN (configs in :mod:`sciml.configs`).
- ``sciml bench SUITE [--quick]``: run a benchmark suite, write its rows, print its table.
- ``sciml data generate NAME --n N --resolution R --seed S --out FILE.h5 [--set key=value]``:
  generate an operator-learning data set (:mod:`pdes.generators`); ``sciml data info FILE``.
- ``sciml operator MODEL --data FILE.h5 [--epochs N] [--seed S] [--set key=value ...]``: train
  FNO, MgNO, U-Net or DeepONet on a data set (:mod:`sciml.operator`).
- ``sciml emulate MODEL --data FILE.h5 [--epochs N] [--seed S] [--set key=value ...]``: train
  SineNet, the modern U-Net, FNO or U-Net as an autoregressive emulator of a trajectory file and
  score its rollouts (:mod:`sciml.emulate`).
- ``sciml twin simulate (--family F --n N | --commands FILE.csv | --step-tests) --out DIR``:
  simulate the mean-value diesel engine model (scenario files, figures), or check it against
  the LiU VGT step experiments; ``sciml twin fit FILES --observe O1 --noise 0.03``: identify
  the unknown parameters with uncertainty (``--method`` simulation, pinn-v0/v1-exact/v1,
  few-shot with a body of ``sciml twin pretrain``, multi-stage from a pinn run); ``sciml twin
  monitor FILES``: health factors and fault verdicts (:mod:`sciml.twin`).
- ``sciml graph MODEL --data FILE.npz [--epochs N] [--seed S] [--set key=value ...]``: train
  GRAM-ODE, STGODE, a GRU or the historical average on PEMS-layout traffic data and score its
  forecasts; ``sciml graph simulate --junctions J --days D --out DIR``: simulate traffic on a
  generated road network into that layout (:mod:`sciml.graph`, :mod:`pdes.traffic`).
- ``sciml pinn-dd FAMILY --param beta=10 --conditions 100010000 [--single-domain]``: train one
  multi-domain PINN of a parametric family with a set of interface conditions (a figure, the
  errors); ``sciml metalic FAMILY [--heuristic ucb|ts] [--mode query|step]``: learn the
  interface conditions per PDE instance with METALIC's GP bandit and test them on held-out
  parameters against fixed sets (:mod:`sciml.pinn._metalic`).
- ``sciml problems``: the problem catalogue with default parameters.
- ``sciml report``: regenerate the README tables from committed result rows.

Bad input is one line on stderr and exit status 2.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import jax
import numpy as np

from pdes import generators
from sciml import _io, _report
from sciml._cli_twin import add_twin_commands


def _demo(args) -> None:
    from sciml import _demo

    _demo.run(Path(args.out), quick=not args.full)


def _bench(args) -> None:
    from sciml import bench as benchmarks

    only = None if args.only is None else [name for name in args.only.split(",") if name]
    out = Path(args.out or f"runs/bench/{args.suite}")
    benchmarks.check(args.suite, only, args.quick, out=out / "runs")
    environment = _io.environment()
    deviations = benchmarks.DEVIATIONS.get(args.suite)
    _io.write_json(
        out / "config.json",
        {"command": f"bench {args.suite}", "quick": args.quick, **environment}
        | ({"deviations": deviations} if deviations else {}),
    )
    start = time.perf_counter()
    rows = benchmarks.SUITES[args.suite](quick=args.quick, out=out / "runs", only=only)
    provenance = {
        "commit": environment["commit"],
        "jax": environment["versions"]["jax"],
        "device": f"{environment['devices'][0]} ({environment['cpu_count']} host cores)",
    }
    rows = [{**row, **provenance} for row in rows]
    if only is not None and (out / "rows.jsonl").exists():
        # a partial run replaces its own tasks' rows and keeps the others
        kept = [r for r in _io.read_jsonl(out / "rows.jsonl") if r.get("problem") not in only]
        rows = kept + rows
    _io.write_jsonl(out / "rows.jsonl", rows)
    table = benchmarks.table(args.suite, rows)
    _io.write_json(
        out / "result.json",
        {
            "suite": args.suite,
            "quick": args.quick,
            "rows": len(rows),
            "table": table,
            "wall_seconds": round(time.perf_counter() - start, 2),
            **provenance,
        },
    )
    print(table)
    print(f"\nwrote {len(rows)} rows to {out / 'rows.jsonl'}")


def _pinn(args) -> None:
    from sciml import config as config_lib
    from sciml import configs
    from sciml.pinn import train_and_evaluate

    config = configs.get(args.problem, args.config)
    overrides = list(args.set or [])
    if args.steps is not None:
        overrides.append(f"optim.steps={args.steps}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    config = config_lib.override(config, overrides)
    out = Path(args.out or f"runs/pinn/{args.problem}-{args.config}-seed{config.seed}")
    result = train_and_evaluate(config, out, progress=not args.quiet)
    print(
        f"{args.problem}: relative L2 {result['rel_l2']:.3e}, max error {result['max_error']:.3e}, "
        f"{result['wall_seconds']:.1f} s ({result['adam_steps']} Adam + {result['lbfgs_steps']} "
        f"{config.optim.quasi_newton.upper().replace('LBFGS', 'L-BFGS')} steps); "
        f"run directory {out}"
    )


def _data_generate(args) -> None:
    from sciml import _data

    _data.generate(
        args.name,
        args.n,
        args.resolution,
        args.seed,
        Path(args.out),
        args.set or [],
        chunk=args.chunk,
        progress=not args.quiet,
    )


def _data_info(args) -> None:
    from sciml import _data

    print(_data.info(Path(args.file)))


def _operator(args) -> None:
    from sciml import config as config_lib
    from sciml.operator import OperatorConfig, train_and_evaluate

    overrides = [f"model={args.model}", f"data={args.data}", *(args.set or [])]
    for key in ("epochs", "seed", "train", "test", "batch"):
        if getattr(args, key) is not None:
            overrides.append(f"{key}={getattr(args, key)}")
    config = config_lib.override(OperatorConfig(), overrides)
    out = Path(args.out or f"runs/operator/{Path(args.data).stem}-{args.model}-seed{config.seed}")
    result = train_and_evaluate(config, out, progress=not args.quiet)
    print(
        f"{args.model} on {result['data']} {result['resolution']}: test relative L2 "
        f"{result['test_rel_l2']:.4f}, H1 {result['test_rel_h1']:.4f}; {result['parameters']} "
        f"parameters, {result['epochs']} epochs in {result['wall_seconds']:.1f} s; "
        f"run directory {out}"
    )


def _emulate(args) -> None:
    from sciml import config as config_lib
    from sciml.emulate import EmulatorConfig, train_and_evaluate

    overrides = [f"model={args.model}", f"data={args.data}", *(args.set or [])]
    for key in ("epochs", "seed", "train", "test", "batch"):
        if getattr(args, key) is not None:
            overrides.append(f"{key}={getattr(args, key)}")
    config = config_lib.override(EmulatorConfig(), overrides)
    out = Path(args.out or f"runs/emulate/{Path(args.data).stem}-{args.model}-seed{config.seed}")
    result = train_and_evaluate(config, out, progress=not args.quiet)
    print(
        f"{args.model} on {result['data']} {result['resolution']}: one-step scaled L2 "
        f"{result['one_step_rel_l2']:.4f}, rollout {result['rollout_rel_l2']:.4f} (mean of "
        f"{result['rollout_steps']} steps; last {result['rollout_rel_l2_last_step']:.4f}); "
        f"{result['parameters']} parameters, {result['epochs']} epochs in "
        f"{result['wall_seconds']:.1f} s; run directory {out}"
    )


def _graph(args) -> None:
    if args.model == "simulate":
        from pdes import traffic

        out = Path(args.out or "runs/graph/data")
        if args.junctions < 4 or args.days < 3:
            raise ValueError(
                f"need --junctions >= 4 and --days >= 3 (one window per split), "
                f"got {args.junctions} and {args.days}"
            )
        seed = args.seed or 0
        simulation = traffic.simulate_traffic(args.junctions, args.days, seed)
        meta = {"junctions": args.junctions, "days": args.days, "seed": seed}
        traffic.write_simulation(out, "traffic", simulation, **meta)
        print(
            f"{simulation.data.shape[1]} sensors x {simulation.data.shape[0]} five-minute steps, "
            f"{len(simulation.incidents)} incidents; {out / 'traffic.npz'} and traffic.csv"
        )
        return
    from sciml import config as config_lib
    from sciml.graph import GraphConfig, train_and_evaluate

    if args.data is None:
        raise ValueError("pass --data FILE.npz (simulate some with `sciml graph simulate`)")
    overrides = [f"model={args.model}", f"data={args.data}", *(args.set or [])]
    for key in ("epochs", "seed", "batch", "distances"):
        if getattr(args, key) is not None:
            overrides.append(f"{key}={getattr(args, key)}")
    config = config_lib.override(GraphConfig(), overrides)
    out = Path(args.out or f"runs/graph/{Path(args.data).stem}-{args.model}-seed{config.seed}")
    r = train_and_evaluate(config, out, progress=not args.quiet)
    print(
        f"{args.model} on {r['data']} ({r['sensors']} sensors): test MAE {r['mae']:.2f}, RMSE "
        f"{r['rmse']:.2f}, MAPE {r['mape']:.1f} % (60 min ahead: MAE {r['mae@12']:.2f}); "
        f"run directory {out}"
    )


def _budget(args):
    from sciml.pinn._metalic import Budget

    for name in ("adam_steps", "lbfgs_steps", "points"):
        least = 1 if name == "points" else 0
        if getattr(args, name) < least:
            raise ValueError(f"--{name.replace('_', '-')} must be at least {least}, got "
                             f"{getattr(args, name)}")  # fmt: skip
    return Budget(adam_steps=args.adam_steps, lbfgs_steps=args.lbfgs_steps,
                  interior_points=args.points)  # fmt: skip


def _pinn_dd(args) -> None:
    from pdes import families
    from sciml.pinn import _dd_figure
    from sciml.pinn._metalic import Trainer, arm_bits, arm_number

    theta = {}
    for item in args.param or []:
        name, equals, value = item.partition("=")
        try:
            theta[name] = float(value) if equals else float("nan")
        except ValueError:
            theta[name] = float("nan")
        if theta[name] != theta[name]:
            raise ValueError(f"--param takes NAME=NUMBER, got {item!r}")
    if not theta and args.family in families.FAMILIES:  # the middle of every range
        theta = {k: (lo + hi) / 2 for k, (lo, hi) in families.FAMILIES[args.family].ranges.items()}
    families.instance(args.family, **theta)  # one-line errors for the family and θ
    first = arm_number(args.conditions)
    second = arm_number(args.lbfgs_conditions or args.conditions)
    trainer = Trainer(args.family, _budget(args), single_domain=args.single_domain)
    key = jax.random.key(args.seed)
    adam = trainer.adam(theta, [first], key)
    final = trainer.lbfgs(adam, [second]) if args.lbfgs_steps else adam
    jumps = trainer.interface_jump(final)
    out = Path(args.out or f"runs/pinn-dd/{args.family}-{arm_bits(first)}-seed{args.seed}")
    result = {
        "family": args.family, "theta": theta, "single_domain": args.single_domain,
        "conditions": [arm_bits(first), arm_bits(second)], "seed": args.seed,
        "budget": trainer.budget._asdict(), "error_adam": float(adam.errors[0]),
        "error": float(final.errors[0]),
        "interface_jump_rms": [float(np.sqrt(np.mean(j**2))) for j in jumps],
        **_io.environment(),
    }  # fmt: skip
    _io.write_json(out / "result.json", result)
    domains = "one domain" if args.single_domain else f"{trainer.decomposition.count} strips"
    title = f"{args.family} {theta}, {domains}, conditions {arm_bits(first)}"
    _dd_figure.save(out / "solution.png", trainer, final, jumps, title)
    jump = ", ".join(f"{j:.2e}" for j in result["interface_jump_rms"]) or "—"
    print(f"{args.family} {theta} ({domains}): rel. L2 {result['error_adam']:.3e} after Adam, "
          f"{result['error']:.3e} after L-BFGS; RMS interface jump {jump}; {out}")  # fmt: skip


def _metalic(args) -> None:
    from sciml.pinn._metalic import FIXED, Trainer, baseline_errors, run_bandit

    for name in ("warmup", "rounds", "tests"):
        least = 0 if name == "rounds" else 1
        if getattr(args, name) < least:
            raise ValueError(f"--{name} must be at least {least}, got {getattr(args, name)}")
    trainer = Trainer(args.family, _budget(args))
    run = run_bandit(trainer, args.heuristic, args.seed, mode=args.mode, warmup=args.warmup,
                     rounds=args.rounds, tests=args.tests)  # fmt: skip
    baselines = baseline_errors(trainer, args.tests, (args.seed,)) if args.baselines else {}
    out = Path(args.out or f"runs/metalic/{args.family}-{args.heuristic}-{args.mode}-seed"
                           f"{args.seed}")  # fmt: skip
    _io.write_json(out / "result.json", {"family": args.family, "heuristic": args.heuristic,
                                         "mode": args.mode, "seed": args.seed,
                                         "budget": trainer.budget._asdict(), **run,
                                         "baselines": baselines, **_io.environment()})  # fmt: skip
    names = [n for n in baselines if n.split("-")[0] in FIXED or n.startswith("random")]
    print("| θ | METALIC arms | rel. L2 | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for i, t in enumerate(run["test"]):
        theta = ", ".join(f"{k}={v:.3g}" for k, v in t["theta"].items())
        cells = "".join(f" {baselines[n][i]:.3e} |" for n in names)
        print(f"| {theta} | {'→'.join(dict.fromkeys(t['arms']))} | {t['error']:.3e} |{cells}")
    print(f"{len(run['history'])} training tasks, {run['wall_seconds']:.0f} s; {out}")


def _problems(args) -> None:
    import pdes

    for name in pdes.names():
        problem = pdes.get(name)
        params = ", ".join(
            f"{f.name}={getattr(problem, f.name)!r}" for f in dataclasses.fields(problem)
        )
        print(f"{name:12s} {params}")


def _report_cmd(args) -> None:
    changed = _report.update_readme(Path(args.readme), Path(args.results))
    print(f"updated {changed} table(s) in {args.readme}")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit status 2 (argparse prints the usage too)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="sciml", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="quick PDE demo: table + figure")
    demo.add_argument("--out", default="runs/demo", help="run directory (default: runs/demo)")
    demo.add_argument("--full", action="store_true", help="published time steps (slower)")
    demo.set_defaults(run=_demo)

    pinn = sub.add_parser("pinn", help="train and evaluate a PINN on a problem")
    pinn.add_argument("problem", help="problem name (see `sciml problems`)")
    pinn.add_argument("--config", default="default", help="config variant (default: default)")
    pinn.add_argument("--steps", type=int, help="Adam steps (optim.steps)")
    pinn.add_argument("--seed", type=int, help="random seed")
    pinn.add_argument("--out", help="run directory (default: runs/pinn/PROBLEM-CONFIG-seedS)")
    pinn.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key")
    pinn.add_argument("--quiet", action="store_true", help="no progress bar")
    pinn.set_defaults(run=_pinn)

    bench = sub.add_parser("bench", help="run a benchmark suite")
    bench.add_argument(
        "suite",
        help="convergence | laplacian | references | pinn | operators | operator_scaling | "
        "emulators | emulator_scaling | twin | twin_steps | twin_health | twin_pinn | "
        "twin_actuators | twin_surrogates | graph | graph_scaling",
    )
    bench.add_argument("--quick", action="store_true", help="smaller, faster setting")
    bench.add_argument("--out", help="run directory (default: runs/bench/SUITE)")
    bench.add_argument(
        "--only",
        metavar="NAMES",
        help="pinn, operators, emulators: only these tasks (comma-separated), merged",
    )
    bench.set_defaults(run=_bench)

    operator = sub.add_parser("operator", help="train an operator model on a data-set file")
    operator.add_argument("model", help="fno | mgno | unet | deeponet")
    operator.add_argument("--data", required=True, help="HDF5 file (see `sciml data generate`)")
    operator.add_argument("--epochs", type=int, help="training epochs (default 100)")
    operator.add_argument("--seed", type=int, help="random seed (default 0)")
    operator.add_argument("--train", type=int, help="training samples: the first N (default 1000)")
    operator.add_argument("--test", type=int, help="test samples: the last N (default 100)")
    operator.add_argument("--batch", type=int, help="minibatch size (default 20)")
    operator.add_argument("--out", help="run directory (default: runs/operator/DATA-MODEL-seedS)")
    operator.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a config key, e.g. fno.width=20"
    )
    operator.add_argument("--quiet", action="store_true", help="no progress bar")
    operator.set_defaults(run=_operator)

    emulate = sub.add_parser("emulate", help="train an autoregressive emulator on trajectories")
    emulate.add_argument("model", help="sinenet | modern_unet | fno | unet")
    emulate.add_argument(
        "--data",
        required=True,
        help="trajectory HDF5 file (e.g. `sciml data generate navier_stokes`)",
    )
    emulate.add_argument("--epochs", type=int, help="training epochs (default 50)")
    emulate.add_argument("--seed", type=int, help="random seed (default 0)")
    emulate.add_argument(
        "--train", type=int, help="training trajectories: the first N (default 32)"
    )
    emulate.add_argument("--test", type=int, help="test trajectories: the last N (default 8)")
    emulate.add_argument("--batch", type=int, help="minibatch of windows (default 32)")
    emulate.add_argument("--out", help="run directory (default: runs/emulate/DATA-MODEL-seedS)")
    emulate.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a config key, e.g. history=2"
    )
    emulate.add_argument("--quiet", action="store_true", help="no progress bar")
    emulate.set_defaults(run=_emulate)

    graph = sub.add_parser("graph", help="graph-ODE traffic forecasting; or simulate traffic")
    graph.add_argument("model", help="gram_ode | stgode | gru | historical_average | simulate")
    graph.add_argument("--data", help="PEMS-layout .npz (its distance CSV beside it)")
    graph.add_argument("--distances", help="from,to,cost CSV (default: the .npz's name, .csv)")
    graph.add_argument("--epochs", type=int, help="training epochs (default 20)")
    graph.add_argument("--seed", type=int, help="random seed (default 0)")
    graph.add_argument("--batch", type=int, help="minibatch of windows (default 16)")
    graph.add_argument("--junctions", type=int, default=40, help="simulate: junctions (40)")
    graph.add_argument("--days", type=int, default=21, help="simulate: days (21)")
    graph.add_argument("--out", help="run directory, or simulate's output folder")
    graph.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a config key, e.g. channels=(16,8,16)"
    )
    graph.add_argument("--quiet", action="store_true", help="no progress bar")
    graph.set_defaults(run=_graph)

    def budget_arguments(command):
        command.add_argument("--adam-steps", type=int, default=1000, help="Adam steps (1000)")
        command.add_argument("--lbfgs-steps", type=int, default=200, help="L-BFGS steps (200)")
        command.add_argument("--points", type=int, default=1000,
                             help="collocation points per subdomain (1000)")  # fmt: skip
        command.add_argument("--seed", type=int, default=0, help="random seed (0)")
        command.add_argument("--out", help="run directory")

    dd = sub.add_parser("pinn-dd", help="multi-domain PINN of a parametric PDE family")
    dd.add_argument("family", help="advection | reaction | heat | burgers | kdv | poisson")
    dd.add_argument("--param", action="append", metavar="NAME=VALUE",
                    help="a PDE parameter, e.g. beta=10 (default: mid-range)")  # fmt: skip
    dd.add_argument("--conditions", default="100000000",
                    help="9-bit condition set or 0-511 (100000000: continuity)")  # fmt: skip
    dd.add_argument("--lbfgs-conditions", help="another set for the L-BFGS stage")
    dd.add_argument("--single-domain", action="store_true", help="one network, no interfaces")
    budget_arguments(dd)
    dd.set_defaults(run=_pinn_dd)

    metalic = sub.add_parser("metalic", help="learn interface conditions per PDE instance")
    metalic.add_argument("family", help="advection | reaction | heat | burgers | kdv | poisson")
    metalic.add_argument("--heuristic", choices=("ucb", "ts"), default="ucb")
    metalic.add_argument("--mode", choices=("query", "step"), default="query",
                         help="query: one condition set; step: one per training stage")  # fmt: skip
    metalic.add_argument("--warmup", type=int, default=5, help="random warm-up tasks (5)")
    metalic.add_argument("--rounds", type=int, default=15, help="online rounds (15)")
    metalic.add_argument("--tests", type=int, default=8, help="held-out parameters (8)")
    metalic.add_argument(
        "--baselines",
        action="store_true",
        help="also train the fixed sets and a random arm at the test θ",
    )
    budget_arguments(metalic)
    metalic.set_defaults(run=_metalic)

    data = sub.add_parser("data", help="generate or describe an operator-learning data set")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    generate = data_sub.add_parser("generate", help="generate a data set into an HDF5 file")
    generate.add_argument("name", help=" | ".join(generators.names()))
    generate.add_argument("--n", type=int, required=True, help="number of samples")
    generate.add_argument("--resolution", type=int, help="grid points per axis (stored)")
    generate.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    generate.add_argument("--out", required=True, help="the HDF5 file to write")
    generate.add_argument("--chunk", type=int, default=32, help="samples per compiled call")
    generate.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a generator parameter, e.g. fine=65"
    )
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(run=_data_generate)
    info = data_sub.add_parser("info", help="describe a data-set file")
    info.add_argument("file")
    info.set_defaults(run=_data_info)

    add_twin_commands(sub)

    problems = sub.add_parser("problems", help="list the problem catalogue")
    problems.set_defaults(run=_problems)

    report = sub.add_parser("report", help="regenerate README tables from result rows")
    report.add_argument("--readme", default="README.md")
    report.add_argument(
        "--results", default="benchmarks/results", help="holds SUITE/rows.jsonl per table"
    )
    report.set_defaults(run=_report_cmd)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # JAX-PI found results depending on matmul precision; every entry point pins it.
    jax.config.update("jax_default_matmul_precision", "highest")
    try:
        args.run(args)
    except (ValueError, OSError, KeyError) as error:
        # KeyError's str() adds quotes and OSError's args start with the errno.
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        print(f"sciml {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
