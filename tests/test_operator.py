"""Operator-learning workflow: every model trains from a data file into a complete run directory,
resumes exactly, scores with the stated metrics, and refuses bad input before writing anything."""

import json
import shutil

import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets, generators
from sciml import cli
from sciml.config import override
from sciml.operator import (
    Normalizer,
    OperatorConfig,
    best_by_training_loss,
    darcy_residual,
    relative_h1,
    relative_l2,
    train_and_evaluate,
)

SMALL = [  # every model at a size that trains in seconds
    "fno.width=8",
    "fno.modes=4",
    "mgno.channels=4",
    "mgno.levels=3",
    "unet.features=8",
    "unet.levels=2",
    "deeponet.basis=8",
    "deeponet.branch_width=16",
    "deeponet.trunk_width=16",
]


@pytest.fixture(scope="module")
def darcy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "darcy.h5"
    arrays, attrs = generators.generate(generators.get("darcy", resolution=17, fine=17), 16, seed=0)
    datasets.write(path, arrays, attrs)
    return path


def _config(path, model, *extra):
    base = [f"model={model}", f"data={path}", "train=12", "test=4", "batch=4", "epochs=2"]
    return override(OperatorConfig(), [*base, "eval_every=1", *SMALL, *extra])


SLOW_ON_CPU = pytest.mark.slow  # ~25 s each, mostly XLA:CPU compiling convolution gradients


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("fno", ()),
        ("deeponet", ("deeponet.branch=cnn",)),  # the convolutional path: one step per call
        pytest.param("mgno", (), marks=SLOW_ON_CPU),
        pytest.param("unet", (), marks=SLOW_ON_CPU),
    ],
)
def test_every_model_writes_a_complete_run(darcy_file, tmp_path, model, extra):
    result = train_and_evaluate(
        _config(darcy_file, model, *extra), tmp_path / model, progress=False
    )
    run = tmp_path / model
    for name in ("config.json", "metrics.jsonl", "result.json", "prediction.npz"):
        assert (run / name).is_file(), name
    assert (run / "figures" / "samples.png").is_file() and (
        run / "figures" / "curves.png"
    ).is_file()
    with np.load(run / "prediction.npz") as saved:
        prediction, targets = saved["prediction"], saved["targets"]
    assert prediction.shape == targets.shape == (4, 17, 17, 1)
    # the stored figures are recomputable from prediction.npz
    rescored = float(relative_l2(jnp.asarray(prediction), jnp.asarray(targets)))
    assert rescored == pytest.approx(result["test_rel_l2"], rel=1e-5)
    assert result["steps"] == 6 and result["parameters"] > 0 and np.isfinite(result["test_rel_h1"])


def test_resumed_run_ends_where_an_uninterrupted_one_does(darcy_file, tmp_path):
    config = _config(darcy_file, "deeponet", "epochs=4", "eval_every=2")
    full = train_and_evaluate(config, tmp_path / "full", progress=False)
    shutil.copytree(tmp_path / "full", tmp_path / "cut")
    shutil.rmtree(tmp_path / "cut" / "checkpoints" / "latest" / "12")  # killed after epoch 2
    (tmp_path / "cut" / "result.json").unlink()
    resumed = train_and_evaluate(config, tmp_path / "cut", progress=False)
    assert resumed["test_rel_l2"] == full["test_rel_l2"]
    with pytest.raises(ValueError, match="holds a run of another config"):
        train_and_evaluate(_config(darcy_file, "deeponet", "epochs=5"), tmp_path / "full")


def test_best_by_training_loss_picks_the_evaluation_at_the_lowest_logged_loss():
    history = [{"step": s, "loss": v} for s, v in ((1, 9.0), (2, 3.0), (3, 1.0), (4, 2.0))]
    evaluations = [{"step": s, "eval": True, "test_mse": m} for s, m in ((2, 0.3), (4, 0.2))]
    # step 3 has the lowest loss but no evaluation; of the evaluated steps 2 and 4, 4 is lower
    assert best_by_training_loss(history, evaluations) == {
        "best_train_loss_step": 4,
        "test_mse_best_train_loss": 0.2,
    }
    assert best_by_training_loss(history[:1], evaluations) == {}


def test_a_run_reports_the_evaluation_at_its_lowest_training_loss(darcy_file, tmp_path):
    result = train_and_evaluate(
        _config(darcy_file, "deeponet", "epochs=4", "eval_every=1"), tmp_path, progress=False
    )
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    losses = {r["step"]: r["loss"] for r in rows if "eval" not in r}
    evaluations = {r["step"]: r for r in rows if "eval" in r}
    step = result["best_train_loss_step"]
    assert losses[step] == min(losses[s] for s in evaluations)
    assert result["test_rel_l2_best_train_loss"] == evaluations[step]["test_rel_l2"]


def test_metrics_against_hand_values():
    target = jnp.ones((2, 4, 1))
    prediction = target.at[0].multiply(1.5)  # sample 0 off by 50 %, sample 1 exact
    assert float(relative_l2(prediction, target)) == pytest.approx(0.25)
    # a constant field: the gradient part vanishes, so H1 equals L2 (periodic differences)
    assert float(relative_h1(prediction, target, (0.25,), "periodic")) == pytest.approx(0.25)
    ramp = jnp.arange(4.0)[None, :, None]
    h1 = float(relative_h1(ramp + 1.0, ramp, (1.0,), "dirichlet"))
    # error 1 everywhere with zero gradient: sqrt(4 / (sum ramp^2 + sum 1^2)) = sqrt(4 / 18)
    assert h1 == pytest.approx(np.sqrt(4 / 18), rel=1e-6)


def test_physics_residual_vanishes_on_the_reference_solution(darcy_file):
    """The PINO term is the generator's own discretisation, so it vanishes on the stored solution
    up to float32 storage: relative rounding 6e-8 of u ~ 1e-2, amplified by 4 a / h^2 ~ 1.2e4,
    gives ~1e-5 against f = 1."""
    data = datasets.load_operator(darcy_file)
    a, u = jnp.asarray(data.inputs), jnp.asarray(data.outputs)
    assert float(darcy_residual(u, a, (1 / 16, 1 / 16), 1.0)) < 1e-4
    assert float(darcy_residual(1.1 * u, a, (1 / 16, 1 / 16), 1.0)) > 0.05


def test_physics_informed_training_runs(darcy_file, tmp_path):
    config = _config(darcy_file, "fno", "physics_weight=0.1", "epochs=1")
    train_and_evaluate(config, tmp_path / "pino", progress=False)
    lines = (tmp_path / "pino" / "metrics.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert any("physics" in row for row in rows)


def test_normalizer_uses_the_training_split_only():
    train = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 5, 1))
    norm = Normalizer.fit(train)
    encoded = norm.encode(train)
    np.testing.assert_allclose(encoded.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(norm.decode(encoded), train, rtol=1e-5)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["mgno.levels=6"], "mgno with 6 levels needs at least 33 cells"),
        (["fno.modes=12"], "modes .* need a grid of at least"),
        (["train=15"], "cannot take 15 training and 4 test"),
        (["physics_weight=1.0", "model=deeponet"], "trains on triplets of raw values"),
        (
            ["physics_weight=1.0", "model=deeponet", "deeponet.points_per_sample=1", "normalize=0"],
            "needs data with a pointwise residual",
        ),
    ],
)
def test_bad_settings_fail_before_writing(darcy_file, tmp_path, extra, message):
    model = "mgno" if "mgno" in extra[0] else "fno"
    with pytest.raises(ValueError, match=message):
        train_and_evaluate(_config(darcy_file, model, *extra), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_nan_data_and_wrong_layout_fail_before_writing(tmp_path, capsys):
    nu = np.ones((8, 9, 9))
    u = np.zeros((8, 1, 9, 9))
    u[3, 0, 4, 4] = np.nan
    datasets.write(tmp_path / "nan.h5", {"nu": nu, "tensor": u}, {})
    datasets.write(tmp_path / "odd.h5", {"velocity": nu}, {})
    for name, message in (("nan.h5", "the first is sample 3"), ("odd.h5", "not an operator")):
        code = cli.main(
            [
                "operator",
                "fno",
                "--data",
                str(tmp_path / name),
                "--out",
                str(tmp_path / "run"),
                "--quiet",
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "run").exists()


def test_cli_generates_and_trains(tmp_path, capsys):
    data = tmp_path / "anti.h5"
    assert (
        cli.main(
            [
                "data",
                "generate",
                "antiderivative",
                "--n",
                "24",
                "--resolution",
                "20",
                "--seed",
                "1",
                "--out",
                str(data),
                "--quiet",
            ]
        )
        == 0
    )
    assert cli.main(["data", "info", str(data)]) == 0
    assert "operator pairs (generic)" in capsys.readouterr().out
    code = cli.main(
        [
            "operator",
            "deeponet",
            "--data",
            str(data),
            "--train",
            "16",
            "--test",
            "8",
            "--epochs",
            "2",
            "--batch",
            "8",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
            "--set",
            "deeponet.points_per_sample=1",
            "--set",
            "loss=mse",
        ]
    )
    assert code == 0
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["model"] == "deeponet" and result["resolution"] == [20]
