"""``sciml graph``: simulate a network into the PEMS layout, train and score forecasters on it,
resume, and refuse bad input in one line."""

import json
import re
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from pdes import traffic
from sciml import cli
from sciml.graph import GraphConfig, historical_average, prepare_task
from sciml.train import TrainState, make_train_step
from tests._spawn import worker_env

TINY = ["--set", "channels=(4,4,4)", "--set", "branches=1", "--set", "max_windows=24"]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    out = tmp_path_factory.mktemp("graph") / "data"
    argv = ["graph", "simulate", "--junctions", "8", "--days", "4", "--out", str(out)]
    assert cli.main(argv) == 0
    return out / "traffic.npz"


def test_historical_average_scores_the_test_split(network, tmp_path):
    out = tmp_path / "ha"
    assert cli.main(["graph", "historical_average", "--data", str(network), "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    steps = 4 * 288
    assert result["sensors"] > 20 and result["test_windows"] == steps - int(0.8 * steps) - 23
    assert all(np.isfinite(result[k]) for k in ("mae", "rmse", "mape", "mae@3", "mae@12"))
    assert (out / "figures" / "forecast.png").exists()


def test_training_resumes_and_refuses_a_changed_config(network, tmp_path, capsys):
    """One epoch of a tiny STGODE (GRAM-ODE trains in the notebook's test); the same command
    again resumes from the checkpoint and reports the same test errors; another learning rate
    on the same run directory is refused."""
    out = tmp_path / "stgode"
    argv = ["graph", "stgode", "--data", str(network), "--epochs", "1", "--batch", "8", *TINY]
    assert cli.main([*argv, "--out", str(out), "--quiet"]) == 0
    first = json.loads((out / "result.json").read_text())
    assert first["steps"] == 3 and np.isfinite(first["mae"]) and first["best_epoch"] == 1
    assert (out / "checkpoints").exists() and (out / "figures" / "training.png").exists()
    assert cli.main([*argv, "--out", str(out), "--quiet"]) == 0
    again = json.loads((out / "result.json").read_text())
    assert again["mae"] == first["mae"]
    capsys.readouterr()
    assert cli.main([*argv, "--set", "learning_rate=0.1", "--out", str(out), "--quiet"]) == 2
    assert "learning_rate" in capsys.readouterr().err


def _write(folder, data, rows="from,to,cost\n0,1,1.0\n"):
    np.savez(folder / "d.npz", data=data)
    (folder / "d.csv").write_text(rows)
    return folder / "d.npz"


@pytest.mark.parametrize(
    ("data", "rows", "message"),
    [
        (np.ones((800, 3)), None, None),  # [T, N] is read as one feature: no error
        (np.ones((300, 3)), None, r"need at least one whole day \(288 steps\), got 180"),
        (np.ones((400, 3, 1, 2)), None, r"'data' must be \[T, N, F\]"),
        (np.ones((400, 3, 1)), "from,to,cost\n0,5,1.0\n", r"d.csv: line 2: sensor 5 is unknown"),
        (np.ones((100, 3, 1)), None, r"validation has 20 time steps, fewer than one window"),
    ],
)
def test_bad_data_is_one_line_and_exit_2(tmp_path, capsys, data, rows, message):
    path = _write(tmp_path, data, *(() if rows is None else (rows,)))
    code = cli.main(["graph", "historical_average", "--data", str(path), "--out",
                     str(tmp_path / "run")])  # fmt: skip
    err = capsys.readouterr().err
    if message is None:
        assert code == 0
        return
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert re.search(message, err)
    assert not (tmp_path / "run").exists()


def test_a_loss_can_carry_state_such_as_batchnorm_statistics():
    """With ``returns_weights`` the weights the loss returns replace the state's: a counter
    that the loss increments reads 3 after 3 steps."""

    def loss_fn(params, batch, key, weights):
        return jnp.sum(params["w"] ** 2), ({}, {"count": weights["count"] + 1})

    optimizer = optax.sgd(0.1)
    state = TrainState.create({"w": jnp.ones(2)}, optimizer, seed=0, weights={"count": 0.0})
    step = make_train_step(loss_fn, optimizer, steps_per_call=3, returns_weights=True)
    state, _ = step(state, None)
    assert float(state.weights["count"]) == 3.0


def _losses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return np.array([r["loss"] for r in rows if "loss" in r])


@pytest.mark.slow  # 45 s; the PINN suite keeps the default-suite 4-device check
def test_four_devices_train_like_one(network, tmp_path):
    """The same STGODE run on 4 simulated CPU devices (each holding 2 of the 8 windows of a
    batch; BatchNorm statistics and gradients are reduced over all of them) and on one: the
    same batches and dropout masks, sums in another order, so the losses agree to float32
    rounding accumulated over 3 steps (1e-5)."""
    settings = ["--epochs", "1", "--batch", "8", *TINY, "--quiet"]
    script = (
        "import sys; from sciml import cli;"
        f"sys.exit(cli.main(['graph', 'stgode', '--data', {str(network)!r}, '--out', "
        f"sys.argv[1], *{settings!r}]))"
    )
    env = worker_env(XLA_FLAGS="--xla_force_host_platform_device_count=4")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "four")],
                          capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "four" / "config.json").read_text())
    assert len(config["devices"]) == 4
    argv = ["graph", "stgode", "--data", str(network), "--out", str(tmp_path / "one")]
    assert cli.main([*argv, *settings]) == 0
    np.testing.assert_allclose(_losses(tmp_path / "four"), _losses(tmp_path / "one"), rtol=1e-5)


def test_the_task_normalises_with_the_training_split_only():
    """Training readings ~ 10, validation and test ~ 1000: any statistic of another split would
    pull the mean far from 10 (the official GRAM-ODE code z-scores each split by its own)."""
    rng = np.random.default_rng(1)
    data = np.concatenate([rng.normal(10, 1, (600, 3, 2)), rng.normal(1000, 1, (400, 3, 2))])
    task = prepare_task(traffic.TrafficData(data, np.full((3, 3), np.inf)), graphs=False)
    np.testing.assert_allclose(task.normaliser.mean, data[:600].mean(axis=(0, 1)))
    assert task.offsets == {"train": 0, "val": 600, "test": 800}


@pytest.mark.parametrize("start_weekday", [0, 4])
def test_the_historical_average_is_exact_on_a_weekly_pattern(start_weekday):
    """Flows that depend only on the 5-minute slot and on weekday/weekend, series starting on
    weekday ``start_weekday``: the forecast of every test window is exact, so any off-by-one in
    the target times or a wrong weekend would show (zeros, i.e. missing, are left out of the
    table)."""
    day, steps = 288, 21 * 288
    index = np.arange(steps)
    weekend = (index // day + start_weekday) % 7 >= 5
    flow = 50 + 30 * np.sin(2 * np.pi * (index % day) / day) + 40 * weekend
    data = np.repeat(flow[:, None, None], 2, axis=1)
    data[100, 0, 0] = 0.0  # a missing reading in training
    task = prepare_task(traffic.TrafficData(data, np.full((2, 2), np.inf)), graphs=False)
    forecast = historical_average(task, "test", start_weekday)
    _, truth = traffic.windows(task.flows["test"][:, :, None])
    np.testing.assert_allclose(forecast, truth, atol=1e-9)


def test_gram_ode_refuses_an_odd_ode_width():
    with pytest.raises(ValueError, match="gram_ode needs an even ODE width"):
        GraphConfig(model="gram_ode", channels=(8, 4, 7))


@pytest.mark.parametrize("name", ["gram_ode", "stgode"])
def test_schedules_place_the_published_milestones(name):
    """``published`` scales the 200-epoch milestones to the run, ``truncated`` keeps them at
    their epochs: 8 epochs of GRAM-ODE (first milestone 15) or STGODE (50) then never decay,
    and at 200 epochs both equal the published protocol. Rates compared to float32 rounding."""
    from sciml.graph._config import PUBLISHED
    from sciml.graph._workflow import _schedule

    rate, _, milestones, factor = PUBLISHED[name]
    per_epoch = 40

    def rates(schedule, epochs):
        config = GraphConfig(model=name, epochs=epochs, schedule=schedule)
        fn = _schedule(config, per_epoch)
        return np.array([fn(e * per_epoch) for e in range(epochs)])

    expected = rate * factor ** np.array([sum(e >= m for m in milestones) for e in range(200)])
    np.testing.assert_allclose(rates("truncated", 200), expected, rtol=1e-6)
    np.testing.assert_allclose(rates("published", 200), expected, rtol=1e-6)
    np.testing.assert_allclose(rates("truncated", 8), np.full(8, rate), rtol=1e-6)
    np.testing.assert_allclose(rates("constant", 200), np.full(200, rate), rtol=1e-6)
    scaled = rates("published", 8)
    first = max(1, round(8 * milestones[0] / 200))
    np.testing.assert_allclose(scaled[:first], rate, rtol=1e-6)
    assert scaled[first] == pytest.approx(rate * factor, rel=1e-6)
