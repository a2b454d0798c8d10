"""Transfer learning from the command line: a pre-trained few-shot body and a PINN's networks
stored and loaded (shapes checked), ``sciml twin pretrain`` then ``fit --method few-shot``, and
``fit --method multi-stage`` from a ``pinn-*`` run directory."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import engines as sim
from physics import engines as E
from sciml import cli
from sciml.twin._store import load_body, load_networks

P = E.EngineParameters()
BODY = ["--scenarios", "2", "--steps", "100", "--width", "8", "--depth", "2", "--grid-rate", "20"]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("transfer") / "field.h5"
    with jax.enable_x64(True):
        sim.write_scenario(path, sim.generate_scenarios("staircase", 1, 0, P, duration=8.0)[0])
    return path


@pytest.fixture(scope="module")
def body(scenario_file):
    """A small body pre-trained with dropout on two lab runs of the field's test cycle."""
    out = scenario_file.parent / "body"
    argv = ["twin", "pretrain", str(scenario_file), "--window", "4", *BODY, "--dropout", "0.1"]
    assert cli.main([*argv, "--quiet", "--out", str(out)]) == 0
    return out


def test_pretrain_stores_a_body_that_loads_as_trained(x64, body):
    """Two scenarios x two 4 s windows of the 8 s cycle: four lab heads; the stored arrays come
    back bit for bit (msgpack keeps float64)."""
    pretrained, meta = load_body(body)
    assert meta["lab_windows"] == 4 and meta["starts"] == [0.0, 4.0]
    assert pretrained.heads.shape == (4, 5, 8) and pretrained.length == 4.0
    assert np.isfinite(meta["final_loss"])
    history = [json.loads(line) for line in (body / "history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == [100]


def test_few_shot_fit_from_the_command_line(x64, scenario_file, body, tmp_path, capsys):
    """A finite estimate of every unknown and an MC-dropout σ > 0 (the body had dropout)."""
    out = tmp_path / "fit"
    argv = ["twin", "fit", str(scenario_file), "--window", "4", "--method", "few-shot"]
    assert cli.main([*argv, "--body", str(body), "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["method"] == "few-shot" and result["windows"] == 2
    assert all(np.isfinite(v) and v > 0 for v in result["theta"].values())
    assert all(v > 0 for v in result["sigma"].values())
    assert "(2σ)" in capsys.readouterr().out
    assert (out / "figures" / "fit.png").exists()


def test_an_ensemble_of_bodies_reports_its_mean_and_spread(x64, scenario_file, body, tmp_path):
    """A second body of another initialisation (``--init-seed 1``) on the same lab set: θ̂ is
    the members' mean and σ their sample std, recomputed here from the stored estimates; the
    members differ, so σ > 0."""
    second = tmp_path / "body-1"
    argv = ["twin", "pretrain", str(scenario_file), "--window", "4", *BODY, "--dropout", "0.1"]
    assert cli.main([*argv, "--init-seed", "1", "--quiet", "--out", str(second)]) == 0
    assert load_body(second)[0].settings["seed"] == 1
    out = tmp_path / "fit"
    argv = ["twin", "fit", str(scenario_file), "--window", "4", "--method", "few-shot"]
    assert cli.main([*argv, "--body", f"{body},{second}", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    estimates = np.array(result["ensemble"]["estimates"])
    assert estimates.shape == (2, len(E.UNKNOWNS))
    theta = [result["theta"][n] for n in E.UNKNOWNS]
    sigma = [result["sigma"][n] for n in E.UNKNOWNS]
    np.testing.assert_allclose(theta, estimates.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, estimates.std(axis=0, ddof=1), rtol=1e-12)
    assert min(sigma) > 0


def test_multi_stage_fit_starts_from_a_stored_pinn(x64, scenario_file, tmp_path):
    """The pinn run stores its networks; multi-stage loads them (same values) and runs both
    stages (the asked 300 frozen-θ steps, then 100)."""
    source = tmp_path / "source"
    argv = ["twin", "fit", str(scenario_file), "--window", "4"]
    assert (
        cli.main([*argv, "--method", "pinn-v1-exact", "--steps", "100", "--out", str(source)]) == 0
    )
    stored = load_networks(source)
    assert jax.tree.leaves(stored.networks)[0].shape[0] == 2
    first = json.loads((source / "result.json").read_text())
    assert stored.theta == first["theta"]
    out = tmp_path / "staged"
    staged = [*argv, "--method", "multi-stage", "--source", str(source), "--steps", "100",
              "--stage1-steps", "300"]  # fmt: skip
    assert cli.main([*staged, "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["steps"] == 400 and result["source_theta"] == first["theta"]
    assert all(np.isfinite(v) for v in result["theta"].values())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "{file}", "--method", "few-shot"], "few-shot needs --body DIR"),
        (["fit", "{file}", "--method", "few-shot", "--body", "{tmp}"], "no pre-trained body"),
        (["fit", "{file}", "--method", "few-shot", "--body", "{body}"], "must last 4 s"),
        (["fit", "{file}", "--method", "multi-stage"], "multi-stage needs --source DIR"),
        (["fit", "{file}", "--method", "multi-stage", "--source", "{tmp}"], "no PINN networks"),
        (["pretrain", "--scenarios", "0"], "at least one lab scenario"),
        (["pretrain", "--width", "0"], "width, depth >= 1"),
    ],
)
def test_bad_transfer_requests_fail_in_one_line_and_write_nothing(
    scenario_file, body, tmp_path, capsys, argv, message
):
    argv = [a.format(file=scenario_file, tmp=tmp_path, body=body) for a in argv]
    out = tmp_path / "out"
    assert cli.main(["twin", *argv, "--window", "2", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_body_of_other_shapes_is_refused(x64, body, tmp_path):
    """A JSON that promises another width than the stored arrays: one line naming the array."""
    copy = tmp_path / "body"
    copy.mkdir()
    (copy / "body.msgpack").write_bytes((body / "body.msgpack").read_bytes())
    meta = json.loads((body / "body.json").read_text())
    meta["settings"]["width"] = 16
    (copy / "body.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"has shape .* expected"):
        load_body(copy)


def test_stored_networks_round_trip(x64, scenario_file, tmp_path):
    """save_networks / load_networks keep every array and the settings."""
    from types import SimpleNamespace

    from sciml.twin import PinnSettings, cut_window, fit_by_pinn
    from sciml.twin._store import save_networks

    data = sim.read_scenario(scenario_file)
    data = SimpleNamespace(arrays=data.arrays, attrs=data.attrs)
    window = cut_window(data, 0.0, 4.0, sim.OBSERVATION_SETS["O1"], 0.0)
    windows = jax.tree.map(lambda leaf: jnp.stack([leaf]), window)
    settings = PinnSettings(variant="V0", steps=10, chunk=10, width=4, depth=1)
    fit = fit_by_pinn(windows, P, sim.OBSERVATION_SETS["O1"], settings)
    save_networks(tmp_path, fit, sim.OBSERVATION_SETS["O1"])
    back = load_networks(tmp_path)
    for a, b in zip(jax.tree.leaves(fit.networks), jax.tree.leaves(back.networks), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert back.settings == fit.settings
    np.testing.assert_array_equal(back.log_factors, fit.log_factors)
