"""Korteweg-de Vries, u_t + u u_x + 0.022² u_xxx = 0, x periodic on [-1, 1], u_0 = cos πx.

Command: ``sciml pinn kdv``. Four time windows, each an MLP 4x32 tanh on the exact periodic
embedding with exact initial data, float64, starting from the previous window: 1000 Adam steps
with causal weighting (16 chunks) on 2048 points redrawn every step, then 2000 dense-BFGS
iterations on 4096 fixed points (the recipe that took Allen-Cahn to 6e-4; see its config).
Measured on 2 CPU cores (seed 0): relative L2 6.93e-4 on the 201 x 513 grid in 898 s (window
errors after BFGS 4e-5, 1.3e-4, 3.1e-4, ...; rows: ``sciml bench pinn``). PirateNet reaches
4.27e-4 with 200k steps of 3x256 blocks on a GPU [repo]. The previous recipe (modified MLP 4x64,
L-BFGS) had window 0 at 1.1e-3 after 2000 Adam steps.
"""

from sciml.configs._variants import pick
from sciml.pinn import CausalConfig, ModelConfig, OptimConfig, PINNConfig, SamplingConfig


def long() -> PINNConfig:
    return PINNConfig(
        problem="kdv",
        time_windows=4,
        dtype="float64",
        model=ModelConfig(width=32, depth=4, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2048),
        causal=CausalConfig(enabled=True, chunks=16, tolerance=1.0),
        optim=OptimConfig(steps=1000, lbfgs_steps=2000, lbfgs_points=4096, quasi_newton="bfgs"),
        eval_every=1000,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("kdv", {"default": long, "long": long}, variant)
