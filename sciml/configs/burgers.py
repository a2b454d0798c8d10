"""Burgers, nu = 0.01/pi (Raissi et al. 2019): relative L2 on the 101 x 256 grid.

Command: ``sciml pinn burgers --config quick`` (default) or ``--config long``.

Both train an MLP 8x20 tanh (3021 parameters) with exact initial and boundary data in float64:
500 Adam steps on 2000 points redrawn every step (RAD), then dense BFGS (the full 3021 x 3021
inverse Hessian, zoom line search) on 5000 fixed RAD points. Dense BFGS is the step that
matters: ``--config long --set optim.quasi_newton=lbfgs`` (L-BFGS, memory 50) ends at 9.8e-4,
``long`` itself at 2.7e-5. In float32 BFGS stalls (loss flat at 8.5e-7 from iteration 900 on,
the line searches failing): use float64.

- ``quick``: 1500 BFGS iterations in three rounds of 500 on fresh RAD points, each round
  starting from the last inverse Hessian (``optim.keep_hessian``); about 2 minutes on 2 CPU
  cores. Fresh points matter: on one round of 5000 fixed points seed 1 drove the loss to 4e-7
  while its error stayed at 6e-3 (the points under-sample the shock); three rounds: 2.2e-4.
- ``long``: 4000 BFGS iterations in two rounds of fresh RAD points; about 4 minutes.
- ``deepxde``: DeepXDE's example set-up, for the throughput comparison.

Measured rows (errors, times, seeds): ``sciml bench pinn``.
"""

from sciml.configs._variants import pick
from sciml.pinn import ModelConfig, OptimConfig, PINNConfig, SamplingConfig

EVALUATION_GRID = (("nt", 101), ("nx", 256))


def quick() -> PINNConfig:
    return PINNConfig(
        problem="burgers",
        reference_params=EVALUATION_GRID,
        dtype="float64",
        model=ModelConfig(width=20, depth=8, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2000, rad=True),
        optim=OptimConfig(
            steps=500,
            lbfgs_steps=1500,
            lbfgs_points=5000,
            lbfgs_rounds=3,
            quasi_newton="bfgs",
            keep_hessian=True,
        ),
        eval_every=500,
    )


def long() -> PINNConfig:
    return quick().replace(
        optim=OptimConfig(
            steps=500, lbfgs_steps=4000, lbfgs_points=5000, lbfgs_rounds=2, quasi_newton="bfgs"
        ),
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
