"""Emulation workflow: SineNet's metrics against hand values (persistence, a feedback model), the
pushforward gradient, every model writing a complete and re-scorable run, exact resumption,
bad input refused before anything is written, and the command line end to end."""

import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets, generators
from sciml import cli
from sciml.config import override
from sciml.emulate import (
    ChannelNormalizer,
    EmulatorConfig,
    clips,
    one_step_errors,
    pack,
    pushforward_loss,
    rollout_errors,
    scaled_l2,
    train_and_evaluate,
    unpack,
)

FRAMES = 8  # frames per test trajectory: 4 history + 4 rollout steps
SMALL = [  # every model at a size that trains in seconds
    "sinenet.waves=1",
    "sinenet.hidden=8",
    "sinenet.levels=2",
    "modern_unet.hidden=8",
    "modern_unet.ch_mults=(1, 2)",
    "fno.width=8",
    "fno.modes=4",
    "unet.features=8",
    "unet.levels=2",
]
FLOAT32 = 1e-5  # relative: float32 sums over 256 nodes against a float64 hand value
SLOW_ON_CPU = pytest.mark.slow  # ~45 s each on 2 busy cores, mostly compiling convolution grads


def _navier_stokes(path, n, frames, seed=0):
    # a short time step and interval: a few seconds to generate, frames still change visibly
    generator = generators.get("navier_stokes", resolution=16, frames=frames, interval=0.2, dt=0.01)
    arrays, attrs = generators.generate(generator, n, seed=seed)
    datasets.write(path, arrays, attrs)
    return path


@pytest.fixture(scope="module")
def ns_file(tmp_path_factory):
    return _navier_stokes(tmp_path_factory.mktemp("data") / "ns.h5", 6, FRAMES - 1)


def _config(path, model, *extra):
    base = [f"model={model}", f"data={path}", "train=4", "test=2", "batch=8", "epochs=2"]
    return override(EmulatorConfig(), [*base, "warmup_epochs=1", "eval_every=1", *SMALL, *extra])


@pytest.fixture(scope="module")
def fno_run(ns_file, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "fno"
    config = _config(ns_file, "fno")
    return config, run, train_and_evaluate(config, run, progress=False)


def _norm(x):
    return np.sqrt(np.sum(np.asarray(x, np.float64) ** 2))


def test_scaled_l2_is_per_sample_frame_and_channel():
    target = jnp.ones((2, 1, 4, 4, 2))
    prediction = target.at[1, ..., 1].multiply(1.5)  # sample 1, channel 1 off by 50 %
    expected = np.array([[[0.0, 0.0]], [[0.0, 0.5]]])
    np.testing.assert_allclose(scaled_l2(prediction, target), expected, atol=1e-7)


def test_persistence_errors_equal_the_hand_values(ns_file):
    """A "model" returning the newest frame: one step from start s errs by
    |u_{s+h} - u_{s+h-1}| / |u_{s+h}|; its rollout from t0 = 0 predicts u_{h-1} forever, so step
    k errs by |u_{h-1+k} - u_{h-1}| / |u_{h-1+k}|."""
    u = datasets.load_trajectories(ns_file).frames
    n, h = len(u), 4
    persistence = lambda window: window[:, -1:]
    starts = FRAMES - h
    items = jnp.arange(n * starts)
    one_step = one_step_errors(persistence, clips(jnp.asarray(u), items, starts, h + 1), h)
    hand = [
        _norm(u[i, s + h] - u[i, s + h - 1]) / _norm(u[i, s + h])
        for i in range(n)
        for s in range(starts)
    ]
    np.testing.assert_allclose(np.asarray(one_step)[:, 0, 0], hand, rtol=FLOAT32)

    prediction, errors = rollout_errors(persistence, jnp.asarray(u), h, FRAMES - h)
    np.testing.assert_array_equal(prediction, np.repeat(u[:, h - 1 : h], FRAMES - h, axis=1))
    hand = [
        [_norm(u[i, t] - u[i, h - 1]) / _norm(u[i, t]) for t in range(h, FRAMES)] for i in range(n)
    ]
    np.testing.assert_allclose(np.asarray(errors)[..., 0], hand, rtol=FLOAT32)
    assert min(min(row) for row in hand) > 0.01  # the frames differ: the test can fail


def test_rollout_feeds_every_prediction_back():
    """``advance(w) = w_newest + 1`` with ``future=2`` predicts ``last + 1, last + 2`` per step;
    fed back, step k (frames 2k-1, 2k) holds ``last + 2k - 1, last + 2k``."""
    u = jnp.zeros((1, 7, 4, 4, 1)).at[:, 2].set(5.0)  # history 3: the newest frame is 5
    advance = lambda w: w[:, -1:] + jnp.arange(1.0, 3.0).reshape(1, 2, 1, 1, 1)
    prediction, _ = rollout_errors(advance, u, 3, 2)
    np.testing.assert_array_equal(prediction[0, :, 0, 0, 0], [6.0, 7.0, 8.0, 9.0])


def test_pack_orders_channels_time_major():
    """Channel ``t * C + c`` holds frame t, field c (PyTorch's ``reshape(B, T * C, H, W)``)."""
    t, c = np.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    window = jnp.broadcast_to(
        jnp.asarray(10 * t + c, jnp.float32)[None, :, None, None], (1, 3, 4, 4, 2)
    )
    packed = pack(window)
    np.testing.assert_array_equal(packed[0, 0, 0], [0, 1, 10, 11, 20, 21])
    np.testing.assert_array_equal(unpack(packed, 3), window)


def test_pushforward_gradient_flows_through_the_last_step_only():
    """``advance(w) = a w_newest`` on u0 = 1, target u2 = 2, one unrolled step:
    loss = |a * sg(a) - 2| / 2, so d loss / da = -sg(a) / 2 = -0.5 at a = 1 (without the
    stop_gradient it would be -a = -1)."""
    clip = jnp.ones((1, 3, 4, 4, 1)).at[:, 2].set(2.0)
    loss = lambda a: pushforward_loss(lambda w: a * w[:, -1:], clip, 1, unroll=1)
    value, grad = jax.value_and_grad(loss)(1.0)
    assert float(value) == pytest.approx(0.5) and float(grad) == pytest.approx(-0.5)
    # no unrolling: the target is u1 = 1, hit exactly at a = 1
    assert float(pushforward_loss(lambda w: w[:, -1:], clip, 1)) == pytest.approx(0.0)


def test_channel_normalizer_is_per_channel():
    frames = np.random.default_rng(0).normal([3.0, -1.0], [2.0, 0.5], size=(5, 6, 8, 8, 2))
    norm = ChannelNormalizer.fit(frames)
    encoded = norm.encode(frames).reshape(-1, 2)
    np.testing.assert_allclose(encoded.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(encoded.std(0), 1.0, atol=1e-4)  # the 1e-5 epsilon over std ~1
    np.testing.assert_allclose(norm.decode(norm.encode(frames)), frames, rtol=1e-5, atol=1e-6)


def _check_complete_run(run, result, padding):
    for name in ("config.json", "metrics.jsonl", "result.json", "rollout.npz"):
        assert (run / name).is_file(), name
    for name in ("rollout.png", "errors.png", "curves.png"):
        assert (run / "figures" / name).is_file(), name
    with np.load(run / "rollout.npz") as saved:
        truth, prediction, errors = saved["truth"], saved["prediction"], saved["errors"]
        one_step = saved["one_step_errors"]
    assert truth.shape == prediction.shape == (2, FRAMES - 4, 16, 16, 1)
    # the reported figures are recomputable from rollout.npz
    np.testing.assert_allclose(scaled_l2(prediction, truth), errors, rtol=1e-6)
    assert result["rollout_rel_l2"] == pytest.approx(errors.mean(), rel=1e-6)
    assert result["rollout_rel_l2_last_step"] == pytest.approx(errors[:, -1].mean(), rel=1e-6)
    assert result["one_step_rel_l2"] == pytest.approx(one_step.mean(), rel=1e-6)
    assert one_step.shape == (2, FRAMES - 4, 1, 1)  # every start of every test trajectory
    # 4 trajectories x 4 starts = 16 windows, 2 batches of 8, 2 epochs
    assert result["training_windows"] == 16 and result["steps"] == 4
    assert result["boundary"] == "periodic" and result["padding"] == padding
    assert result["parameters"] > 0 and result["rollout_steps"] == FRAMES - 4


def test_fno_writes_a_complete_run(ns_file, fno_run):
    _, run, result = fno_run
    _check_complete_run(run, result, "periodic (Fourier layers)")
    # the normalisation comes from the 4 training trajectories only
    train = datasets.load_trajectories(ns_file).frames[:4]
    assert result["normalization"]["mean"] == pytest.approx([train.mean()], abs=1e-6)
    assert result["normalization"]["std"] == pytest.approx([train.std() + 1e-5], rel=1e-5)


@pytest.mark.parametrize(
    ("model", "padding"),
    [
        pytest.param("sinenet", "circular", marks=SLOW_ON_CPU),
        pytest.param("modern_unet", "circular", marks=SLOW_ON_CPU),
        pytest.param("unet", "zeros", marks=SLOW_ON_CPU),
    ],
)
def test_convolutional_models_write_a_complete_run(ns_file, tmp_path, model, padding):
    result = train_and_evaluate(_config(ns_file, model), tmp_path / model, progress=False)
    _check_complete_run(tmp_path / model, result, padding)


def test_resumed_run_ends_where_an_uninterrupted_one_does(ns_file, fno_run, tmp_path):
    config, full, result = fno_run
    cut = tmp_path / "cut"
    shutil.copytree(full, cut)
    shutil.rmtree(cut / "checkpoints" / "latest" / "4")  # killed after epoch 1 of 2
    (cut / "result.json").unlink()
    resumed = train_and_evaluate(config, cut, progress=False)
    assert resumed["rollout_per_step"] == result["rollout_per_step"]
    assert resumed["one_step_rel_l2"] == result["one_step_rel_l2"]
    with np.load(full / "rollout.npz") as a, np.load(cut / "rollout.npz") as b:
        np.testing.assert_array_equal(a["prediction"], b["prediction"])
    with pytest.raises(ValueError, match="holds a run of another config"):
        train_and_evaluate(_config(ns_file, "fno", "epochs=3"), cut, progress=False)


def test_resuming_a_run_of_another_channel_count_fails_before_writing(fno_run, tmp_path):
    """A checkpoint's first and last layers are sized by the channels: a run directory saved
    for 2-channel frames cannot continue on 1-channel data."""
    config, full, _ = fno_run
    other = tmp_path / "other"
    shutil.copytree(full, other)
    saved = json.loads((other / "config.json").read_text())
    saved["data"]["channels"] = 2
    text = json.dumps(saved)
    (other / "config.json").write_text(text)
    with pytest.raises(ValueError, match="was trained on 2 channel"):
        train_and_evaluate(config, other, progress=False)
    assert (other / "config.json").read_text() == text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["history=8"], "8 frames, fewer than history 8 \\+ future 1"),
        (["unroll=4"], "fewer than history 4 \\+ \\(unroll 4 \\+ 1\\) x future 1 = 9"),
        (["rollout_steps=5"], "rollout_steps=5 needs 9 frames"),
        (["channels=2"], "channels=2 but .* holds 1 channel"),
        (["model=sinenet", "sinenet.levels=5"], "divisible by 32, the data has \\[16, 16\\]"),
        (["model=modern_unet", "modern_unet.ch_mults=(1,1,1,1,1,1)"], "divisible by 32"),
        (["model=unet", "padding=circular"], "unet pads with zeros only"),
        (["batch=17"], "batch=17 exceeds the 16 training windows"),
        (["train=5"], "cannot take 5 training and 2 test"),
    ],
)
def test_bad_input_fails_before_writing(ns_file, tmp_path, extra, message):
    with pytest.raises(ValueError, match=message):
        train_and_evaluate(_config(ns_file, "fno", *extra), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_bad_settings_are_config_errors():
    with pytest.raises(ValueError, match="warmup_epochs=5 must be smaller than epochs=5"):
        EmulatorConfig(epochs=5)
    with pytest.raises(ValueError, match="model must be one of"):
        EmulatorConfig(model="resnet")
    with pytest.raises(ValueError, match=r"modern_unet\.hidden must be a multiple of 8"):
        override(EmulatorConfig(), ["modern_unet.hidden=12"])


def test_cli_generates_and_emulates_with_pushforward(tmp_path, capsys):
    data = tmp_path / "ns.h5"
    generate = ["data", "generate", "navier_stokes", "--n", "5", "--resolution", "16"]
    generate += ["--seed", "1", "--out", str(data), "--quiet"]
    for setting in ("frames=6", "interval=0.2", "dt=0.01"):
        generate += ["--set", setting]
    assert cli.main(generate) == 0
    base = ["emulate", "fno", "--data", str(data), "--train", "3", "--test", "2", "--epochs", "2"]
    base += ["--batch", "4", "--quiet", "--set", "warmup_epochs=1"]
    small = ["--set", "fno.width=8", "--set", "fno.modes=4"]
    pushforward = ["--set", "history=2", "--set", "unroll=1"]
    assert cli.main([*base, *small, *pushforward, "--out", str(tmp_path / "run")]) == 0
    assert "rollout" in capsys.readouterr().out
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    # 7 frames, windows of 2 + (1 + 1) x 1: 4 starts x 3 trajectories; rollout 5 steps
    assert result["unroll"] == 1 and result["training_windows"] == 12
    assert result["rollout_steps"] == 5 and result["steps"] == 6
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert all(np.isfinite(row["loss"]) for row in rows if "loss" in row)

    code = cli.main([*base, "--set", "history=7", "--out", str(tmp_path / "bad")])
    err = capsys.readouterr().err
    assert code == 2 and "fewer than history 7 + future 1" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "bad").exists()
