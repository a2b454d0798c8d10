"""Train an operator model on a data-set file and evaluate it on the test split.

``train_and_evaluate(config, run_dir)`` writes the run directory of DESIGN.md section 5:
``config.json``, ``metrics.jsonl``, ``checkpoints/``, ``prediction.npz`` (test inputs, targets
and predictions), ``result.json`` and ``figures/``. Minibatches come from a per-epoch
permutation ``permutation(fold_in(key, epoch))``, so a resumed run sees exactly the batches of
an uninterrupted one. The training set stays on the device and a compiled call receives only
minibatch indices: one step per call for convolutional models (XLA:CPU runs convolutions in
loop bodies several times slower), else a ``lax.scan`` over whole epochs (several while an epoch
is shorter than ``SCAN_STEPS`` steps). With several devices every minibatch is split over them.
The reported figures are those of the final parameters (no selection on the test split).
"""

import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from pdes.datasets import OperatorData, load_operator
from sciml import _io
from sciml import config as config_lib
from sciml.models import DeepONet, count_params
from sciml.operator import _figures
from sciml.operator._build import (
    Normalizer,
    build_model,
    init_params,
    make_predict,
    make_predict_at,
)
from sciml.operator._config import OperatorConfig
from sciml.operator._loss import darcy_residual, mse, relative_h1, relative_l2
from sciml.operator._physics_informed import PointPhysics, point_physics, residual_loss
from sciml.train import TrainState, data_mesh, fit, make_train_step, replicate, replicated

EVAL_CHUNK = 50  # test samples per compiled evaluation call (bounds memory at 512^2)
SCAN_STEPS = 100  # at most this many steps per compiled call when several epochs are scanned


def _schedule(config: OperatorConfig, total: int) -> optax.Schedule:
    lr = config.learning_rate
    if config.schedule == "onecycle":
        # MgNO's OneCycleLR(div_factor=2, pct_start=0.2, final_div_factor=100), per step
        return optax.cosine_onecycle_schedule(
            total, lr, pct_start=0.2, div_factor=2.0, final_div_factor=100.0
        )
    if config.schedule == "cosine":
        return optax.cosine_decay_schedule(lr, total)
    if config.schedule == "step":  # FNO: halve every 100 of 500 epochs
        return optax.exponential_decay(lr, max(total // 5, 1), 0.5, staircase=True)
    return optax.constant_schedule(lr)


def _epochs_per_call(steps_per_epoch: int, eval_epochs: int, epochs: int) -> int:
    """Epochs scanned in one compiled call: one, or several while an epoch is shorter than
    ``SCAN_STEPS`` steps (dispatch would dominate tiny full-batch epochs, e.g. DeepONet's)."""
    fits = [
        d
        for d in range(1, eval_epochs + 1)
        if eval_epochs % d == 0 and epochs % d == 0 and d * steps_per_epoch <= SCAN_STEPS
    ]
    return max(fits, default=1)


def _convolutional(config: OperatorConfig) -> bool:
    return config.model in ("mgno", "unet") or (
        config.model == "deeponet" and config.deeponet.branch == "cnn"
    )


def _spacing(data: OperatorData) -> tuple[float, ...]:
    grid = data.output_grid
    return tuple(
        float(np.take(grid[..., i], 1, axis=i).reshape(-1)[0] - grid[(0,) * (grid.ndim - 1)][i])
        for i in range(grid.shape[-1])
    )


def _grid_physics_source(config: OperatorConfig, data: OperatorData) -> float | None:
    if config.physics_weight == 0 or config.model == "deeponet":
        return None
    if data.layout != "darcy":
        raise ValueError(
            f"physics_weight needs a Darcy data set (its grid residual); {data.path} is "
            f"{data.layout}"
        )
    return float(data.attrs.get("params", {}).get("source", 1.0))


def _point_physics(config: OperatorConfig, data: OperatorData) -> PointPhysics | None:
    if config.model != "deeponet" or config.physics_weight == 0:
        return None
    if config.deeponet.points_per_sample == 0 or config.normalize:
        raise ValueError(
            "a physics-informed DeepONet trains on triplets of raw values: set "
            "deeponet.points_per_sample > 0 and normalize=false"
        )
    return point_physics(data)


def _query_index(config: OperatorConfig, data: OperatorData, n: int) -> np.ndarray:
    """Fixed query nodes ``[n, k]`` per training function (flat output-grid indices)."""
    key = jax.random.key(config.seed + 1)
    k = config.deeponet.points_per_sample
    if config.deeponet.label_points == "random":
        return np.asarray(jax.random.randint(key, (n, k), 0, data.output_grid[..., 0].size))
    nodes = np.flatnonzero(point_physics(data).boundary(data.output_grid))
    return nodes[np.asarray(jax.random.randint(key, (n, k), 0, len(nodes)))]


def _check_resumable(run_dir: Path, config: OperatorConfig) -> None:
    saved_file = run_dir / "config.json"
    if not saved_file.exists():
        return
    saved = config_lib.flatten(json.loads(saved_file.read_text())["config"])
    current = config_lib.flatten(json.loads(json.dumps(config_lib.to_dict(config))))
    config_lib.refuse_changed(run_dir, saved, current)


def best_by_training_loss(history: list[dict], evaluations: list[dict]) -> dict:
    """The evaluation at the logged step of lowest training loss, as DeepXDE reports a run
    (``ModelCheckpoint(save_better_only=True)``: "Best model at step ..."): its step and test
    scores, keys suffixed ``_best_train_loss``; empty when no evaluation has a logged loss."""
    losses = {row["step"]: row["loss"] for row in history}
    scored = [row for row in evaluations if row["step"] in losses]
    if not scored:
        return {}
    best = min(scored, key=lambda row: losses[row["step"]])
    tests = {k: v for k, v in best.items() if k.startswith("test_")}
    return {"best_train_loss_step": best["step"]} | {
        f"{k}_best_train_loss": v for k, v in tests.items()
    }


def train_and_evaluate(
    config: OperatorConfig, run_dir: str | Path, *, progress: bool = True
) -> dict:
    """Run one operator-learning experiment into ``run_dir``; returns ``result.json``'s content.

    Raises:
        ValueError: a bad data file (:class:`pdes.datasets.DatasetError`), a split larger than
            the file, or a model that cannot take the data's grid; raised before anything is
            written.
    """
    run_dir = Path(run_dir)
    if not config.data:
        raise ValueError("no data file: pass --data FILE.h5 (see `sciml data generate`)")
    data = load_operator(config.data)
    train, test = data.split(config.train, config.test)
    model = build_model(config, data)
    source = _grid_physics_source(config, data)
    physics = _point_physics(config, data)
    params = init_params(model, config, train, jax.random.key(config.seed))
    _check_resumable(run_dir, config)
    _io.write_json(
        run_dir / "config.json", {"config": config_lib.to_dict(config), **_io.environment()}
    )

    x_norm = Normalizer.fit(train.inputs, config.normalize)
    y_norm = Normalizer.fit(train.outputs, config.normalize)
    predict = make_predict(model, config, data)
    forward = lambda p, x: y_norm.decode(predict(p, x))
    spacing, bc = _spacing(data), "periodic" if data.layout == "time-series" else "dirichlet"
    triplets = config.model == "deeponet" and config.deeponet.points_per_sample > 0

    x_train = jnp.asarray(x_norm.encode(train.inputs))
    batch_data = {"x": x_train, "y": jnp.asarray(train.outputs)}
    if source is not None:
        batch_data["a"] = jnp.asarray(train.inputs)
    if triplets:
        # fixed query points per training function, as in the original DeepONet set-up
        flat_y = train.outputs.reshape(len(train), -1, train.outputs.shape[-1])
        flat_grid = data.output_grid.reshape(-1, data.output_grid.shape[-1])
        index = _query_index(config, data, len(train))
        batch_data["y"] = jnp.asarray(np.take_along_axis(flat_y, index[..., None], axis=1))
        batch_data["points"] = jnp.asarray(flat_grid[index])
        predict_at = make_predict_at(model, config)
        y_mean = jnp.asarray(y_norm.mean.reshape(-1, y_norm.mean.shape[-1])[index])
        y_std = jnp.asarray(y_norm.std.reshape(-1, y_norm.std.shape[-1])[index])
        batch_data["y_mean"], batch_data["y_std"] = y_mean, y_std
    if physics is not None:
        sensors = data.input_grid.reshape(-1)
        points, sensor = physics.collocation(
            jax.random.key(config.seed + 3),
            sensors,
            data.output_grid,
            len(train),
            config.deeponet.residual_points,
        )
        batch_data["residual_points"] = jnp.asarray(points)
        batch_data["residual_source"] = jnp.asarray(
            np.take_along_axis(train.inputs[..., 0], sensor, axis=1)
        )
        point = lambda p: lambda u, z: model.apply(p, u, z, method=DeepONet.point)

    # one device and a full batch need no gather (the loss is a mean: order does not matter);
    # several devices keep it, as the sharded index is what splits the batch over them
    full_batch = config.batch == config.train and jax.device_count() == 1

    def loss_fn(params, index, key, weights):
        batch = batch_data if full_batch else jax.tree.map(lambda a: a[index], batch_data)
        if triplets:
            pred = (
                predict_at(params, batch["x"], batch["points"]) * batch["y_std"] + batch["y_mean"]
            )
        else:
            pred = forward(params, batch["x"])
        target = batch["y"]
        if config.loss == "h1" and not triplets:
            data_loss = relative_h1(pred, target, spacing, bc)
        elif config.loss == "mse":
            data_loss = mse(pred, target)
        else:
            data_loss = relative_l2(pred, target)
        terms = {"data": data_loss}
        if physics is not None:
            terms["physics"] = residual_loss(
                physics,
                point(params),
                batch["x"].reshape(batch["x"].shape[0], -1),
                batch["residual_points"],
                batch["residual_source"],
            )
            return data_loss + config.physics_weight * terms["physics"], terms
        if source is not None:
            terms["physics"] = darcy_residual(pred, batch["a"], spacing, source)
            return data_loss + config.physics_weight * terms["physics"], terms
        return data_loss, terms

    steps_per_epoch = config.train // config.batch
    total = steps_per_epoch * config.epochs
    eval_epochs = min(config.eval_every, config.epochs)
    if _convolutional(config):
        steps_per_call = 1  # see make_train_step: convolutions in a loop body are slow on CPU
    else:
        steps_per_call = steps_per_epoch * _epochs_per_call(
            steps_per_epoch, eval_epochs, config.epochs
        )
    schedule = _schedule(config, total)
    optimizer = optax.adamw(schedule, weight_decay=config.weight_decay)
    mesh = data_mesh() if jax.device_count() > 1 else None
    if mesh is not None and config.batch % mesh.size:
        raise ValueError(f"batch={config.batch} must be a multiple of the {mesh.size} devices")
    state = TrainState.create(params, optimizer, seed=config.seed)
    if mesh is not None:
        state = replicate(state, mesh)
        batch_data = jax.device_put(batch_data, replicated(mesh))
    step = make_train_step(
        loss_fn, optimizer, steps_per_call=steps_per_call, learning_rate=schedule, mesh=mesh
    )
    data_key = jax.random.key(config.seed + 2)

    @jax.jit
    def call_indices(first_step):
        """Minibatch indices ``[steps_per_call, batch]`` of the steps one call runs."""

        def one(s):
            epoch_key = jax.random.fold_in(data_key, s // steps_per_epoch)
            order = jax.random.permutation(epoch_key, config.train)
            start = (s % steps_per_epoch) * config.batch
            return jax.lax.dynamic_slice_in_dim(order, start, config.batch)

        return jax.vmap(one)(first_step + jnp.arange(steps_per_call))

    x_test = x_norm.encode(test.inputs)
    test_forward = jax.jit(forward)

    def predict_test(params) -> np.ndarray:
        parts = [
            np.asarray(test_forward(params, jnp.asarray(x_test[i : i + EVAL_CHUNK])))
            for i in range(0, len(test), EVAL_CHUNK)
        ]
        return np.concatenate(parts)

    @jax.jit
    def metrics(p, y):
        return {
            "test_rel_l2": relative_l2(p, y),
            "test_rel_h1": relative_h1(p, y, spacing, bc),
            "test_mse": mse(p, y),
        }

    def scores(prediction: np.ndarray) -> dict[str, float]:
        values = metrics(jnp.asarray(prediction), jnp.asarray(test.outputs))
        return {k: float(v) for k, v in values.items()}

    result_fit = fit(
        state,
        step,
        steps=total,
        steps_per_call=steps_per_call,
        run_dir=run_dir,
        data=call_indices,
        evaluate=lambda s: scores(predict_test(s.params)),
        eval_every=steps_per_epoch * eval_epochs,
        log_every=steps_per_call,
        checkpoint_every=steps_per_epoch * eval_epochs,
        progress=progress,
    )
    params = result_fit.state.params
    start = time.perf_counter()
    prediction = predict_test(params)
    inference = time.perf_counter() - start
    final = scores(prediction)
    _io.write_npz(
        run_dir / "prediction.npz",
        inputs=test.inputs,
        targets=test.outputs,
        prediction=prediction,
        input_grid=data.input_grid,
        output_grid=data.output_grid,
    )
    _figures.save(run_dir / "figures", test, prediction, result_fit.history, result_fit.evaluations)
    wall = result_fit.wall_seconds
    result = {
        "data": Path(config.data).name,
        "generator": data.attrs.get("generator", data.layout),
        "resolution": list(data.inputs.shape[1:-1]),
        "model": config.model,
        "parameters": count_params(params),
        "seed": config.seed,
        "train": config.train,
        "test": config.test,
        "epochs": config.epochs,
        "batch": config.batch,
        "steps": total,
        "loss": config.loss,
        "physics_weight": config.physics_weight,
        "wall_seconds": round(wall, 2),
        "seconds_per_epoch": round(wall / config.epochs, 3),
        "steps_per_second": round(total / max(wall, 1e-9), 2),
        "inference_seconds": round(inference, 3),
        **final,
        **best_by_training_loss(result_fit.history, result_fit.evaluations),
        "metric": "test relative L2 (mean over test samples), final parameters",
        "devices": jax.device_count(),
        "device": _io.environment()["devices"][0],
    }
    _io.write_json(run_dir / "result.json", result)
    return result
