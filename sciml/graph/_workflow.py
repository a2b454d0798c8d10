"""Train a traffic forecaster on PEMS-layout data and score it on the test split.

``train_and_evaluate(config, run_dir)`` writes ``config.json``, ``graphs.npz`` (the DTW matrix,
reused on resumption), ``metrics.jsonl``, ``checkpoints/`` (latest and best by validation
MAE), ``forecast.npz`` (test forecasts and truth, vehicles per 5 min), ``result.json`` and
``figures/``. Training uses the shared core: minibatches of window start indices from a
per-epoch permutation ``permutation(fold_in(key, epoch))`` (a resumed run sees the same
batches), gathered on the device; AdamW; smooth-L1 loss (Huber, δ = 1); data parallel over
every device present. BatchNorm statistics travel in the training state's ``weights``.

Selection: after each epoch, the masked MAE on (up to ``EVAL_WINDOWS`` evenly spaced) validation
windows; the best epoch's parameters are scored on every test window: masked MAE, RMSE and
MAPE overall and at 15, 30 and 60 minutes (:func:`pdes.traffic.masked_errors`).
"""

import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from pdes import traffic
from sciml import _io
from sciml import config as config_lib
from sciml.graph import _figures
from sciml.graph._config import PUBLISHED, GraphConfig
from sciml.graph._data import gather, historical_average, prepare_task
from sciml.models import GRAMODE, STGODE, GRUForecaster, adjacency_graph, count_params
from sciml.train import (
    Checkpoints,
    TrainState,
    data_mesh,
    fit,
    make_train_step,
    replicate,
    replicated,
)

EVAL_WINDOWS = 512  # validation windows scored per epoch for model selection
EVAL_CHUNK = 32  # windows per compiled forecasting call


def build_model(config: GraphConfig):
    if config.model == "gram_ode":
        return GRAMODE(
            channels=config.channels, branches=config.branches, local=config.local,
            edges=config.edges, shared=config.shared, divergence=config.divergence,
            official_tcn=config.official_tcn, solver=config.solver,
        )  # fmt: skip
    if config.model == "stgode":
        return STGODE(
            channels=config.channels, branches=config.branches,
            official_tcn=config.official_tcn, solver=config.solver,
        )  # fmt: skip
    return GRUForecaster()


def _read(config: GraphConfig) -> traffic.TrafficData:
    if not config.data:
        raise ValueError("no data file: pass --data FILE.npz (see `sciml graph simulate`)")
    distances = config.distances or str(Path(config.data).with_suffix(".csv"))
    return traffic.read_pems(config.data, distances, config.ids or None)


def _schedule(config: GraphConfig, steps_per_epoch: int) -> optax.Schedule:
    """η(step) = η₀ · factor^#{milestones m : step ≥ s·m·steps_per_epoch}, s = epochs/200
    for ``published`` (scaled to the run), s = 1 for ``truncated`` (the published epochs)."""
    _, _, milestones, factor = PUBLISHED[config.model]
    if config.schedule == "constant" or not milestones:
        return optax.constant_schedule(config.rate)
    scale = config.epochs / 200 if config.schedule == "published" else 1.0
    boundaries = {}
    for m in milestones:  # milestones that land on the same step multiply their factors
        step = max(1, round(scale * m)) * steps_per_epoch
        boundaries[step] = boundaries.get(step, 1.0) * factor
    return optax.piecewise_constant_schedule(config.rate, boundaries)


def _check_resumable(run_dir: Path, config: GraphConfig, shape) -> None:
    saved_file = run_dir / "config.json"
    if not saved_file.exists():
        return
    saved_all = json.loads(saved_file.read_text())
    saved = config_lib.flatten(saved_all["config"])
    current = config_lib.flatten(json.loads(json.dumps(config_lib.to_dict(config))))
    config_lib.refuse_changed(run_dir, saved, current)
    if saved_all.get("data_shape", list(shape)) != list(shape):
        raise ValueError(
            f"{run_dir} was trained on data of shape {saved_all['data_shape']}, {config.data} "
            f"holds {list(shape)}; choose another --out"
        )


def train_and_evaluate(config: GraphConfig, run_dir: str | Path, *, progress: bool = True) -> dict:
    """Run one forecasting experiment into ``run_dir``; returns ``result.json``'s content.

    Raises:
        ValueError: a bad data file (:class:`pdes.traffic.TrafficFormatError`), a series too
            short for one window per split, a batch larger than the training windows; raised
            before anything is written.
    """
    run_dir = Path(run_dir)
    data = _read(config)
    _check_resumable(run_dir, config, data.data.shape)
    parts = traffic.split(data.data)  # checks every split holds a window before any work
    traffic.daily_profiles(parts[0][:, :, 0])  # the semantic graph needs a whole training day
    starts = traffic.window_starts(parts[0].shape[0])
    if config.max_windows:
        starts = starts[np.linspace(0, len(starts) - 1, config.max_windows).round().astype(int)]
        starts = np.unique(starts)
    if config.model != "historical_average" and config.batch > len(starts):
        raise ValueError(f"batch={config.batch} exceeds the {len(starts)} training windows")
    if jax.device_count() > 1 and config.batch % jax.device_count():
        raise ValueError(
            f"batch={config.batch} must be a multiple of the {jax.device_count()} devices"
        )
    _io.write_json(
        run_dir / "config.json",
        {"config": config_lib.to_dict(config), "data_shape": list(data.data.shape),
         **_io.environment()},
    )  # fmt: skip
    start_time = time.perf_counter()
    baseline = config.model == "historical_average"
    task = prepare_task(data, config.dtw_band, cache=run_dir / "graphs.npz", graphs=not baseline)
    graph_seconds = time.perf_counter() - start_time
    if baseline:
        _, truth = traffic.windows(task.flows["test"][:, :, None])
        forecast = historical_average(task, "test", config.start_weekday)
        return _finish(config, run_dir, task, data, forecast, truth)

    model = build_model(config)
    graphs = tuple(adjacency_graph(a) for a in task.adjacency)
    series = {k: jnp.asarray(v, jnp.float32) for k, v in task.series.items()}
    flows = {k: jnp.asarray(v, jnp.float32) for k, v in task.flows.items()}
    mean, std = (float(task.normaliser.mean[0]), float(task.normaliser.std[0]))
    x0, _ = gather(series["train"], flows["train"], jnp.asarray(starts[:2]))
    key = jax.random.key(config.seed)
    variables = model.init({"params": key, "dropout": key}, x0, graphs, train=False)
    params = variables["params"]
    extra = {k: v for k, v in variables.items() if k != "params"}  # BatchNorm statistics
    mutable = list(extra) or False

    def loss_fn(params, index, key, weights):
        x, y = gather(series["train"], flows["train"], jnp.asarray(starts)[index])
        out = model.apply({"params": params, **weights}, x, graphs, train=True,
                          rngs={"dropout": key}, mutable=mutable)  # fmt: skip
        out, updates = out if mutable else (out, {})
        if config.loss_space == "flow":
            loss = optax.huber_loss(out * std + mean, y, delta=1.0).mean()
        else:
            loss = optax.huber_loss(out, (y - mean) / std, delta=1.0).mean()
        return loss, ({}, dict(updates))

    items = len(starts)
    steps_per_epoch = items // config.batch
    total = steps_per_epoch * config.epochs
    schedule = _schedule(config, steps_per_epoch)
    optimizer = optax.adamw(schedule, weight_decay=config.weight_decay)
    mesh = data_mesh() if jax.device_count() > 1 else None
    state = TrainState.create(params, optimizer, seed=config.seed, weights=extra)
    if mesh is not None:
        state = replicate(state, mesh)
        series = jax.device_put(series, replicated(mesh))
        flows = jax.device_put(flows, replicated(mesh))
    step = make_train_step(loss_fn, optimizer, learning_rate=schedule, mesh=mesh,
                           returns_weights=True)  # fmt: skip
    data_key = jax.random.key(config.seed + 2)

    @jax.jit
    def call_indices(first_step):
        order = jax.random.permutation(
            jax.random.fold_in(data_key, first_step // steps_per_epoch), items
        )
        start = (first_step % steps_per_epoch) * config.batch
        return jax.lax.dynamic_slice_in_dim(order, start, config.batch)[None]

    @jax.jit
    def forecast_chunk(params, weights, split_series, split_flows, window_starts):
        x, y = gather(split_series, split_flows, window_starts)
        out = model.apply({"params": params, **weights}, x, graphs, train=False)
        return out * std + mean, y

    def forecast(state, split: str, chosen=None):
        count = traffic.window_starts(task.flows[split].shape[0]).shape[0]
        chosen = np.arange(count) if chosen is None else chosen
        padded = np.resize(chosen, -(-len(chosen) // EVAL_CHUNK) * EVAL_CHUNK)
        out = [
            jax.device_get(forecast_chunk(state.params, state.weights, series[split],
                                          flows[split], jnp.asarray(padded[i:i + EVAL_CHUNK])))
            for i in range(0, len(padded), EVAL_CHUNK)
        ]  # fmt: skip
        predicted = np.concatenate([p for p, _ in out])[: len(chosen)]
        truth = np.concatenate([t for _, t in out])[: len(chosen)]
        return predicted, truth

    val_count = traffic.window_starts(task.flows["val"].shape[0]).shape[0]
    val_chosen = np.unique(np.linspace(0, val_count - 1, min(EVAL_WINDOWS, val_count)).astype(int))

    def scores(state) -> dict[str, float]:
        e = traffic.masked_errors(*forecast(state, "val", val_chosen))
        return {"val_mae": e["mae"], "val_rmse": e["rmse"], "val_mape": e["mape"]}

    result_fit = fit(
        state, step, steps=total, run_dir=run_dir, data=call_indices, evaluate=scores,
        eval_every=steps_per_epoch, log_every=max(1, steps_per_epoch // 10),
        checkpoint_every=steps_per_epoch, best_metric="val_mae", progress=progress,
        max_seconds=config.max_seconds or None,
    )  # fmt: skip
    done = int(result_fit.state.step)
    best = Checkpoints(run_dir / "checkpoints", best_metric="val_mae")
    state = best.restore(result_fit.state, which="best")
    best.close()
    start = time.perf_counter()
    predicted, truth = forecast(state, "test")
    inference = time.perf_counter() - start
    selected = min(result_fit.evaluations, key=lambda r: r["val_mae"])
    timing = {
        "parameters": count_params(state.params),
        "training_windows": items,
        "epochs": done // steps_per_epoch,
        "steps": done,
        "learning_rate": config.rate,
        "schedule": config.schedule,
        "loss_space": config.loss_space,
        "best_epoch": int(selected["step"] // steps_per_epoch),
        "wall_seconds": round(result_fit.wall_seconds, 2),
        "samples_per_second": round(done * config.batch / max(result_fit.wall_seconds, 1e-9), 2),
        "inference_seconds": round(inference, 3),
        "graph_seconds": round(graph_seconds, 2),
    }
    curves = (result_fit.history, result_fit.evaluations)
    return _finish(config, run_dir, task, data, predicted, truth, timing, curves)


def _finish(config, run_dir, task, data, predicted, truth, timing=None, curves=([], [])) -> dict:
    """Score the test forecasts, write ``forecast.npz``, the figures and ``result.json``."""
    errors = traffic.masked_errors(predicted, truth)
    _io.write_npz(
        run_dir / "forecast.npz",
        predicted=predicted.astype(np.float32),
        truth=truth.astype(np.float32),
        test_offset=task.offsets["test"],
    )
    incidents = _incidents(Path(config.data))
    _figures.save(run_dir / "figures", predicted, truth, task.offsets["test"], incidents, *curves)
    result = {
        "data": Path(config.data).name,
        "sensors": int(data.data.shape[1]),
        "features": int(data.data.shape[2]),
        "steps": int(data.data.shape[0]),
        "model": config.model,
        "seed": config.seed,
        "test_windows": int(truth.shape[0]),
        **errors,
        **(timing or {}),
        **_io.environment(),
    }
    _io.write_json(run_dir / "result.json", result)
    return result


def _incidents(data: Path) -> list[dict]:
    """Incidents recorded beside simulated data (``NAME.incidents.json``), if any."""
    path = data.with_suffix(".incidents.json")
    return json.loads(path.read_text())["incidents"] if path.exists() else []
