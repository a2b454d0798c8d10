r"""Training speed of this project's FNO against neuraloperator's FNO (PyTorch, CPU), side by side.

Run with the project's venv; neuraloperator runs in its own environment through
``--peer-python``::

    .venv/bin/python benchmarks/peers/compare_fno.py --threads 2 \
        --peer-python /work/peer-venv/bin/python --out runs/peers/fno

Both engines train the same 2-D network, the original FNO of ``fourier_2d.py`` (Li et al.,
ICLR 2021): the grid coordinates appended to the input, a pointwise lifting to ``--width``
channels, ``--layers`` Fourier layers keeping ``--modes`` positive frequencies per axis (two
corner blocks of the real FFT, 24 x 12 complex modes for 12), GELU between layers, and a
``width -> 128 -> 1`` pointwise projection; no padding, no normalisation. This engine is
``sciml.models.FNO`` (channel-last ``[B, s, s, 1]``); the peer is ``neuralop.models.FNO``
(``[B, 1, s, s]``) configured to the identical architecture and parameter count, with
``n_modes = (2m, 2m - 1)`` for ``m`` modes (see ``neuralop_fno.py`` for the convention and every
setting).

One training step is the forward pass, the relative L2 loss
:math:`\frac{1}{B} \sum_b \lVert \hat u_b - u_b \rVert_2 / \lVert u_b \rVert_2`, the backward
pass and an Adam update (lr 1e-3), on one fixed ``--batch`` of uniform random inputs and
targets on an ``s x s`` grid (``--resolution``, default 85, the original Darcy grid). The data
are random because this is a speed benchmark: the values do not change the cost of a step, and
no data loading is timed. Here the step is one ``jax.jit`` call (optax's Adam, the state
donated); PyTorch runs eagerly, as neuraloperator's own trainer does.

Metrics, per engine and repeat:

- ``steps_per_second_steady`` and ``ms_per_step_steady``: ``--steps`` steps over their wall time,
  after ``--warmup`` untimed steps (which include this engine's XLA compilation; its first step
  alone is ``compile_seconds``);
- ``cpu_ms_per_step_steady``: process CPU time per step over the same steps, all threads summed
  (less moved by other load than wall time; spinning OpenMP threads count in it);
- ``params``: trainable real parameters, a complex weight counted as two.

``--threads K`` pins this process (and so the peer child) to the first K cores it may use
(default: all of them), XLA sizes its thread pool from those, and PyTorch gets
``torch.set_num_threads(K)``. Runs alternate, ours then neuraloperator, ``--repeats`` times;
every row records the load average before it ran, versions, threads and device. Writes
``OUT/rows.jsonl`` and ``OUT/table.md`` and prints the table. Without ``--peer-python``, or if
``neuralop`` does not import there, only this engine runs.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from functools import partial
from importlib import metadata
from pathlib import Path

import jax
import optax
from compare_burgers import _commit  # the sibling script: one commit lookup for every peer row

from sciml.bench._peers import fno_peers_table
from sciml.models import FNO, count_params
from sciml.operator import relative_l2

PROJECTION = 128  # the original FNO's fc1 width (neuralop_fno.py uses the same)
LEARNING_RATE = 1e-3
PEER_SCRIPT = Path(__file__).with_name("neuralop_fno.py")


def peer_available(python: str | None) -> str | None:
    """``None`` when neuraloperator imports under ``python``; else the reason it cannot run."""
    if not python:
        return "no --peer-python given"
    if not Path(python).exists():
        return f"{python} does not exist"
    check = subprocess.run([python, "-c", "import neuralop, torch"], capture_output=True, text=True)
    if check.returncode:
        lines = check.stderr.strip().splitlines() or ["(no message)"]
        return f"neuralop does not import under {python}: {lines[-1]}"
    return None


def run_ours(args: argparse.Namespace, threads: int) -> dict:
    model = FNO(
        width=args.width,
        modes=(args.modes, args.modes),
        layers=args.layers,
        out=1,
        projection=PROJECTION,
        append_grid=True,
        padding=0,
    )
    init_key, a_key, u_key = jax.random.split(jax.random.key(args.seed), 3)
    shape = (args.batch, args.resolution, args.resolution, 1)
    a, u = jax.random.uniform(a_key, shape), jax.random.uniform(u_key, shape)
    params = model.init(init_key, a[:1])
    optimizer = optax.adam(LEARNING_RATE)

    # A fresh closure every repeat, so each repeat compiles (and times that) anew.
    @partial(jax.jit, donate_argnums=0)
    def step(state, a, u):
        params, opt_state = state
        loss, grads = jax.value_and_grad(lambda p: relative_l2(model.apply(p, a), u))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    state = (params, optimizer.init(params))
    start = time.perf_counter()
    state, loss = jax.block_until_ready(step(state, a, u))
    compile_seconds = time.perf_counter() - start
    for _ in range(args.warmup - 1):
        state, loss = step(state, a, u)
    jax.block_until_ready(state)
    warmup_seconds = time.perf_counter() - start

    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        state, loss = step(state, a, u)
    jax.block_until_ready(state)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    packages = ("sciml-jax", "jax", "jaxlib", "flax", "optax", "numpy")
    return {
        "engine": "sciml",
        "steps": args.steps,
        "warmup_steps": args.warmup,
        "warmup_seconds": round(warmup_seconds, 3),
        "compile_seconds": round(compile_seconds, 3),
        "steps_per_second_steady": round(args.steps / wall, 3),
        "ms_per_step_steady": round(1e3 * wall / args.steps, 2),
        "cpu_ms_per_step_steady": round(1e3 * cpu / args.steps, 2),
        "final_loss": float(loss),
        "params": count_params(state[0]),
        "resolution": args.resolution,
        "batch": args.batch,
        "width": args.width,
        "modes": args.modes,
        "layers": args.layers,
        "seed": args.seed,
        "threads": threads,
        "float": str(a.dtype),
        "versions": {name: metadata.version(name) for name in packages}
        | {"python": platform.python_version()},
        "device": f"{jax.default_backend()}:{platform.machine()}",
        "cpu_count": os.cpu_count(),
        "commit": _commit(),
    }


def run_peer(args: argparse.Namespace, threads: int) -> dict:
    command = [args.peer_python, str(PEER_SCRIPT), "--threads", str(threads)]
    for name in ("resolution", "batch", "width", "modes", "layers", "steps", "warmup", "seed"):
        command += [f"--{name}", str(getattr(args, name))]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--peer-python", help="python of the peer venv (with neuralop, torch)")
    parser.add_argument("--resolution", type=int, default=85, help="grid points per axis")
    parser.add_argument("--batch", type=int, default=20, help="samples per step")
    parser.add_argument("--width", type=int, default=32, help="channels of the Fourier layers")
    parser.add_argument("--modes", type=int, default=12, help="positive frequencies per axis")
    parser.add_argument("--layers", type=int, default=4, help="Fourier layers")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (>= 1)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per engine, alternating")
    parser.add_argument("--seed", type=int, default=0, help="initialisation and data")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/peers/fno"), help="rows.jsonl, table.md"
    )
    parser.add_argument("--threads", type=int, help="cores for both engines (None: all)")
    args = parser.parse_args(argv)
    for name in ("resolution", "batch", "width", "modes", "layers", "steps", "warmup", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.resolution < 2 * args.modes:
        parser.error(
            f"--resolution {args.resolution} cannot hold {args.modes} modes per axis "
            f"(needs >= {2 * args.modes})"
        )

    # Before XLA starts its CPU client (the first computation), so its pool fits these cores.
    cores = sorted(os.sched_getaffinity(0))
    threads = args.threads or len(cores)
    if not 1 <= threads <= len(cores):
        parser.error(f"--threads must be between 1 and {len(cores)}")
    os.sched_setaffinity(0, cores[:threads])

    args.out.mkdir(parents=True, exist_ok=True)
    missing = peer_available(args.peer_python)
    if missing:
        print(f"neuraloperator is not run ({missing}); running this engine only.", file=sys.stderr)
    print(f"jax devices: {jax.devices()}; cores: {cores[:threads]}", file=sys.stderr)

    rows = []
    for repeat in range(args.repeats):
        load = os.getloadavg()[0]
        rows.append({**run_ours(args, threads), "repeat": repeat, "load_before": load})
        print(json.dumps(rows[-1]), file=sys.stderr)
        if not missing:
            load = os.getloadavg()[0]
            rows.append({**run_peer(args, threads), "repeat": repeat, "load_before": load})
            print(json.dumps(rows[-1]), file=sys.stderr)

    with (args.out / "rows.jsonl").open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    text = fno_peers_table(rows) + "\n"
    (args.out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
