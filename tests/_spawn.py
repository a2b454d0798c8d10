"""Starting ``_distributed_worker.py`` in fresh processes, for the tests that need them."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORKER = Path(__file__).with_name("_distributed_worker.py")
ROOT = WORKER.parents[1]
TIMEOUT = 300  # seconds for one worker: generous, a shared 2-core machine can be slow


def worker_env(**extra: str) -> dict[str, str]:
    """A worker's environment: CPU only, no inherited device count or process settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCIML_", "JAX_", "XLA_")) and k != "PYTHONPATH"
    }
    return env | {"JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)} | extra


def start(*args: str, log: Path, **env: str) -> subprocess.Popen:
    """Start the worker in the background, its output going to ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            env=worker_env(**env),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_all(children: list[subprocess.Popen]) -> None:
    """Wait for all children; as soon as one fails, kill the others (they would wait for it)."""
    deadline = time.monotonic() + TIMEOUT  # only against a hang; nothing is timed
    while any(child.poll() is None for child in children):
        if any(child.poll() for child in children) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    stop(children)


def stop(children: list[subprocess.Popen]) -> None:
    """Kill the children still running (one left waiting for a peer must not outlive a test)."""
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()


def result(log: Path) -> dict:
    """The JSON line a worker printed last."""
    return json.loads(log.read_text().splitlines()[-1])


def run(*args: str, **env: str) -> dict:
    """Run the worker to the end and return its result."""
    done = subprocess.run(
        [sys.executable, str(WORKER), *args],
        env=worker_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])
