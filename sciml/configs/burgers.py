"""Burgers, nu = 0.01/pi (Raissi et al. 2019): relative L2 on the 101 x 256 grid.

Command: ``sciml pinn burgers --config quick`` (default) or ``--config long``.

- ``quick``: MLP 8x20 tanh with exact initial and boundary data, 500 Adam steps on 2000 points
  redrawn every step (RAD), then 4000 L-BFGS iterations in two rounds of 5000 fixed RAD points.
  About 2 minutes on 2 CPU cores; relative L2 1e-3 to 3e-3 depending on the seed (float32
  L-BFGS stalls there; measured rows: ``sciml bench pinn``).
- ``long``: the same in float64 with 8000 points and 8000 L-BFGS iterations in four rounds,
  about 10 minutes.
- ``deepxde``: DeepXDE's example set-up, for the throughput comparison.
"""

from sciml.configs._variants import pick
from sciml.pinn import ModelConfig, OptimConfig, PINNConfig, SamplingConfig

EVALUATION_GRID = (("nt", 101), ("nx", 256))


def quick() -> PINNConfig:
    return PINNConfig(
        problem="burgers",
        reference_params=EVALUATION_GRID,
        model=ModelConfig(width=20, depth=8, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2000, rad=True),
        optim=OptimConfig(steps=500, lbfgs_steps=4000, lbfgs_points=5000, lbfgs_rounds=2),
        eval_every=500,
    )


def long() -> PINNConfig:
    return quick().replace(
        dtype="float64",
        optim=OptimConfig(steps=1000, lbfgs_steps=8000, lbfgs_points=8000, lbfgs_rounds=4),
        eval_every=1000,
    )


def deepxde() -> PINNConfig:
    """DeepXDE's Burgers example in this engine (the throughput comparison): 2-20-20-20-1 tanh,
    2540 residual, 80 boundary and 160 initial points, Adam at 1e-3 for 15000 steps."""
    return PINNConfig(
        problem="burgers",
        reference_params=EVALUATION_GRID,
        model=ModelConfig(width=20, depth=3, hard_constraints=False),
        sampling=SamplingConfig(residual_points=2540, boundary_points=80, initial_points=160),
        optim=OptimConfig(steps=15000, learning_rate=1e-3, schedule="constant"),
        eval_every=5000,
    )


VARIANTS = {"default": quick, "quick": quick, "long": long, "deepxde": deepxde}


def get_config(variant: str = "default") -> PINNConfig:
    return pick("burgers", VARIANTS, variant)
