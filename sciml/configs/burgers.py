"""Burgers, nu = 0.01/pi (Raissi et al. 2019): relative L2 on the 101 x 256 grid.

Command: ``sciml pinn burgers --config quick`` (default) or ``--config long``.

- ``quick``: MLP 4x32 tanh with exact initial and boundary data, 1000 Adam steps on 2000 points
  redrawn every step, then L-BFGS on 8000 fixed points. About 2 minutes on 2 CPU cores; expected
  relative L2 a few 1e-3 (measured rows: ``sciml bench pinn``).
- ``long``: more points, more L-BFGS iterations; expected below 1e-3.
"""

from sciml.configs._variants import pick
from sciml.pinn import ModelConfig, OptimConfig, PINNConfig, SamplingConfig

EVALUATION_GRID = (("nt", 101), ("nx", 256))


def quick() -> PINNConfig:
    return PINNConfig(
        problem="burgers",
        reference_params=EVALUATION_GRID,
        model=ModelConfig(width=32, depth=4, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2000),
        optim=OptimConfig(steps=1000, lbfgs_steps=3000, lbfgs_points=8000),
        eval_every=500,
    )


def long() -> PINNConfig:
    base = quick()
    return base.replace(
        sampling=SamplingConfig(residual_points=4000),
        optim=OptimConfig(steps=2000, lbfgs_steps=10000, lbfgs_points=20000),
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
