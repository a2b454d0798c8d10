r"""neuraloperator's 2-D FNO (PyTorch, eager), training steps timed on random Darcy-shaped data.

Runs with the peer environment, never with the project's venv; prints one JSON line::

    /work/peer-venv/bin/python benchmarks/peers/neuralop_fno.py --resolution 85 --threads 2

The network is ``neuralop.models.FNO`` set up as the original FNO (Li et al. 2021,
``fourier_2d.py``) as far as its API allows, which here is exactly:

- ``positional_embedding="grid"``: the two coordinates appended to the input (3 channels in);
- ``lifting_channel_ratio=0``: a single pointwise linear lifting to ``width`` (the original
  ``fc0``), not neuralop's default two-layer channel MLP;
- ``projection_channel_ratio=128/width``: pointwise ``width -> 128 -> GELU -> out`` (the original
  ``fc1``/``fc2``);
- ``use_channel_mlp=False``, ``fno_skip="linear"`` (bias-free 1x1 convolution), ``norm=None``,
  no domain padding, no factorization: block ``l`` is
  :math:`\sigma(K_l v + W_l v + b_l)` with GELU after every block but the last, and the bias
  :math:`b_l` sits on the spectral convolution instead of on :math:`W_l`;
- ``n_modes = (2m, 2m - 1)`` for our ``modes = (m, m)``. In neuralop 2.0 ``n_modes`` counts all
  modes kept along a dimension, negative frequencies included (``SpectralConv``: "n_modes is the
  total number of modes kept along each dimension"), and the real-FFT last axis keeps
  ``n_modes[-1] // 2 + 1`` of them (the ``n_modes`` setter). After the FFT shift the kept band
  along a full axis is the frequencies :math:`-\lfloor n/2 \rfloor \le k <
  \lceil n/2 \rceil`. So ``n_modes = (24, 23)`` keeps :math:`k_1 \in [-12, 11]`,
  :math:`k_2 \in [0, 11]`: the same 24 x 12 modes as the original's two corner blocks of
  ``modes = 12``, and the same weight count.

With these choices both models have the same parameters (2,368,001 at width 32, 12 modes, 4
layers, complex weights counted as two reals, as ``neuralop.utils.count_model_params`` does).
Remaining differences: the grid embedding uses :math:`x_j = j / N` (the original and this
project: :math:`j / (N - 1)`), and initialisations differ; neither changes the cost of a step.

One step is forward, the relative L2 loss
:math:`\frac{1}{B} \sum_b \lVert \hat u_b - u_b \rVert_2 / \lVert u_b \rVert_2`,
backward and an Adam update (``torch.optim.Adam``, lr 1e-3, its default implementation), on one
fixed batch of uniform random inputs and targets (a speed benchmark: the values do not matter,
and no data loading is timed). ``--warmup`` steps run first, untimed; the steady rate is the
next ``--steps`` steps over their wall time, with the process CPU time per step beside it.
PyTorch's OpenMP threads spin while they wait; on a machine shared with other work set
``OMP_WAIT_POLICY=PASSIVE`` (recorded in the row).
"""

import argparse
import json
import os
import platform
import time

import neuralop
import numpy as np
import torch
from neuralop.models import FNO

PROJECTION = 128  # the original FNO's fc1 width


def n_modes(modes: int) -> tuple[int, int]:
    """neuralop's ``n_modes`` for the original FNO's ``modes`` per axis (see the docstring)."""
    return (2 * modes, 2 * modes - 1)


def build_model(width: int, modes: int, layers: int) -> FNO:
    return FNO(
        n_modes=n_modes(modes),
        in_channels=1,
        out_channels=1,
        hidden_channels=width,
        n_layers=layers,
        lifting_channel_ratio=0,
        projection_channel_ratio=PROJECTION / width,
        positional_embedding="grid",
        norm=None,
        use_channel_mlp=False,
        fno_skip="linear",
        domain_padding=None,
        factorization=None,
    )


def count_params(model: torch.nn.Module) -> int:
    """Real parameters: a complex weight counts twice, as ``count_model_params`` does."""
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())


def rel_l2(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    dims = tuple(range(1, target.ndim))
    return (
        torch.linalg.vector_norm(prediction - target, dim=dims)
        / torch.linalg.vector_norm(target, dim=dims)
    ).mean()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=85, help="grid points per axis")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--modes", type=int, default=12, help="as the original FNO's modes")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=200, help="timed steps")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.resolution < 2 * args.modes:
        parser.error(f"--resolution {args.resolution} cannot hold {args.modes} modes per axis")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build_model(args.width, args.modes, args.layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    shape = (args.batch, 1, args.resolution, args.resolution)
    a, u = torch.rand(shape), torch.rand(shape)

    def step() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = rel_l2(model(a), u)
        loss.backward()
        optimizer.step()
        return loss

    start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    warmup_wall = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        loss = step()
    loss = float(loss.detach())  # eager PyTorch on the CPU has already finished every step here
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    result = {
        "engine": "neuralop",
        "steps": args.steps,
        "warmup_steps": args.warmup,
        "warmup_seconds": round(warmup_wall, 3),
        "steps_per_second_steady": round(args.steps / wall, 3),
        "ms_per_step_steady": round(1e3 * wall / args.steps, 2),
        "cpu_ms_per_step_steady": round(1e3 * cpu / args.steps, 2),
        "final_loss": loss,
        "params": count_params(model),
        "resolution": args.resolution,
        "batch": args.batch,
        "width": args.width,
        "modes": args.modes,
        "n_modes": list(n_modes(args.modes)),
        "layers": args.layers,
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "float": str(torch.get_default_dtype()).removeprefix("torch."),
        "versions": {
            "neuraloperator": neuralop.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "device": f"cpu:{platform.machine()}",
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
