"""Train a PINN on a problem and evaluate it against the reference: ``train_and_evaluate``.

A run directory holds ``config.json``, ``metrics.jsonl`` (rows of both stages, tagged ``stage``),
``checkpoints/{adam,lbfgs}``, ``prediction.npz``, ``result.json`` and ``figures/``. Re-running on
the same directory resumes each stage from its latest checkpoint.
"""

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import pdes
from pdes import metrics
from sciml import _io
from sciml import config as config_lib
from sciml.models import count_params
from sciml.pinn import _build, _figures
from sciml.pinn._adaptive import rad_points
from sciml.pinn._config import PINNConfig
from sciml.pinn._loss import (
    grad_norm_update,
    make_loss,
    make_term_losses,
    ntk_update,
    sample_batch,
)
from sciml.pinn._terms import make_terms
from sciml.train import TrainState, fit, lbfgs, make_lbfgs_step, make_train_step


def _counts(terms, config: PINNConfig, residual_points: int) -> dict[str, int]:
    sizes = {"residual": residual_points, "initial": config.sampling.initial_points}
    sizes["initial_rate"] = config.sampling.initial_points
    return {t.name: sizes.get(t.name, config.sampling.boundary_points) for t in terms}


def _time_to(evaluations: list[dict], threshold: float) -> float | None:
    for row in evaluations:
        if row["rel_l2"] <= threshold:
            return row["wall_time"]
    return None


def train_and_evaluate(config: PINNConfig, run_dir: str | Path, *, progress: bool = True) -> dict:
    """Run one PINN experiment into ``run_dir``; returns the ``result.json`` content."""
    run_dir = Path(run_dir)
    jax.config.update("jax_default_matmul_precision", config.matmul_precision)
    problem = pdes.get(config.problem, **dict(config.problem_params))
    evaluation = pdes.get(
        config.problem, **dict(config.problem_params), **dict(config.reference_params)
    )
    _io.write_json(
        run_dir / "config.json", {"config": config_lib.to_dict(config), **_io.environment()}
    )
    reference = evaluation.reference()
    grid = jnp.asarray(reference.points().reshape(-1, len(reference.axes)), jnp.float32)

    model = _build.build_model(problem, config.model)
    params = _build.initial_params(model, problem, config.seed)
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
            return rad_points(
                term,
                apply_u(params),
                key,
                n,
                pool=sampling.rad_pool * n,
                k=sampling.rad_k,
                c=sampling.rad_c,
            )

        adaptive["residual"] = rad
    loss_fn = make_loss(term_losses, terms, counts, adaptive)
    weights = {
        t.name: jnp.asarray(config.weighting.initial if t.name.startswith("initial") else 1.0)
        for t in terms
    }
    update = None
    if config.weighting.scheme == "grad_norm":
        update = grad_norm_update(term_losses, terms, counts, config.weighting.momentum)
    elif config.weighting.scheme == "ntk":
        update = ntk_update(
            apply_u, terms, counts, config.weighting.momentum, config.weighting.ntk_points
        )

    predict = jax.jit(lambda p: jax.vmap(apply_u(p))(grid))
    reference_values = reference.values.reshape(-1)

    def evaluate(state) -> dict:
        prediction = np.asarray(predict(state.params), np.float64)
        return {
            "rel_l2": float(metrics.rel_l2(prediction, reference_values)),
            "max_error": float(metrics.max_error(prediction, reference_values)),
        }

    optim = config.optim
    optimizer = _build.optimizer(optim)
    state = TrainState.create(params, optimizer, seed=config.seed, weights=weights)
    step = make_train_step(
        loss_fn,
        optimizer,
        steps_per_call=optim.steps_per_call,
        update_weights=update,
        weights_every=config.weighting.every,
        learning_rate=_build.learning_rate(optim),
    )
    common = dict(
        steps_per_call=optim.steps_per_call,
        run_dir=run_dir,
        evaluate=evaluate,
        eval_every=config.eval_every,
        log_every=config.log_every,
        checkpoint_every=config.eval_every,
        best_metric="rel_l2",
        progress=progress,
    )
    start = time.perf_counter()
    stages = [fit(state, step, steps=optim.steps, stage="adam", **common)]
    state = stages[0].state

    if optim.lbfgs_steps:
        fixed_counts = _counts(terms, config, optim.lbfgs_points)
        draw = jax.jit(lambda p, key: sample_batch(terms, key, fixed_counts, p, adaptive))
        quasi_newton = lbfgs(optim.lbfgs_memory)
        lbfgs_step = make_lbfgs_step(loss_fn, quasi_newton, steps_per_call=optim.steps_per_call)
        for round_ in range(optim.lbfgs_rounds):
            # fixed points for this round (RAD looks at the current model), then a fresh L-BFGS
            fixed = draw(state.params, jax.random.PRNGKey(config.seed + 7919 + round_))
            second = TrainState.create(
                state.params, quasi_newton, seed=config.seed, weights=state.weights
            )
            stage = "lbfgs" if optim.lbfgs_rounds == 1 else f"lbfgs{round_}"
            stages.append(
                fit(
                    second,
                    lbfgs_step,
                    steps=optim.lbfgs_steps // optim.lbfgs_rounds,
                    data=lambda _, fixed=fixed: fixed,
                    stage=stage,
                    **common,
                )
            )
            state = stages[-1].state

    final = evaluate(state)
    prediction = np.asarray(predict(state.params), np.float64).reshape(reference.values.shape)
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
    total_steps = optim.steps + optim.lbfgs_steps
    result = {
        "problem": config.problem,
        "problem_params": dict(config.problem_params),
        "model": config.model.arch,
        "parameters": count_params(params),
        "seed": config.seed,
        "adam_steps": optim.steps,
        "lbfgs_steps": optim.lbfgs_steps,
        "wall_seconds": round(wall, 2),
        "process_seconds": round(time.perf_counter() - start, 2),
        "adam_steps_per_second": round(optim.steps / max(stages[0].wall_seconds, 1e-9), 1),
        "steps_per_second": round(total_steps / max(wall, 1e-9), 1),
        "rel_l2": final["rel_l2"],
        "max_error": final["max_error"],
        "reference": reference.method,
        "reference_grid": list(reference.values.shape),
        "metric": "relative L2 over the reference grid",
        "time_to_1e-2": _time_to(evaluations, 1e-2),
        "time_to_1e-3": _time_to(evaluations, 1e-3),
        "device": _io.environment()["devices"][0],
    }
    history = [row for stage in stages for row in stage.history]
    _figures.save(run_dir / "figures", reference, prediction, history, evaluations)
    _io.write_json(run_dir / "result.json", result)
    return result
