r"""Adam throughput of this PINN engine against DeepXDE on DeepXDE's Burgers example, side by side.

Run with the project's venv; DeepXDE runs in its own environment through ``--peer-python``::

    .venv/bin/python benchmarks/peers/compare_burgers.py --adam-steps 2000 \
        --peer-python /work/peer-venv/bin/python --out runs/peers/burgers

Both engines train the example's set-up (2-20-20-20-1 tanh, 2540 residual / 80 boundary / 160
initial points, Adam at lr 1e-3, float32, seed 0) for the same number of Adam steps, without
L-BFGS, on the same CPU cores: ``--threads K`` pins this process (and so the DeepXDE child) to
the first K cores it may use (default: all of them), XLA sizes its thread pool from those, and
PyTorch gets ``torch.set_num_threads(K)``. Runs alternate, ours then DeepXDE, ``--repeats``
times, since other work on the machine moves the numbers; every row records the load average
before it ran.

Writes ``OUT/reference.npz`` (the exact Cole-Hopf solution on the 101 x 256 grid, read by the
peer script), ``OUT/rows.jsonl`` (one row per engine and repeat) and ``OUT/table.md``, and
prints the table. Metrics:

- ``steps_per_second``: Adam steps over the whole Adam stage's wall time (for this engine that
  includes XLA compilation, for DeepXDE PyTorch's first-step warm-up);
- ``steps_per_second_steady``: the steps after the first 100 over their wall time (this engine:
  from the ``metrics.jsonl`` rows at steps 100 and N; DeepXDE: from a per-step callback);
- ``cpu_ms_per_step_steady``: process CPU time per step over the same steps, all threads summed
  (less moved by other load than wall time; spinning OpenMP threads count in it);
- ``rel_l2``: :math:`\lVert \hat u - u \rVert_2 / \lVert u \rVert_2` on the 101 x 256 grid after
  the Adam steps (not a converged error: that needs the full 15000 steps and L-BFGS).
"""

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import jax
import numpy as np

import pdes
from sciml import configs, pinn
from sciml.bench import peers_table

WARMUP_STEPS = 100  # steps left out of the steady rate: one call of steps_per_call = 100 steps
POLL_SECONDS = 0.01
PEER_SCRIPT = Path(__file__).with_name("deepxde_burgers.py")


def write_reference(path: Path) -> None:
    reference = pdes.get("burgers", nt=101, nx=256).reference()
    axes = dict(zip(reference.names, reference.axes, strict=True))
    np.savez(path, t=axes["t"], x=axes["x"], u=reference.values)


def peer_available(python: str | None) -> str | None:
    """``None`` when DeepXDE imports under ``python``; else the reason it cannot run."""
    if not python:
        return "no --peer-python given"
    if not Path(python).exists():
        return f"{python} does not exist"
    check = subprocess.run(
        [python, "-c", "import deepxde"],
        env=os.environ | {"DDE_BACKEND": "pytorch"},
        capture_output=True,
        text=True,
    )
    if check.returncode:
        return f"deepxde does not import under {python}: {check.stderr.strip().splitlines()[-1]}"
    return None


def _steady_rate(run_dir: Path, steps: int) -> float | None:
    rows = [
        json.loads(line)
        for line in (run_dir / "metrics.jsonl").read_text().splitlines()
        if line.strip()
    ]
    wall = {r["step"]: r["wall_time"] for r in rows if r.get("stage") == "adam" and "eval" not in r}
    if WARMUP_STEPS not in wall or steps not in wall or steps <= WARMUP_STEPS:
        return None
    return (steps - WARMUP_STEPS) / (wall[steps] - wall[WARMUP_STEPS])


class RowCpuClock(threading.Thread):
    """Process CPU time when the Adam rows of ``steps`` appear in ``metrics.jsonl``.

    The engine logs wall times but not CPU times; polling the file (every ``POLL_SECONDS``, a
    negligible cost next to a training step) brackets the steady steps in CPU time too.
    """

    def __init__(self, path: Path, steps: tuple[int, ...]):
        super().__init__(daemon=True)
        self.path, self.waiting, self.cpu = path, set(steps), {}
        self.done = threading.Event()

    def run(self) -> None:
        while self.waiting and not self.done.wait(POLL_SECONDS):
            if not self.path.exists():
                continue
            complete = self.path.read_text().split("\n")[:-1]  # the last line may be partial
            for line in complete:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line being written right now
                    continue
                step = row.get("step")
                if row.get("stage") == "adam" and "eval" not in row and step in self.waiting:
                    self.cpu[step] = time.process_time()
                    self.waiting.discard(step)

    def ms_per_step(self, first: int, last: int) -> float | None:
        if first not in self.cpu or last not in self.cpu:
            return None
        return round(1e3 * (self.cpu[last] - self.cpu[first]) / (last - first), 2)


def _commit() -> str | None:
    """This checkout's commit, ``-dirty`` when the working tree has changes."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def run_ours(steps: int, run_dir: Path, threads: int) -> dict:
    config = configs.get("burgers", "deepxde")
    config = config.replace(optim=dataclasses.replace(config.optim, steps=steps))
    shutil.rmtree(run_dir, ignore_errors=True)  # a run directory would otherwise resume
    clock = RowCpuClock(run_dir / "metrics.jsonl", (WARMUP_STEPS, steps))
    clock.start()
    try:
        result = pinn.train_and_evaluate(config, run_dir, progress=False)
    finally:
        clock.done.set()
        clock.join()
    steady = _steady_rate(run_dir, steps)
    packages = ("sciml-jax", "jax", "jaxlib", "flax", "optax", "numpy")
    return {
        "engine": "sciml",
        "adam_steps": steps,
        "adam_wall_seconds": result["wall_seconds"],
        "steps_per_second": result["adam_steps_per_second"],
        "steps_per_second_steady": None if steady is None else round(steady, 1),
        "cpu_ms_per_step_steady": clock.ms_per_step(WARMUP_STEPS, steps),
        "warmup_steps": WARMUP_STEPS,
        "rel_l2": result["rel_l2"],
        "seed": config.seed,
        "threads": threads,
        "float": "float32",
        "points": {
            "domain": config.sampling.residual_points,
            "boundary": config.sampling.boundary_points,
            "initial": config.sampling.initial_points,
            "resampled": True,
        },
        "versions": {name: metadata.version(name) for name in packages}
        | {"python": platform.python_version()},
        "device": result["device"],
        "cpu_count": os.cpu_count(),
        "commit": _commit(),
        "run_dir": str(run_dir),
    }


def run_peer(python: str, steps: int, reference: Path, threads: int) -> dict:
    command = [python, str(PEER_SCRIPT), "--reference", str(reference)]
    command += ["--adam-steps", str(steps), "--threads", str(threads)]
    command += ["--warmup", str(WARMUP_STEPS)]
    done = subprocess.run(
        command,
        env=os.environ | {"DDE_BACKEND": "pytorch"},
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="python of the peer venv (with deepxde, torch)")
    parser.add_argument("--adam-steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/peers/burgers"))
    parser.add_argument("--threads", type=int, help="cores for both engines (default: all)")
    args = parser.parse_args(argv)

    # Before XLA starts its CPU client (the first computation), so its pool fits these cores.
    cores = sorted(os.sched_getaffinity(0))
    threads = args.threads or len(cores)
    if not 1 <= threads <= len(cores):
        parser.error(f"--threads must be between 1 and {len(cores)}")
    os.sched_setaffinity(0, cores[:threads])

    args.out.mkdir(parents=True, exist_ok=True)
    reference = args.out / "reference.npz"
    write_reference(reference)
    missing = peer_available(args.peer_python)
    if missing:
        print(f"DeepXDE is not run ({missing}); running this engine only.", file=sys.stderr)
    print(f"jax devices: {jax.devices()}; cores: {cores[:threads]}", file=sys.stderr)

    rows = []
    for repeat in range(args.repeats):
        load = os.getloadavg()[0]
        row = run_ours(args.adam_steps, args.out / f"sciml-{repeat}", threads)
        rows.append({**row, "repeat": repeat, "load_before": load})
        print(json.dumps(rows[-1]), file=sys.stderr)
        if not missing:
            load = os.getloadavg()[0]
            row = run_peer(args.peer_python, args.adam_steps, reference, threads)
            rows.append({**row, "repeat": repeat, "load_before": load})
            print(json.dumps(rows[-1]), file=sys.stderr)

    with (args.out / "rows.jsonl").open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    table = peers_table(rows) + "\n"
    (args.out / "table.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
