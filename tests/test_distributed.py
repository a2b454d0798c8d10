"""Data parallelism: 4 simulated devices and 2 processes train like 1 device (DESIGN.md 8).

The runs with several devices or processes happen in subprocesses (the device count is fixed
when JAX starts); the one-device references run here. The training code is shared with them
in ``_distributed_worker.py``.
"""

import json
import socket

import _distributed_worker as worker
import _spawn
import numpy as np
import pytest

from sciml import train

# On several devices the gradient (a mean over the batch) is summed on each device and then
# all-reduced: the same float32 additions in another order, ~1e-7 relative rounding per step.
# Adam carries it along 50-60 steps of this well-conditioned fit without amplifying it much
# (observed: losses within 3e-7 relative, parameters within 2e-7).
ADAM_RTOL, ADAM_ATOL = 1e-5, 1e-6
# L-BFGS amplifies the same rounding: its curvature pairs divide by small differences and the
# line search compounds them (observed: ~3x per iteration, 6e-5 relative in the loss and 5e-4
# in the parameters after 10 iterations).
LBFGS_RTOL, LBFGS_ATOL = 5e-3, 5e-3


def assert_close(a, b, rtol, atol):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=rtol, atol=atol, err_msg=name)


@pytest.fixture(scope="module")
def four_devices() -> dict:
    return _spawn.run("parallel", XLA_FLAGS="--xla_force_host_platform_device_count=4")


@pytest.fixture(scope="module")
def one_device() -> dict:
    return worker.run_parallel(train.data_mesh())


def test_the_parallel_run_used_four_devices(four_devices):
    assert four_devices["devices"] == 4
    assert four_devices["batch_devices"] == 4
    assert four_devices["batch_shard_shape"] == [worker.K, worker.BATCH // 4, 1]
    # the data-fed and the self-sampling steps both reduce the gradient across devices
    assert four_devices["all_reduce"] == [True, True]


@pytest.mark.parametrize(
    ("kind", "rtol", "atol"),
    [
        ("data", ADAM_RTOL, ADAM_ATOL),
        ("sampling", ADAM_RTOL, ADAM_ATOL),
        ("lbfgs", LBFGS_RTOL, LBFGS_ATOL),
    ],
)
def test_four_devices_follow_the_one_device_trajectory(four_devices, one_device, kind, rtol, atol):
    four, one = four_devices[kind], one_device[kind]
    assert len(one["loss"]) == (10 if kind == "lbfgs" else 50)
    np.testing.assert_allclose(four["loss"], one["loss"], rtol=rtol)
    assert_close(four["params"], one["params"], rtol, atol)


def test_a_one_device_mesh_changes_nothing(one_device):
    assert worker.run_parallel(None) == one_device  # bit for bit


def test_process_share_and_global_batch_on_one_process():
    mesh = train.data_mesh()
    assert train.process_share(8, mesh) == slice(0, 8)
    batch = train.global_batch({"x": np.arange(6.0).reshape(2, 3)}, mesh, axis=1)
    np.testing.assert_array_equal(batch["x"], np.arange(6.0).reshape(2, 3))


def test_initialize_does_nothing_without_settings_and_wants_all_three(monkeypatch):
    for name in ("SCIML_COORDINATOR", "SCIML_NUM_PROCESSES", "SCIML_PROCESS_ID"):
        monkeypatch.delenv(name, raising=False)
    assert train.initialize() is False
    monkeypatch.setenv("SCIML_NUM_PROCESSES", "2")
    with pytest.raises(ValueError, match="coordinator, the number of processes"):
        train.initialize()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one_process_on_the_full_batch(tmp_path):
    run_dir, port, children = tmp_path / "two", free_port(), []
    logs = [tmp_path / f"{process}.out" for process in range(2)]
    try:
        for process, log in enumerate(logs):
            env = dict(
                SCIML_COORDINATOR=f"127.0.0.1:{port}",
                SCIML_NUM_PROCESSES="2",
                SCIML_PROCESS_ID=str(process),
            )
            children.append(_spawn.start("processes", str(run_dir), log=log, **env))
        _spawn.wait_all(children)
    finally:
        _spawn.stop(children)
    output = "\n".join(log.read_text() for log in logs)[-4000:]
    assert [child.returncode for child in children] == [0, 0], output
    results = [_spawn.result(log) for log in logs]

    for process, result in enumerate(results):
        assert result["initialized"] and result["process"] == process
        assert result["processes"] == 2 and result["devices"] == 2
    # each process loaded only its half of every batch
    assert [result["rows"] for result in results] == [[0, 32], [32, 64]]
    assert results[0]["params"] == results[1]["params"]  # one replicated state
    single = worker.fit_on_processes(str(tmp_path / "one"))
    assert single["processes"] == 1 and single["rows"] == [0, 64]
    assert_close(results[0]["params"], single["params"], ADAM_RTOL, ADAM_ATOL)

    # the checkpoint both processes wrote restores the state they ended with
    checkpoints = train.Checkpoints(run_dir / "checkpoints")
    try:
        restored = checkpoints.restore(worker.fresh_state())
    finally:
        checkpoints.close()
    assert int(restored.step) == 60
    assert worker.host(restored.params) == results[0]["params"]
    # only process 0 wrote the metrics: every logged step once
    rows = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(row)["step"] for row in rows] == list(range(10, 61, 10))


@pytest.mark.parametrize("kind", ["adam", "lbfgs"])
def test_a_step_on_a_mesh_compiles_once(kind):
    mesh = train.data_mesh()
    x, y = worker.dataset(2)
    if kind == "adam":
        step = train.make_train_step(
            worker.data_loss, worker.OPTIMIZER, steps_per_call=2, mesh=mesh
        )
        state, batch = worker.fresh_state(mesh=mesh), (x, y)
    else:
        optimizer = train.lbfgs(memory_size=3)
        step = train.make_lbfgs_step(worker.data_loss, optimizer, steps_per_call=2, mesh=mesh)
        state, batch = worker.fresh_state(optimizer, mesh), (x[0], y[0])
    for _ in range(3):
        state, _ = step(state, batch)
    assert step._cache_size() == 1
