r"""DeepXDE's own Burgers example (examples/pinn_forward/Burgers.py), timed; one JSON line out.

Runs with the peer environment (PyTorch backend), never with the project's venv:

    DDE_BACKEND=pytorch /work/peer-venv/bin/python benchmarks/peers/deepxde_burgers.py \
        --reference runs/peers/burgers/reference.npz --adam-steps 2000 --threads 2

The problem set-up follows the example as published in DeepXDE: x in [-1, 1], t in [0, 0.99],
u_t + u u_x = (0.01/pi) u_xx, u = 0 on x = +-1, u(x, 0) = -sin(pi x); 2540 domain, 80 boundary
and 160 initial points drawn once (DeepXDE's default, fixed during training); FNN 2-20-20-20-1
tanh with Glorot-normal initialisation; the loss is the sum of the mean squared PDE, boundary
and initial residuals; Adam at lr 1e-3, then (with ``--lbfgs``) DeepXDE's default L-BFGS.

Throughput is Adam steps per second from a per-step callback: over all steps, and "steady" over
the steps after the first ``--warmup`` (PyTorch has no compilation; the first steps still pay for
allocation and autograd warm-up), with the process CPU time per step beside it, which other load
on the machine moves less than wall time. DeepXDE's own periodic test-loss evaluation
(``display_every`` = 1000 steps) is part of the timed loop, as it is in the example.

PyTorch's OpenMP threads spin while they wait; on a machine where other processes compete for
the cores, two threads can then run many times slower than one. ``OMP_WAIT_POLICY=PASSIVE`` in
the environment avoids that; the row records the policy in force.

The error is the relative L2 over the reference grid in ``--reference`` (an ``.npz`` with 1-D
``t`` and ``x`` and ``u[t, x]``, written by ``compare_burgers.py`` from the project's exact
Cole-Hopf solution): :math:`\lVert \hat u - u \rVert_2 / \lVert u \rVert_2`.
"""

import argparse
import contextlib
import json
import os
import platform
import sys
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import deepxde as dde
import numpy as np
import torch

VISCOSITY = 0.01 / np.pi  # the example's nu, inline there too
T_END = 0.99  # the example trains on t in [0, 0.99] (its dataset's last time)


def pde(x, u):
    """Burgers residual with x = (x, t) columns, as in the example."""
    u_x = dde.grad.jacobian(u, x, i=0, j=0)
    u_t = dde.grad.jacobian(u, x, i=0, j=1)
    u_xx = dde.grad.hessian(u, x, i=0, j=0)
    return u_t + u * u_x - VISCOSITY * u_xx


def build_model() -> dde.Model:
    geomtime = dde.geometry.GeometryXTime(
        dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, T_END)
    )
    boundary = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    initial = dde.icbc.IC(
        geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial
    )
    data = dde.data.TimePDE(
        geomtime, pde, [boundary, initial], num_domain=2540, num_boundary=80, num_initial=160
    )
    net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    return dde.Model(data, net)


class StepClock(dde.callbacks.Callback):
    """Wall-clock (``perf_counter``) and process CPU time (``process_time``) after every step."""

    def __init__(self):
        super().__init__()
        self.start = None
        self.wall = []
        self.cpu = []

    def on_train_begin(self):
        self.start = time.perf_counter()

    def on_batch_end(self):
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def rates(self, warmup: int) -> dict:
        """Steps per second over all steps and after ``warmup``; CPU ms per step after it."""
        steps = len(self.wall)
        rates = {"steps_per_second": round(steps / (self.wall[-1] - self.start), 1)}
        if steps > warmup:
            later = steps - warmup
            rates["steps_per_second_steady"] = round(
                later / (self.wall[-1] - self.wall[warmup - 1]), 1
            )
            rates["cpu_ms_per_step_steady"] = round(
                1e3 * (self.cpu[-1] - self.cpu[warmup - 1]) / later, 2
            )
        return rates


def rel_l2(model: dde.Model, t: np.ndarray, x: np.ndarray, u: np.ndarray, t_max=None) -> float:
    rows = slice(None) if t_max is None else t <= t_max + 1e-12
    tt, xx = np.meshgrid(t[rows], x, indexing="ij")
    points = np.stack([xx.ravel(), tt.ravel()], axis=1)  # DeepXDE's column order: (x, t)
    prediction = model.predict(points).reshape(tt.shape).astype(np.float64)
    reference = u[rows]
    return float(np.linalg.norm(prediction - reference) / np.linalg.norm(reference))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help=".npz with t, x, u[t, x]")
    parser.add_argument("--adam-steps", type=int, default=15000)
    parser.add_argument("--lbfgs", action="store_true", help="then DeepXDE's default L-BFGS")
    parser.add_argument(
        "--lbfgs-maxiter",
        type=int,
        help="L-BFGS iteration cap (default 15000; the PyTorch backend runs chunks of 1000)",
    )
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--warmup", type=int, default=100, help="steps left out of 'steady'")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    dde.config.set_random_seed(args.seed)
    reference = np.load(args.reference)
    t, x, u = reference["t"], reference["x"], reference["u"]

    # DeepXDE prints its loss table to stdout; keep stdout for the one JSON line.
    with contextlib.redirect_stdout(sys.stderr):
        model = build_model()
        model.compile("adam", lr=1e-3)
        clock = StepClock()
        start = time.perf_counter()
        model.train(iterations=args.adam_steps, callbacks=[clock])
        adam_wall = time.perf_counter() - start
        result = {
            "engine": "deepxde",
            "adam_steps": args.adam_steps,
            "adam_wall_seconds": round(adam_wall, 2),
            **clock.rates(args.warmup),
            "warmup_steps": args.warmup,
            "rel_l2": rel_l2(model, t, x, u),
            "rel_l2_t_le_0.99": rel_l2(model, t, x, u, t_max=T_END),
        }
        if args.lbfgs:
            if args.lbfgs_maxiter:
                dde.optimizers.set_LBFGS_options(maxiter=args.lbfgs_maxiter)
            model.compile("L-BFGS")
            start = time.perf_counter()
            _, state = model.train()
            result |= {
                "lbfgs_steps": int(state.step) - args.adam_steps,
                "lbfgs_wall_seconds": round(time.perf_counter() - start, 2),
                "rel_l2_after_lbfgs": rel_l2(model, t, x, u),
            }

    result |= {
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "float": str(torch.get_default_dtype()).removeprefix("torch."),
        "points": {"domain": 2540, "boundary": 80, "initial": 160, "resampled": False},
        "versions": {
            "deepxde": dde.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "device": f"cpu:{platform.machine()}",
        "cpu_count": os.cpu_count(),
        "backend": dde.backend.backend_name,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
