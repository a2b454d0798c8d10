"""The emulator suite: its table from rows, the throughput it reads from a metrics log, its task
lists and parameter budgets, ``--only`` refused before anything runs, and a tiny suite end to end
(data generated into OUT/data, one run directory per task and seed)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import bench
from sciml.bench import _emulators
from sciml.bench._operators import DataSpec, Task
from sciml.config import override
from sciml.emulate import EmulatorConfig, build_model

BUDGET = 0.02  # the K sweep's counts differ by at most this fraction (the module's claim)


def _row(variant, model, **values):
    row = {"problem": f"ns64-{variant}", "variant": variant, "label": "SineNet-4", "model": model}
    row |= {"generator": "navier_stokes", "resolution": [64, 64], "train": 32, "test": 8}
    row |= {"frames": 15, "parameters": 1241185, "waves": 4, "padding": "zeros", "epochs": 20}
    row |= {"device": "cpu:cpu (2 host cores)"}
    return row | {"rollout_steps": 11} | values


def test_emulators_table_gives_percent_mean_and_std_and_the_published_setting():
    runs = [(0.01, 0.04, 100.0, 6.0), (0.03, 0.06, 300.0, 8.0)]
    rows = [
        _row("sinenet4-zeros", "sinenet")
        | {"one_step_rel_l2": a, "rollout_rel_l2": b, "wall_seconds": w, "samples_per_second": s}
        for a, b, w, s in runs
    ]
    unet = _row("modern_unet", "modern_unet", label="modern U-Net", waves=None)
    unet |= {"padding": "circular", "one_step_rel_l2": 0.02, "rollout_rel_l2": 0.05}
    unet |= {"device": "gpu:NVIDIA H100 80GB HBM3 (16 host cores)"}
    rows.append(unet | {"wall_seconds": 50.0, "samples_per_second": 15.0})
    table = bench.table("emulators", rows)
    # means 2 % and 5 %, population std 1 % (numpy's default); wall 200 ± 100; 7 samples/s
    assert (
        "| navier_stokes 64x64 (32/8, 15 frames) | SineNet-4 | 1,241,185 | 4 | zeros | 20 | 2 "
        "| CPU (2 host cores) | 200 ± 100 | 7.0 | 2.00 ± 1.00 | 5.00 ± 1.00 | 11 | 1.50 / 4.19 "
        "| SineNet paper Table 3"
    ) in table
    assert "zero padding" in table
    # no published value for the U-Net: a dash, and the paper's claim as the source
    assert "| modern U-Net | 1,241,185 | — | circular |" in table
    assert "| NVIDIA H100 80GB HBM3 | 50 ± 0 |" in table  # the device each row ran on
    assert "| 2.00 ± 0.00 | 5.00 ± 0.00 | 11 | — | paper: SineNet beats" in table


def test_emulator_scaling_table_fits_the_slope():
    rows = [
        {"model": "SineNet-4", "resolution": s, "batch": 16, "parameters": 10}
        | {"ms_per_step": 0.5 * s**2, "samples_per_second": 16e3 / (0.5 * s**2)}
        | {"first_call_seconds": 1.0}
        for s in (32, 64, 128)
    ]
    table = bench.table("emulator_scaling", rows)
    # t = 0.5 N exactly: slope 1
    assert "| SineNet-4 | 64x64 | 16 | 10 | 2048 | 7.8 | 1.0 |" in table
    assert "SineNet-4: t ∝ N^1.00" in table


def test_samples_per_second_leaves_compilation_and_evaluations_out(tmp_path):
    walls = [60.0, 60.5, 61.0, 71.0, 71.5, 72.0]  # step 1 after compiling, step 4 after an eval
    rows = [{"step": i + 1, "loss": 1.0, "wall_time": w} for i, w in enumerate(walls)]
    rows.insert(3, {"step": 3, "eval": True, "wall_time": 70.5})
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    # median step interval 0.5 s: 16 / 0.5
    assert _emulators.samples_per_second(tmp_path, 16) == pytest.approx(32.0)


def test_compilation_cache_is_set_while_the_suite_runs_then_restored(tmp_path):
    before = jax.config.jax_compilation_cache_dir
    with _emulators.compilation_cache_at(tmp_path):
        assert jax.config.jax_compilation_cache_dir == str(tmp_path)
    assert jax.config.jax_compilation_cache_dir == before


def test_only_is_checked_before_anything_runs():
    bench.check("emulators", ["ns64-sinenet8", "ns64-modern_unet"])
    with pytest.raises(ValueError, match="no emulator benchmark task nope; tasks: ns64-modern"):
        bench.check("emulators", ["nope"])
    with pytest.raises(ValueError, match="no emulator benchmark task ns64-sinenet8"):
        bench.check("emulators", ["ns64-sinenet8"], quick=True)  # not a quick task
    with pytest.raises(ValueError, match="--only applies to the pinn, operators"):
        bench.check("emulator_scaling", ["ns64-sinenet4"])


def test_quick_suite_tests_each_claim_on_32_grids_with_three_seeds():
    tasks = _emulators._tasks(quick=True)
    assert [t.name for t in tasks] == [
        "ns32q-modern_unet",
        "ns32q-sinenet1",
        "ns32q-sinenet4",
        "ns32q-sinenet4-zeros",
    ]
    assert all(t.seeds == (0, 1, 2) and dict(t.data.params)["resolution"] == 32 for t in tasks)
    configs = {t.name: override(EmulatorConfig(), list(t.overrides)) for t in tasks}
    circular, zeros = configs["ns32q-sinenet4"], configs["ns32q-sinenet4-zeros"]
    assert zeros.padding == "zeros" and circular.padding == "auto"  # auto: circular on NS
    assert zeros.sinenet == circular.sinenet and zeros.epochs == circular.epochs


def _parameters(task: Task) -> int:
    config = override(EmulatorConfig(), list(task.overrides))
    s = dict(task.data.params)["resolution"]
    model = build_model(config, _emulators._stand_in(s, config.history))
    shapes = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, s, s, config.history)))
    return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes))


def test_the_k_sweep_shares_one_parameter_budget_and_the_unet_is_comparable():
    counts = {t.name: _parameters(t) for t in _emulators._tasks(quick=False)}
    sweep = [counts[f"ns64-sinenet{k}"] for k in (1, 2, 4, 8)]
    assert sweep == [1217928, 1238429, 1241185, 1230001]  # the module docstring's counts
    assert max(sweep) / min(sweep) - 1 < BUDGET
    # comparable: the U-Net has more parameters than SineNet-4, not fewer (by 15 %)
    assert 1 < counts["ns64-modern_unet"] / counts["ns64-sinenet4"] < 1.2


def test_the_suite_generates_its_data_and_writes_a_row_per_selected_task_and_seed(
    tmp_path, monkeypatch
):
    """The suite's own bookkeeping, with training replaced by a stand-in that writes the files
    the rows read (tests/test_emulate.py trains every model for real; here it would take
    minutes)."""
    tiny = DataSpec("ns16", "navier_stokes", 3, (("resolution", 16), ("frames", 2), ("dt", 0.5)))
    tasks = [
        Task("ns16-sinenet2", tiny, "SineNet-2", ("model=sinenet", "sinenet.waves=2")),
        Task("ns16-modern_unet", tiny, "modern U-Net", ("model=modern_unet",)),
    ]
    calls = []

    def train(config, run_dir, progress):
        calls.append((config.model, config.seed, run_dir.name, config.data))
        run_dir.mkdir(parents=True)
        (run_dir / "config.json").write_text(json.dumps({"data": {"frames": 3}}))
        log = [{"step": s, "loss": 1.0, "wall_time": 10.0 + 0.25 * s} for s in (1, 2, 3)]
        (run_dir / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in log))
        return {"model": config.model, "seed": config.seed}

    monkeypatch.setattr(_emulators, "_tasks", lambda quick: tasks)
    monkeypatch.setattr(_emulators, "train_and_evaluate", train)
    rows = _emulators.emulator_rows(out=tmp_path, only=["ns16-sinenet2"])
    data = str(tmp_path / "data" / "ns16.h5")
    assert calls == [("sinenet", s, f"ns16-sinenet2-seed{s}", data) for s in (0, 1, 2)]
    assert [(r["problem"], r["variant"], r["waves"], r["frames"]) for r in rows] == [
        ("ns16-sinenet2", "sinenet2", 2, 3)
    ] * 3
    # the default batch of 32 every 0.25 s
    assert [r["samples_per_second"] for r in rows] == [128.0] * 3
