"""``sciml twin``: the diesel-engine digital twin's commands (simulate, fit, pretrain,
surrogates, monitor, actuators), added to the ``sciml`` parser by :func:`add_twin_commands`."""

import argparse
from pathlib import Path


def add_twin_commands(sub) -> None:
    """``sciml twin ...`` under the top-level sub-parsers ``sub`` (their parser class too)."""
    twin = sub.add_parser("twin", help="diesel-engine digital twin (mean-value engine model)")
    twin_sub = twin.add_subparsers(dest="twin_command", required=True, parser_class=type(twin))
    simulate = twin_sub.add_parser("simulate", help="simulate drive scenarios or a command CSV")
    source = simulate.add_mutually_exclusive_group(required=True)
    source.add_argument("--family", help="staircase | smooth | excitation | whtc")
    source.add_argument("--commands", help="CSV: time,n_e,u_delta,u_egr,u_vgt[,measured...]")
    source.add_argument(
        "--step-tests", action="store_true", help="the LiU VGT step tests vs reference (F1)"
    )
    simulate.add_argument("--n", type=int, default=1, help="scenarios (default 1)")
    simulate.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    simulate.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    simulate.add_argument("--out", default="runs/twin/simulate", help="output directory")
    simulate.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="an engine parameter, e.g. K_t=2.8"
    )
    simulate.add_argument("--quiet", action="store_true", help="no progress bar")
    simulate.set_defaults(run=_twin_simulate)
    fit = twin_sub.add_parser("fit", help="identify the unknown parameters from measurements")
    _measured_windows_arguments(fit)
    fit.add_argument(
        "--method",
        default="simulation",
        help="simulation (default) | pinn-v0 | pinn-v1-exact | pinn-v1 | pinn-v2 | few-shot | "
        "multi-stage",
    )
    fit.add_argument(
        "--steps", type=int, help="Adam steps: PINN (50000) or multi-stage stage 2 (5000)"
    )
    fit.add_argument(
        "--stage1-steps", type=int, default=2000, help="multi-stage: frozen-θ steps (2000)"
    )
    fit.add_argument(
        "--lbfgs-steps",
        type=int,
        default=0,
        help="L-BFGS iterations after Adam: pinn-* (Step 5's option) or multi-stage stage 3 (0)",
    )
    fit.add_argument(
        "--fixed-weights",
        action="store_true",
        help="pinn-*: hold the data term's point weights at 1 (on noisy data the self-adaptive "
        "weights chase the noise)",
    )
    fit.add_argument("--operators", help="folder of the actuator DeepONets (pinn-v1)")
    fit.add_argument("--surrogates", help="folder of the formula surrogates (pinn-v2)")
    fit.add_argument(
        "--body",
        help="few-shot: folder of sciml twin pretrain (DIR1,DIR2,...: a deep ensemble, θ ± std)",
    )
    fit.add_argument("--source", help="multi-stage: run directory of a pinn-* fit")
    fit.add_argument(
        "--start", help="initial factors on the nominal unknowns, e.g. 1.3,0.7,1.2,0.8"
    )
    fit.add_argument("--out", default="runs/twin/fit", help="run directory")
    fit.set_defaults(run=_twin_fit)
    lab = twin_sub.add_parser(
        "pretrain", help="simulate lab runs and pre-train the few-shot body (Step 8)"
    )
    lab.add_argument("cycle", nargs="?", help="a scenario .h5 or measurement .csv: its commands")
    lab.add_argument("--family", default="staircase", help="new commands when no cycle is given")
    lab.add_argument("--scenarios", type=int, default=8, help="lab runs (default 8)")
    lab.add_argument("--window", type=float, default=10.0, help="window length, s (10)")
    lab.add_argument("--observe", default="O1", help="observation set O1-O4 (default O1)")
    lab.add_argument("--steps", type=int, default=20_000, help="Adam steps (default 20000)")
    lab.add_argument("--width", type=int, default=64, help="body width (default 64)")
    lab.add_argument("--depth", type=int, default=4, help="body hidden layers (default 4)")
    lab.add_argument("--grid-rate", type=float, default=50.0, help="collocation Hz (50)")
    lab.add_argument("--dropout", type=float, default=0.0, help="MC-dropout rate (0: off)")
    lab.add_argument("--seed", type=int, default=1000, help="lab seed (default 1000)")
    lab.add_argument(
        "--init-seed", type=int, default=0, help="body initialisation seed (ensemble members)"
    )
    lab.add_argument("--out", default="runs/twin/body", help="output directory")
    lab.add_argument("--quiet", action="store_true", help="no progress bar")
    lab.set_defaults(run=_twin_pretrain)
    formulae = twin_sub.add_parser(
        "surrogates", help="train the surrogates of the six empirical formulae (Step 4b)"
    )
    formulae.add_argument("--noise", type=float, default=0.0, help="target noise / std (0)")
    formulae.add_argument("--points", type=int, default=20_000, help="hypercube points (20000)")
    formulae.add_argument("--steps", type=int, default=100_000, help="Adam steps (100000)")
    formulae.add_argument(
        "--lbfgs-steps", type=int, default=3000, help="full-batch L-BFGS iterations after Adam"
    )
    formulae.add_argument(
        "--lm-steps", type=int, default=60, help="Levenberg-Marquardt trials after L-BFGS (60)"
    )
    formulae.add_argument("--seed", type=int, default=0)
    formulae.add_argument("--out", default="runs/twin/surrogates", help="output directory")
    formulae.set_defaults(run=_twin_surrogates)
    watch = twin_sub.add_parser("monitor", help="health factors of field windows, with verdicts")
    _measured_windows_arguments(watch)
    watch.add_argument(
        "--unknowns",
        default="eta_sc,h_tot,A_egrmax,A_vgtmax",
        help="parameters to estimate (add eta_cmax for compressor faults)",
    )
    watch.add_argument("--out", default="runs/twin/monitor", help="output directory")
    watch.set_defaults(run=_twin_monitor)
    actuators = twin_sub.add_parser(
        "actuators", help="train the actuator DeepONets on exact command-to-state targets"
    )
    actuators.add_argument("--actuator", default="egr,vgt", help="egr, vgt or egr,vgt")
    actuators.add_argument("--histories", type=int, default=100_000, help="training histories")
    actuators.add_argument("--steps", type=int, default=20_000, help="Adam steps")
    actuators.add_argument(
        "--lbfgs-steps", type=int, default=4000, help="L-BFGS iterations after Adam"
    )
    actuators.add_argument(
        "--step-share",
        type=float,
        default=0.25,
        help="share of training windows placed where a command change reaches the output",
    )
    actuators.add_argument(
        "--old-share",
        type=float,
        default=0.0,
        help="share of those windows with the change 0.15-1.5 s back in the history",
    )
    actuators.add_argument("--seed", type=int, default=0)
    actuators.add_argument("--out", default="runs/twin/actuators", help="output directory")
    actuators.add_argument("--quiet", action="store_true", help="no progress bar")
    actuators.set_defaults(run=_twin_actuators)


def _twin_simulate(args) -> None:
    from sciml import twin

    out = Path(args.out)
    if args.step_tests:
        rows = twin.step_tests(out)
        print(twin.step_test_table(rows))
        print(f"\nfigure F1: {out / 'figures' / 'F1_vgt_steps.png'}")
        return
    rows = twin.simulate(
        out,
        family=args.family,
        n=args.n,
        seed=args.seed,
        duration=args.duration,
        commands=None if args.commands is None else Path(args.commands),
        overrides=args.set or [],
        progress=not args.quiet,
    )
    for row in rows:
        print(
            f"{row['file']}: {row['family']} {row['duration_s']:g} s, p_im {row['p_im_kPa']} kPa, "
            f"turbo {row['turbo_krpm']} krpm, min lambda_air {row['lambda_air_min']}, "
            f"{row['solver_steps']} solver steps, envelope: {row['envelope']}"
        )
    print(f"\nfigures in {out / 'figures'}")


def _twin_fit(args) -> None:
    from sciml import twin

    out = Path(args.out)
    factors = None if args.start is None else [float(v) for v in args.start.split(",")]
    summary = twin.fit(
        args.files,
        out,
        observe=args.observe,
        noise=args.noise,
        window=args.window,
        method=args.method,
        initial_factors=factors,
        steps=args.steps,
        stage1_steps=args.stage1_steps,
        lbfgs_steps=args.lbfgs_steps,
        fixed_weights=args.fixed_weights,
        operators=args.operators,
        body=None if args.body is None else args.body.split(","),
        source=args.source,
        surrogates=args.surrogates,
    )
    errors = summary.get("error_percent", {})
    for name, value in summary["theta"].items():
        error = f", error {errors[name]:.3f} %" if name in errors else ""
        sigma = summary["sigma"]
        spread = " (point estimate)" if sigma is None else f" ± {2 * sigma[name]:.2g} (2σ)"
        print(f"{name:9s} {value:.6g}{spread}{error}")
    check = summary["identifiability"]
    print(f"identifiability: condition number {check['condition_number']:.3g} of S")
    kind = "Adam" if summary["method"].startswith(("pinn", "multi")) else "Levenberg-Marquardt"
    quasi = f" + {summary['lbfgs_steps']} L-BFGS" if summary.get("lbfgs_steps") else ""
    print(
        f"{summary['windows']} window(s), {summary['steps']} {kind} steps{quasi}, "
        f"{summary['wall_seconds']:.1f} s; run directory {out}"
    )


def _twin_surrogates(args) -> None:
    from sciml.twin import train_formula_surrogates

    metrics = train_formula_surrogates(
        Path(args.out), noise=args.noise, points=args.points, steps=args.steps,
        lbfgs_steps=args.lbfgs_steps, lm_steps=args.lm_steps, seed=args.seed,
    )  # fmt: skip
    for name, m in metrics.items():
        print(
            f"{name:8s} ({', '.join(m['inputs'])}): rel L2 {m['rel_l2_test']:.3g} held out, "
            f"{m['train_seconds']:.0f} s"
        )
    print(f"surrogates in {args.out}; use them with sciml twin fit --method pinn-v2")


def _twin_pretrain(args) -> None:
    from sciml.twin import pretrain_body

    meta = pretrain_body(
        Path(args.out),
        cycle=args.cycle,
        family=args.family,
        scenarios=args.scenarios,
        window=args.window,
        observe=args.observe,
        steps=args.steps,
        width=args.width,
        depth=args.depth,
        grid_rate=args.grid_rate,
        dropout=args.dropout,
        seed=args.seed,
        init_seed=args.init_seed,
        progress=not args.quiet,
    )
    print(
        f"body pre-trained on {meta['lab_windows']} lab windows ({meta['scenarios']} scenarios), "
        f"final loss {meta['final_loss']:.3g}, {meta['offline_seconds']:.0f} s offline; "
        f"use it with sciml twin fit --method few-shot --body {args.out}"
    )


def _twin_monitor(args) -> None:
    from sciml import twin

    out = Path(args.out)
    rows = twin.monitor(
        args.files,
        out,
        observe=args.observe,
        noise=args.noise,
        window=args.window,
        unknowns=[n for n in args.unknowns.split(",") if n],
    )
    print(twin.health_table(rows))
    print(f"\nhealth report {out / 'health.md'}, figure {out / 'figures' / 'health.png'}")


def _twin_actuators(args) -> None:
    from sciml.twin import train_actuator_operator
    from sciml.twin._actuator_operator import ACTUATORS

    unknown = [a for a in args.actuator.split(",") if a not in ACTUATORS]
    if unknown:  # before hours of training on the valid ones
        raise ValueError(f"unknown actuator {unknown[0]!r}; choose from {', '.join(ACTUATORS)}")
    for flag, share in (("--step-share", args.step_share), ("--old-share", args.old_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{flag} must lie in [0, 1], got {share}")
    for actuator in args.actuator.split(","):
        metrics = train_actuator_operator(
            actuator,
            Path(args.out),
            histories=args.histories,
            steps=args.steps,
            lbfgs_steps=args.lbfgs_steps,
            step_share=args.step_share,
            old_share=args.old_share,
            seed=args.seed,
            progress=not args.quiet,
        ).metrics
        print(
            f"G_{actuator}: rel L2 {metrics['rel_l2_test']:.3g} held out, "
            f"{metrics['rel_l2_isolated_steps']:.3g} on isolated steps; "
            f"{metrics['train_seconds']:.0f} s training"
        )
    print(f"operators in {args.out}")


def _measured_windows_arguments(command: argparse.ArgumentParser) -> None:
    """The inputs `twin fit` and `twin monitor` share: files, observed signals, noise, window."""
    command.add_argument("files", nargs="+", help="scenario .h5 files or measurement .csv files")
    command.add_argument("--observe", default="O1", help="observation set O1-O4 (default O1)")
    command.add_argument("--noise", type=float, default=0.0, help="noise level in the files")
    command.add_argument("--window", type=float, default=10.0, help="window length, s (10)")
