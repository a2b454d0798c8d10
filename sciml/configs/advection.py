r"""Advection, u_t + 100 u_x = 0, x periodic on [0, 2π], t in [0, 1], u_0 = sin x (JAX-PI's case).

Command: ``sciml pinn advection``. The solution crosses the domain 16 times. The ingredient that
JAX-PI's ablation shows to be essential (without it their setting ends at 7.37e-1) is the time
embedding: t enters the network only as (cos ωt, sin ωt) with ω trainable. Here ω starts at
c k_0 = 100, the advection speed times the initial data's wavenumber, i.e. the model is told the
temporal frequency of the exact solution; JAX-PI starts it at 3π (with c = 80 in their scripts)
and trains 200k steps. From 3π this recipe fails (relative L2 1.07): state the start you use.

Recipe: MLP 4x32 tanh on (cos ωt, sin ωt, cos x, sin x) (3362 parameters with ω), float64,
initial data as a loss term (a network periodic in t cannot carry the exact-initial-data
transform), weights balanced by gradient norms every 100 steps; 1000 Adam steps on 2048 points
redrawn every step, then 600 dense-BFGS iterations in two rounds of 4096 fresh points (the
second round keeps the inverse Hessian). Trial (seed 0): 5.4e-2 after Adam, 2.0e-5 at the end,
98 s on 2 CPU cores; rows (3 seeds): ``sciml bench pinn``.
JAX-PI reaches 6.88e-4 with 200k steps of a 4x256 network on a GPU [repo].

Earlier recipes, without the time embedding, failed: ten windows of a modified MLP 4x64 with
exact initial data and L-BFGS ended at 1.09e2 (1072 s); twenty windows of an MLP 4x32 with
dense BFGS stood at 0.65 in window 0 after 400 iterations.
"""

from sciml.configs._variants import pick
from sciml.pinn import (
    ModelConfig,
    OptimConfig,
    PINNConfig,
    SamplingConfig,
    WeightingConfig,
)


def quick() -> PINNConfig:
    return PINNConfig(
        problem="advection",
        dtype="float64",
        model=ModelConfig(width=32, depth=4, time_frequency=100.0),
        sampling=SamplingConfig(residual_points=2048),
        weighting=WeightingConfig(scheme="grad_norm", every=100),
        optim=OptimConfig(
            steps=1000,
            lbfgs_steps=600,
            lbfgs_rounds=2,
            lbfgs_points=4096,
            quasi_newton="bfgs",
            keep_hessian=True,
        ),
        eval_every=200,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("advection", {"default": quick, "quick": quick}, variant)
