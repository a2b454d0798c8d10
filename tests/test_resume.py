"""A training run killed partway and restarted on its run directory ends like an uninterrupted
one, and its metrics log has every step once."""

import json
import time

import _distributed_worker as worker
import _spawn

STEPS, LOG_EVERY = 400, worker.K  # as in worker.resume


def finished_checkpoints(run_dir) -> list[int]:
    """Steps of the complete checkpoints (orbax renames a checkpoint when it is whole)."""
    latest = run_dir / "checkpoints" / "latest"
    names = [path.name for path in latest.iterdir()] if latest.exists() else []
    return sorted(int(name) for name in names if name.isdigit())


def test_a_killed_run_resumes_to_the_parameters_of_an_uninterrupted_one(tmp_path):
    run_dir = tmp_path / "run"
    log = tmp_path / "killed.out"
    child = _spawn.start("resume-slow", str(run_dir), log=log)
    try:
        deadline = time.monotonic() + _spawn.TIMEOUT  # only against a hang; nothing is timed
        while not finished_checkpoints(run_dir):
            assert child.poll() is None, log.read_text()[-4000:]
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.02)
        child.kill()  # SIGKILL: no cleanup, possibly in the middle of a write
        assert child.wait(timeout=_spawn.TIMEOUT) < 0  # it was killed, not finished
    finally:
        _spawn.stop([child])
    killed_at = max(finished_checkpoints(run_dir))
    assert 0 < killed_at < STEPS

    resumed = _spawn.run("resume", str(run_dir))
    # as the worker prints it: lists for tuples
    straight = json.loads(json.dumps(worker.resume(str(tmp_path / "straight"), slow=False)))
    assert killed_at <= resumed["resumed_from"] < STEPS
    # the same compiled steps on the same values: bit for bit on the CPU
    assert resumed["params"] == straight["params"]
    assert resumed["opt_state"] == straight["opt_state"]
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == list(range(LOG_EVERY, STEPS + 1, LOG_EVERY))


def test_rows_of_a_run_killed_before_its_first_checkpoint_are_logged_once(tmp_path):
    # what such a run leaves: metrics rows and no checkpoint
    stale = [{"step": step, "loss": -1.0, "wall_time": 0.0} for step in (10, 20, 30)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in stale))
    result = worker.resume(str(tmp_path), slow=False)
    assert result["resumed_from"] is None
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == list(range(LOG_EVERY, STEPS + 1, LOG_EVERY))
    assert all(row["loss"] > 0 for row in rows)
