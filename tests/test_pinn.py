"""PINN engine: configs, loss terms against exact solutions, causal and balanced weights, RAD,
hard constraints, and one small end-to-end run with resumption."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pdes
from sciml import config as config_lib
from sciml.models import count_params
from sciml.pinn import (
    ModelConfig,
    OptimConfig,
    PINNConfig,
    SamplingConfig,
    _build,
    _windows,
    build_model,
    causal_loss,
    make_terms,
    train_and_evaluate,
)
from sciml.pinn._adaptive import rad_points
from sciml.pinn._build import periodic_axes
from sciml.pinn._loss import (
    POINTWISE,
    grad_norm_update,
    make_loss,
    make_term_losses,
    self_adaptive_update,
)
from sciml.pinn._terms import Term
from tests._spawn import worker_env

ROOT = Path(__file__).resolve().parents[1]


def test_config_overrides_are_typed_and_checked():
    config = config_lib.override(
        PINNConfig(), ["model.width=16", "optim.learning_rate=3e-4", "model.rwf=true", "seed=3"]
    )
    assert (config.model.width, config.optim.learning_rate, config.model.rwf, config.seed) == (
        16,
        3e-4,
        True,
        3,
    )
    with pytest.raises(ValueError, match=r"unknown config key 'model.widht'.*model.width"):
        config_lib.override(PINNConfig(), ["model.widht=3"])
    with pytest.raises(ValueError, match="cannot read 'abc' as int"):
        config_lib.override(PINNConfig(), ["model.width=abc"])
    with pytest.raises(ValueError, match=r"optim\.steps=150 must be a multiple"):
        config_lib.override(PINNConfig(), ["optim.steps=150"])
    with pytest.raises(ValueError, match=r"model\.arch must be one of"):
        config_lib.override(PINNConfig(), ["model.arch=transformer"])
    # validated together: a pair valid only jointly works in either order
    pair = ["optim.lbfgs_rounds=2", "optim.lbfgs_steps=1400"]
    for order in (pair, pair[::-1]):
        optim = config_lib.override(PINNConfig(), order).optim
        assert (optim.lbfgs_rounds, optim.lbfgs_steps) == (2, 1400)


@pytest.mark.parametrize(
    ("name", "params", "hard", "expected"),
    [
        ("burgers", {}, False, ["residual", "initial", "boundary_x"]),
        ("burgers", {}, True, ["residual"]),
        ("allen_cahn", {"dt": 5e-5}, False, ["residual", "initial"]),  # periodic x embedded
        ("wave", {}, False, ["residual", "initial", "initial_rate", "boundary_x"]),
        ("poisson", {}, False, ["residual", "boundary_x", "boundary_y"]),
    ],
)
def test_terms_leave_out_what_the_model_satisfies_exactly(name, params, hard, expected):
    problem = pdes.get(name, **params)
    axes, _ = periodic_axes(problem)
    terms = make_terms(problem, periodic_embedded=axes, hard_constraints=hard)
    assert [t.name for t in terms] == expected


@pytest.mark.parametrize("name", ["burgers", "advection", "heat", "poisson", "wave"])
def test_every_term_vanishes_on_the_exact_solution(x64, name):
    # the exact solution satisfies the PDE, the initial data and every boundary condition; the
    # periodic jump terms are kept here (no embedding) so that they are checked too
    problem = pdes.get(name)
    terms = make_terms(problem)
    key = jax.random.key(0)
    for term in terms:
        points = term.sample(key, 64)
        r = jax.vmap(lambda z, term=term: term.residual(problem.exact, z))(points)
        # the Cole-Hopf quadrature's derivatives near the front are accurate to ~1e-7
        assert float(jnp.max(jnp.abs(r))) < (1e-6 if name == "burgers" else 1e-9), term.name


def test_hard_constraints_hold_at_initialisation():
    problem = pdes.get("burgers")
    model = build_model(problem, ModelConfig(width=16, depth=2, hard_constraints=True))
    params = model.init(jax.random.PRNGKey(0), jnp.zeros(2))
    x = jnp.linspace(-1, 1, 11)
    initial = jnp.stack([jnp.zeros_like(x), x], -1)
    np.testing.assert_allclose(model.apply(params, initial)[:, 0], -jnp.sin(jnp.pi * x), atol=1e-6)
    t = jnp.linspace(0, 1, 11)
    ones = jnp.ones_like(t)
    edges = jnp.concatenate([jnp.stack([t, -ones], -1), jnp.stack([t, ones], -1)])
    np.testing.assert_allclose(model.apply(params, edges)[:, 0], 0.0, atol=1e-6)


def test_time_frequency_embeds_t_alongside_the_periodic_space_axes():
    config = ModelConfig(width=8, depth=2, time_frequency=100.0)
    model = build_model(pdes.get("advection"), config)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros(2))
    # inputs (cos ωt, sin ωt, cos x, sin x), and ω (trainable, from 100)
    assert params["params"]["periodic"]["frequencies"].tolist() == [100.0]
    # dense layers 4->8, 8->8, 8->1, plus ω
    assert count_params(params) == (4 * 8 + 8) + (8 * 8 + 8) + (8 + 1) + 1
    with pytest.raises(ValueError, match="time_frequency needs a time-dependent problem"):
        build_model(pdes.get("poisson"), config)


def test_causal_weights():
    times = jnp.linspace(0, 1, 64)
    squares = jnp.linspace(1.0, 2.0, 64)
    loss, smallest = causal_loss(times, squares, chunks=8, tolerance=1.0)
    per_chunk = squares.reshape(8, 8).mean(1)
    weights = jnp.exp(-(jnp.cumsum(per_chunk) - per_chunk))
    np.testing.assert_allclose(loss, jnp.mean(weights * per_chunk), rtol=1e-6)
    assert bool(jnp.all(jnp.diff(weights) <= 0)) and float(smallest) == pytest.approx(weights[-1])
    # a vanishing residual gives weights of one, and the order of the points does not matter
    shuffled = jax.random.permutation(jax.random.key(0), 64)
    _, ones = causal_loss(times[shuffled], jnp.zeros(64), chunks=8, tolerance=1.0)
    assert float(ones) == 1.0
    with pytest.raises(ValueError, match=r"multiple of causal\.chunks"):
        causal_loss(times, squares, chunks=7, tolerance=1.0)


def test_grad_norm_weights_equalise_the_weighted_gradient_norms():
    # two terms whose gradients differ by a factor 100 in size
    terms = [
        Term("a", lambda key, n: jnp.zeros((n, 1)), lambda u, z: u(z)),
        Term("b", lambda key, n: jnp.zeros((n, 1)), lambda u, z: 10.0 * u(z)),
    ]
    apply_u = lambda p: lambda z: p["w"] * z[0] + p["c"]
    term_losses = make_term_losses(terms, apply_u)
    params = {"w": jnp.array(0.5), "c": jnp.array(0.3)}
    update = grad_norm_update(term_losses, terms, {"a": 4, "b": 4}, momentum=0.0)
    weights = update(params, None, jax.random.key(0), {"a": jnp.array(1.0), "b": jnp.array(1.0)})
    points = {"a": jnp.zeros((4, 1)), "b": jnp.zeros((4, 1))}
    norms = [
        float(weights[n])
        * float(
            jnp.linalg.norm(
                jnp.stack(
                    jax.tree.leaves(jax.grad(lambda p, n=n: term_losses(p, points)[0][n])(params))
                )
            )
        )
        for n in ("a", "b")
    ]
    np.testing.assert_allclose(norms[0], norms[1], rtol=1e-5)


def test_rad_concentrates_points_where_the_residual_is_large():
    # residual 100 on x > 0.9, 1 elsewhere: with k = 1, c = 0 the mass there is 10 / (10 + 0.9)
    term = Term(
        "residual",
        lambda key, n: jax.random.uniform(key, (n, 1)),
        lambda u, z: jnp.where(z[0] > 0.9, 100.0, 1.0),
    )
    points = rad_points(term, None, jax.random.key(0), 1000, pool=20000, k=1.0, c=0.0)
    share = float(jnp.mean(points[:, 0] > 0.9))
    assert 0.85 < share < 0.97  # expected 0.917 (a uniform draw would give 0.1)


def test_self_adaptive_weights_weigh_points_and_rise_with_their_residual():
    # residual r(z) = z at fixed points 1, 2, 3: squares 1, 4, 9 (mean 14/3)
    term = Term("residual", lambda key, n: jnp.zeros((n, 1)), lambda u, z: u(z))
    apply_u = lambda p: lambda z: p * z[0]
    points = {"residual": jnp.array([[1.0], [2.0], [3.0]])}
    term_losses = make_term_losses([term], apply_u)
    loss_fn = make_loss(term_losses, [term], {"residual": 3}, fixed=points)
    weights = {"residual": jnp.array(1.0), POINTWISE: {"residual": jnp.array([1.0, 0.0, 2.0])}}
    loss, _ = loss_fn(jnp.array(1.0), None, jax.random.key(0), weights)
    assert float(loss) == pytest.approx((1 * 1 + 0 * 4 + 2 * 9) / 3)
    update = self_adaptive_update([term], apply_u, points, rate=0.3)
    raised = update(jnp.array(1.0), None, jax.random.key(0), weights)[POINTWISE]["residual"]
    # ascent along dL/dmu_j = r_j^2 / N, normalised so the mean weight rises by the rate
    np.testing.assert_allclose(raised, [1.0, 0.0, 2.0] + 0.3 * np.array([1, 4, 9]) / (14 / 3))
    assert float(jnp.mean(raised)) == pytest.approx(1.0 + 0.3)


def test_time_windows_split_the_interval_and_hand_over_value_and_rate():
    problem = pdes.get("wave")
    spans = _windows.spans(problem, 4)
    t0, t1 = problem.domain.time
    assert spans[0][0] == t0 and spans[-1][1] == t1
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    times = np.linspace(t0, t1, 41)
    owners = sum(_windows.mask(times, span, i == 0).astype(int) for i, span in enumerate(spans))
    np.testing.assert_array_equal(owners, 1)  # every grid time belongs to exactly one window
    u = lambda z: jnp.sin(3 * z[0]) * z[1] ** 2
    value, rate = _windows.handoff(u, 0.5, 2)
    x = jnp.array([0.7])
    assert float(value(x)) == pytest.approx(np.sin(1.5) * 0.49, rel=1e-6)
    assert float(rate(x)) == pytest.approx(3 * np.cos(1.5) * 0.49, rel=1e-6)
    with pytest.raises(ValueError, match="time-dependent"):
        _windows.spans(pdes.get("poisson"), 2)


TINY = PINNConfig(
    problem="burgers",
    reference_params=(("nt", 21), ("nx", 33)),
    model=ModelConfig(width=16, depth=2, hard_constraints=True),
    sampling=SamplingConfig(residual_points=256),
    optim=OptimConfig(steps=200, steps_per_call=50, lbfgs_steps=100, lbfgs_points=512),
    eval_every=100,
    log_every=50,
)


def test_end_to_end_run_directory_and_resumption(tmp_path):
    result = train_and_evaluate(TINY, tmp_path, progress=False)
    assert 0 < result["rel_l2"] < 1.0 and result["parameters"] == 337
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "config.json",
        "metrics.jsonl",
        "checkpoints",
        "prediction.npz",
        "result.json",
        "figures",
    } <= names
    assert {p.name for p in (tmp_path / "checkpoints").iterdir()} == {"adam", "lbfgs"}
    saved = np.load(tmp_path / "prediction.npz")
    assert saved["prediction"].shape == saved["reference"].shape == (21, 33)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    stages = [json.loads(line).get("stage") for line in lines]
    assert set(stages) == {"adam", "lbfgs"}
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["matmul_precision"] == "highest" and config["versions"]["jax"]
    again = train_and_evaluate(TINY, tmp_path, progress=False)  # resumes both finished stages
    assert again["rel_l2"] == result["rel_l2"]
    with pytest.raises(ValueError, match=r"another config \(seed: 0 -> 1\)"):
        train_and_evaluate(TINY.replace(seed=1), tmp_path, progress=False)


def test_time_marching_with_self_adaptive_weights_end_to_end(tmp_path):
    changes = ["time_windows=2", "weighting.scheme=self_adaptive", "weighting.every=50"]
    changes += ["optim.steps=100", "optim.lbfgs_steps=50"]
    config = config_lib.override(TINY, changes)
    result = train_and_evaluate(config, tmp_path, progress=False)
    assert result["time_windows"] == 2 and 0 < result["rel_l2"] < 1.0
    stages = {p.name for p in (tmp_path / "checkpoints").iterdir()}
    assert stages == {"adam_w0", "lbfgs_w0", "adam_w1", "lbfgs_w1"}
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    # the point weights grew: the largest is above the mean
    assert max(r.get("weight_residual_max", 0) for r in rows) > 1.0
    with np.load(tmp_path / "prediction.npz") as saved:
        assert np.all(np.isfinite(saved["prediction"])) and saved["prediction"].shape == (21, 33)


def _losses(run_dir: Path) -> np.ndarray:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return np.array([r["loss"] for r in rows if "loss" in r])


def test_four_devices_train_like_one(tmp_path):
    # collocation points drawn inside the step and split over 4 simulated devices: the same
    # points, the gradient summed in another order (float32 rounding ~1e-7 per step, see
    # tests/test_distributed.py), so the Adam losses agree to 1e-5
    config = config_lib.override(TINY, ["optim.lbfgs_steps=0", "optim.steps=100"])
    script = (
        "import sys; from sciml import config; from sciml.pinn import train_and_evaluate;"
        "from tests.test_pinn import TINY;"
        "c = config.override(TINY, ['optim.lbfgs_steps=0', 'optim.steps=100']);"
        "print(train_and_evaluate(c, sys.argv[1], progress=False)['devices'])"
    )
    env = worker_env(XLA_FLAGS="--xla_force_host_platform_device_count=4")
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "four")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "4"
    train_and_evaluate(config, tmp_path / "one", progress=False)
    np.testing.assert_allclose(_losses(tmp_path / "four"), _losses(tmp_path / "one"), rtol=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pinn", "nope"], "no PINN config for problem 'nope'"),
        (["pinn", "burgers", "--set", "model.widht=3"], "unknown config key 'model.widht'"),
        (["pinn", "burgers", "--steps", "-100"], "optim.steps must be non-negative"),
        (["pinn", "burgers", "--out", "/proc/forbidden/run"], "/proc/forbidden"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message):
    result = subprocess.run(
        [sys.executable, "-m", "sciml", *args, "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_float64_runs_get_float64_parameters(x64):
    problem = pdes.get("burgers")
    model = build_model(problem, ModelConfig(width=8, depth=2))
    params = _build.initial_params(model, problem, 0, "float64")
    assert {leaf.dtype for leaf in jax.tree.leaves(params)} == {jnp.dtype("float64")}
    assert model.apply(params, jnp.zeros(2)).dtype == jnp.float64
