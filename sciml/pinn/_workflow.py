"""Train a PINN on a problem and evaluate it against the reference: ``train_and_evaluate``.

A run directory holds ``config.json``, ``metrics.jsonl`` (rows of every stage, tagged ``stage``),
``checkpoints/STAGE`` (``adam``, ``lbfgs`` or ``lbfgsR`` per L-BFGS round, with ``_wK`` per time
window), ``prediction.npz``, ``result.json`` and ``figures/``. Re-running on the same directory
resumes each stage from its latest checkpoint. With several devices the collocation points are
split over them (parameters replicated).
"""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import pdes
from pdes import metrics
from sciml import _io
from sciml import config as config_lib
from sciml.models import count_params
from sciml.pinn import _build, _figures, _windows
from sciml.pinn._adaptive import rad_points
from sciml.pinn._config import PINNConfig
from sciml.pinn._loss import (
    POINTWISE,
    grad_norm_update,
    make_loss,
    make_term_losses,
    ntk_update,
    sample_batch,
    self_adaptive_update,
)
from sciml.pinn._terms import make_terms
from sciml.train import (
    TrainState,
    batch_sharding,
    data_mesh,
    fit,
    make_lbfgs_step,
    make_train_step,
    replicate,
    warm_start,
)


def _counts(terms, config: PINNConfig, residual_points: int) -> dict[str, int]:
    sizes = {"residual": residual_points, "initial": config.sampling.initial_points}
    sizes["initial_rate"] = config.sampling.initial_points
    return {t.name: sizes.get(t.name, config.sampling.boundary_points) for t in terms}


def _time_to(evaluations: list[dict], threshold: float) -> float | None:
    for row in evaluations:
        if row["rel_l2"] <= threshold:
            return row["wall_time"]
    return None


def _train_window(config: PINNConfig, problem, model, params, common: dict, suffix: str, mesh):
    """Adam, then the quasi-Newton rounds, on one problem (or time window); returns the stages."""
    apply_u = lambda p: lambda z: model.apply(p, z)[0]
    periodic_axes, _ = _build.periodic_axes(problem)
    terms = make_terms(
        problem,
        _build.sampler(config.sampling.method),
        periodic_embedded=periodic_axes if config.model.periodic else (),
        hard_constraints=config.model.hard_constraints,
    )
    causal = None
    if config.causal.enabled and problem.domain.time_dependent:
        causal = (config.causal.chunks, config.causal.tolerance)
    term_losses = make_term_losses(terms, apply_u, causal=causal)
    counts = _counts(terms, config, config.sampling.residual_points)
    adaptive = {}
    if config.sampling.rad:
        sampling = config.sampling

        def rad(params, term, key, n):
            u = apply_u(params)
            pool = sampling.rad_pool * n
            return rad_points(term, u, key, n, pool=pool, k=sampling.rad_k, c=sampling.rad_c)

        adaptive["residual"] = rad
    weighting = config.weighting
    weights = {
        t.name: jnp.asarray(weighting.initial if t.name.startswith("initial") else 1.0)
        for t in terms
    }
    fixed, update = None, None
    if weighting.scheme == "self_adaptive":
        fixed = sample_batch(terms, jax.random.PRNGKey(config.seed + 104729), counts)
        if mesh is not None:
            fixed = jax.device_put(fixed, batch_sharding(mesh))
        weights[POINTWISE] = {name: jnp.ones(n) for name, n in counts.items()}
        update = self_adaptive_update(terms, apply_u, fixed, weighting.ascent_rate)
    elif weighting.scheme == "grad_norm":
        update = grad_norm_update(term_losses, terms, counts, weighting.momentum)
    elif weighting.scheme == "ntk":
        update = ntk_update(apply_u, terms, counts, weighting.momentum, weighting.ntk_points)
    loss_fn = make_loss(term_losses, terms, counts, adaptive, fixed=fixed, mesh=mesh)

    optim = config.optim
    optimizer = _build.optimizer(optim)
    state = TrainState.create(params, optimizer, seed=config.seed, weights=weights)
    if mesh is not None:
        state = replicate(state, mesh)
    step = make_train_step(
        loss_fn,
        optimizer,
        steps_per_call=optim.steps_per_call,
        update_weights=update,
        weights_every=weighting.every,
        learning_rate=_build.learning_rate(optim),
        mesh=mesh,
    )
    stages = [fit(state, step, steps=optim.steps, stage=f"adam{suffix}", **common)]
    state = stages[0].state
    if not optim.lbfgs_steps:
        return stages

    if causal is not None and not config.causal.quasi_newton:
        # the causal weights are stop-gradient functions of the parameters: the line search
        # would see a value whose gradient is not the one it is given
        plain = make_term_losses(terms, apply_u)
        loss_fn = make_loss(plain, terms, counts, adaptive, fixed=fixed, mesh=mesh)
    fixed_counts = _counts(terms, config, optim.lbfgs_points)
    draw = jax.jit(lambda p, key: sample_batch(terms, key, fixed_counts, p, adaptive, mesh))
    quasi_newton = _build.quasi_newton(optim)
    lbfgs_step = make_lbfgs_step(
        loss_fn, quasi_newton, steps_per_call=optim.steps_per_call, mesh=mesh
    )
    for round_ in range(optim.lbfgs_rounds):
        # fixed points for this round (RAD looks at the current model; SA-PINN keeps its points
        # and frozen weights)
        points = fixed
        if points is None:
            points = draw(state.params, jax.random.PRNGKey(config.seed + 7919 + round_))
        second = TrainState.create(
            state.params, quasi_newton, seed=config.seed, weights=state.weights
        )
        if round_ and optim.keep_hessian:
            second = second.replace(opt_state=warm_start(state.opt_state, state.params))
        if mesh is not None:
            second = replicate(second, mesh)
        name = "lbfgs" if optim.lbfgs_rounds == 1 else f"lbfgs{round_}"
        stages.append(
            fit(
                second,
                lbfgs_step,
                steps=optim.lbfgs_steps // optim.lbfgs_rounds,
                data=lambda _, points=points: points,
                stage=f"{name}{suffix}",
                **common,
            )
        )
        state = stages[-1].state
    return stages


def train_and_evaluate(config: PINNConfig, run_dir: str | Path, *, progress: bool = True) -> dict:
    """Run one PINN experiment into ``run_dir``; returns the ``result.json`` content.

    The run uses ``config.dtype`` and ``config.matmul_precision`` (both recorded in
    ``config.json``) and leaves the global JAX settings as they were."""
    with (
        jax.enable_x64(config.dtype == "float64"),
        jax.default_matmul_precision(config.matmul_precision),
    ):
        return _run(config, Path(run_dir), progress)


def _check_resumable(run_dir: Path, config: PINNConfig) -> None:
    """A run directory resumes only the config that started it (its checkpoints would not fit)."""
    saved_file = run_dir / "config.json"
    if not saved_file.exists():
        return
    as_json = lambda c: config_lib.flatten(json.loads(json.dumps(config_lib.to_dict(c))))
    # a key the saved config lacks was added later, with a default that keeps the old behaviour
    saved_config = json.loads(saved_file.read_text())["config"]
    saved = {**as_json(PINNConfig()), **config_lib.flatten(saved_config)}
    current = as_json(config)
    config_lib.refuse_changed(run_dir, saved, current)


def _run(config: PINNConfig, run_dir: Path, progress: bool) -> dict:
    problem = pdes.get(config.problem, **dict(config.problem_params))
    evaluation = pdes.get(
        config.problem, **dict(config.problem_params), **dict(config.reference_params)
    )
    # every check that needs the problem runs before anything is written
    spans = _windows.spans(problem, config.time_windows)
    _build.build_model(problem, config.model)
    _check_resumable(run_dir, config)
    _io.write_json(
        run_dir / "config.json", {"config": config_lib.to_dict(config), **_io.environment()}
    )
    reference = evaluation.reference()
    points = reference.points().reshape(-1, len(reference.axes))
    reference_values = reference.values.reshape(-1)
    mesh = data_mesh() if jax.device_count() > 1 else None

    marching = len(spans) > 1
    initial = problem.initial
    prediction = np.zeros_like(reference_values)
    stages, params, parameters, adam_wall = [], None, 0, 0.0
    for index, span in enumerate(spans):
        view = _windows.TimeWindow(problem, *span, initial) if marching else problem
        model = _build.build_model(view, config.model)
        if params is None:
            params = _build.initial_params(model, problem, config.seed, config.dtype)
            parameters = count_params(params)
        inside = _windows.mask(points[:, 0], span, index == 0) if marching else slice(None)
        grid = jnp.asarray(points[inside], config.dtype)
        predict = jax.jit(
            lambda p, model=model, grid=grid: jax.vmap(model.apply, (None, 0))(p, grid)
        )

        def evaluate(state, predict=predict, inside=inside) -> dict:
            values = np.asarray(predict(state.params)[:, 0], np.float64)
            return {
                "rel_l2": float(metrics.rel_l2(values, reference_values[inside])),
                "max_error": float(metrics.max_error(values, reference_values[inside])),
            }

        common = dict(
            steps_per_call=config.optim.steps_per_call,
            run_dir=run_dir,
            evaluate=evaluate,
            eval_every=config.eval_every,
            log_every=config.log_every,
            checkpoint_every=config.eval_every,
            best_metric="rel_l2",
            progress=progress,
        )
        suffix = f"_w{index}" if marching else ""
        window_stages = _train_window(config, view, model, params, common, suffix, mesh)
        stages += window_stages
        adam_wall += window_stages[0].wall_seconds  # the first stage of a window is Adam
        params = window_stages[-1].state.params
        prediction[inside] = np.asarray(predict(params)[:, 0], np.float64)
        if marching:
            frozen = jax.device_get(params)
            u = lambda z, model=model, frozen=frozen: model.apply(frozen, z)[0]
            initial = _windows.handoff(u, span[1], len(problem.initial))

    prediction = prediction.reshape(reference.values.shape)
    arrays = {name: axis for name, axis in zip(reference.names, reference.axes, strict=True)}
    _io.write_npz(
        run_dir / "prediction.npz", prediction=prediction, reference=reference.values, **arrays
    )
    offsets = np.cumsum([0.0] + [stage.wall_seconds for stage in stages[:-1]])
    evaluations = [
        {**row, "wall_time": row["wall_time"] + offset}
        for stage, offset in zip(stages, offsets, strict=True)
        for row in stage.evaluations
    ]
    wall = sum(stage.wall_seconds for stage in stages)
    optim = config.optim
    total_steps = (optim.steps + optim.lbfgs_steps) * len(spans)
    reference_flat = reference.values.reshape(-1)
    result = {
        "problem": config.problem,
        "problem_params": dict(config.problem_params),
        "model": config.model.arch,
        "parameters": parameters,
        "seed": config.seed,
        "dtype": config.dtype,
        "weighting": config.weighting.scheme,
        "time_windows": len(spans),
        "adam_steps": optim.steps * len(spans),
        "lbfgs_steps": optim.lbfgs_steps * len(spans),
        "quasi_newton": optim.quasi_newton,
        "wall_seconds": round(wall, 2),
        "adam_steps_per_second": round(optim.steps * len(spans) / max(adam_wall, 1e-9), 1),
        "steps_per_second": round(total_steps / max(wall, 1e-9), 1),
        "rel_l2": float(metrics.rel_l2(prediction.reshape(-1), reference_flat)),
        "max_error": float(metrics.max_error(prediction.reshape(-1), reference_flat)),
        "reference": reference.method,
        "reference_grid": list(reference.values.shape),
        "metric": "relative L2 over the reference grid",
        "time_to_1e-2": None if marching else _time_to(evaluations, 1e-2),
        "time_to_1e-3": None if marching else _time_to(evaluations, 1e-3),
        "devices": jax.device_count(),
        "device": _io.environment()["devices"][0],
    }
    history = [row for stage in stages for row in stage.history]
    _figures.save(run_dir / "figures", reference, prediction, history, evaluations)
    _io.write_json(run_dir / "result.json", result)
    return result
