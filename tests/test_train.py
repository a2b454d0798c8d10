"""The training core: multi-step jitted updates, the fit loop, checkpoints, resume, the guard."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from _distributed_worker import init_params, model

from sciml.train import TrainingDiverged, TrainState, fit, make_train_step


def regression_loss(params, batch, key, weights):
    """Fit sin(3x) on 64 points drawn from the step's key."""
    x = jax.random.uniform(key, (64, 1), minval=-1.0, maxval=1.0)
    mse = jnp.mean((model(params, x) - jnp.sin(3 * x[:, 0])) ** 2)
    return mse, {"mse": mse}


OPTIMIZER = optax.adam(1e-2)


def fresh_state(seed=0):
    return TrainState.create(init_params(jax.random.PRNGKey(seed)), OPTIMIZER, seed=seed)


def assert_trees_equal(a, b):
    jax.tree.map(np.testing.assert_array_equal, a, b)


def test_k_steps_per_call_equal_k_single_steps():
    many = make_train_step(regression_loss, OPTIMIZER, steps_per_call=10)
    one = make_train_step(regression_loss, OPTIMIZER, steps_per_call=1)
    state_many, metrics = many(fresh_state(), None)
    state_one = fresh_state()
    losses = []
    for _ in range(10):
        state_one, m = one(state_one, None)
        losses.append(m["loss"][0])
    assert int(state_many.step) == int(state_one.step) == 10
    assert metrics["loss"].shape == (10,)
    # the same float operations in the same order: bit-identical on the CPU
    np.testing.assert_array_equal(metrics["loss"], np.array(losses))
    assert_trees_equal(state_many.params, state_one.params)


def test_step_donates_the_state_and_compiles_once():
    step = make_train_step(regression_loss, OPTIMIZER, steps_per_call=5)
    state = fresh_state()
    old_leaf = state.params["w1"]
    for _ in range(3):
        state, _ = step(state, None)
    assert old_leaf.is_deleted()  # its buffer was reused in place
    assert step._cache_size() == 1


def test_batches_are_scanned_one_per_step():
    def data_loss(params, batch, key, weights):
        x, y = batch
        mse = jnp.mean((model(params, x) - y) ** 2)
        return mse, {}

    step = make_train_step(data_loss, OPTIMIZER, steps_per_call=4)
    x = jnp.linspace(-1, 1, 4 * 8).reshape(4, 8, 1)  # 4 steps of 8 points
    state, metrics = step(fresh_state(), (x, jnp.sin(3 * x[..., 0])))
    assert int(state.step) == 4 and metrics["loss"].shape == (4,)


def test_weight_updates_run_on_their_period():
    def weighted_loss(params, batch, key, weights):
        mse, terms = regression_loss(params, batch, key, weights)
        return weights["w"] * mse, terms

    def count(params, batch, key, weights):
        return {"w": weights["w"] + 1.0}

    step = make_train_step(
        weighted_loss, OPTIMIZER, steps_per_call=10, update_weights=count, weights_every=4
    )
    state = TrainState.create(
        init_params(jax.random.PRNGKey(0)), OPTIMIZER, seed=0, weights={"w": jnp.array(1.0)}
    )
    state, _ = step(state, None)
    assert float(state.weights["w"]) == 1.0 + 3  # steps 0, 4 and 8


def evaluate(state):
    x = jnp.linspace(-1, 1, 101)[:, None]
    ref = jnp.sin(3 * x[:, 0])
    return {"rel_l2": jnp.linalg.norm(model(state.params, x) - ref) / jnp.linalg.norm(ref)}


def run(run_dir, steps, **kwargs):
    step = make_train_step(regression_loss, OPTIMIZER, steps_per_call=20)
    options = dict(
        steps_per_call=20,
        run_dir=run_dir,
        evaluate=evaluate,
        eval_every=100,
        log_every=40,
        checkpoint_every=100,
        best_metric="rel_l2",
        progress=False,
    )
    return fit(fresh_state(), step, steps=steps, **(options | kwargs))


def test_fit_writes_metrics_and_checkpoints_and_learns(tmp_path):
    result = run(tmp_path, 400)
    assert int(result.state.step) == 400
    assert result.evaluations[-1]["rel_l2"] < 0.5 * result.evaluations[0]["rel_l2"]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    steps = [row["step"] for row in rows if "eval" not in row]
    assert steps == list(range(40, 401, 40))
    assert {"loss", "mse", "grad_norm", "wall_time"} <= set(rows[0])
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "latest").iterdir()) == ["300", "400"]
    assert len(list((tmp_path / "checkpoints" / "best").iterdir())) == 1


def test_resumed_run_ends_with_the_parameters_of_an_uninterrupted_one(tmp_path):
    straight = run(tmp_path / "straight", 400)
    run(tmp_path / "split", 200)
    resumed = run(tmp_path / "split", 400)
    assert resumed.resumed_from == 200
    assert_trees_equal(resumed.state.params, straight.state.params)
    assert_trees_equal(resumed.state.opt_state, straight.state.opt_state)
    steps = [
        json.loads(line)["step"]
        for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
        if "eval" not in line
    ]
    assert steps == sorted(set(steps))  # no row logged twice
    again = run(tmp_path / "split", 400)  # a finished run resumes to the end and does nothing
    assert again.resumed_from == 400 and not again.history[-1].get("eval")


def test_a_spent_time_budget_stops_at_the_next_checkpoint_evaluated_and_saved(tmp_path):
    # max_seconds=0 is spent before the first step: training stops at the first checkpoint
    # step (100), evaluated and saved as an end would be; resuming with budget left goes on
    stopped = run(tmp_path, 400, max_seconds=0.0)
    assert int(stopped.state.step) == 100
    assert [row["step"] for row in stopped.evaluations] == [100]
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "latest").iterdir()) == ["100"]
    resumed = run(tmp_path, 400, max_seconds=1e9)
    assert resumed.resumed_from == 100 and int(resumed.state.step) == 400
    assert_trees_equal(resumed.state.params, run(tmp_path / "straight", 400).state.params)


def test_divergence_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    def drifting(params, batch, key, weights):
        # a linear term pushes b2 up steadily; once it passes 3 the loss is NaN
        mse, terms = regression_loss(params, batch, key, weights)
        loss = mse - 10.0 * params["b2"][0]
        return jnp.where(params["b2"][0] > 3.0, jnp.nan, loss), terms

    step = make_train_step(drifting, OPTIMIZER, steps_per_call=20)
    with pytest.raises(
        TrainingDiverged, match=r"loss is nan at step (\d+); the last good"
    ) as error:
        fit(
            fresh_state(),
            step,
            steps=2000,
            steps_per_call=20,
            run_dir=tmp_path,
            log_every=20,
            checkpoint_every=20,
            progress=False,
        )
    bad_step = int(error.value.args[0].split("at step ")[1].split(";")[0])
    kept = sorted(int(p.name) for p in (tmp_path / "checkpoints" / "latest").iterdir())
    assert kept and max(kept) < bad_step  # the good checkpoints before it are intact
    assert f"latest/{max(kept)}" in error.value.args[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 30}, "multiple of steps_per_call=20"),
        ({"steps": -20}, "non-negative multiple"),
        ({"steps": 40, "log_every": 30}, "log_every must be a positive multiple"),
    ],
)
def test_bad_loop_settings_are_clear_errors(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(tmp_path, **kwargs)
