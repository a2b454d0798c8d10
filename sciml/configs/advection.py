r"""Advection, u_t + 100 u_x = 0, x periodic on [0, 2π], t in [0, 1], u_0 = sin x (JAX-PI's case).

Command: ``sciml pinn advection``. The solution crosses the domain 16 times; 10 time windows
each train a modified MLP 4x64 (periodic embedding in x, exact initial data) with causal
weighting for 1000 Adam steps and 500 L-BFGS iterations, starting from the previous window.
JAX-PI reaches 6.88e-4 with 200k steps of a 4x256 network on a GPU [repo].

Measured (seed 0, 1081 s on 2 CPU cores): this recipe FAILS, relative L2 about 1e2, already
wrong inside the first window. Suspected cause, not yet tested: the exact initial data
:math:`u = u_0 + (t - t_k) N` makes the network output :math:`N \approx -c \cos x` (about 100)
near each window start, far outside the range a tanh network's output starts in; and causal
weights with tolerance 1 on residuals of size :math:`c` stay at zero for later chunks during Adam.

A second attempt (2026-11-26) with the recipe that works for Burgers, Allen-Cahn and KdV (MLP 4x32
on the periodic embedding, float64, 20 windows of 0.05, 300 Adam steps then dense BFGS, no causal
weights) was no better: window 0 stood at 0.65 after 400 BFGS iterations. JAX-PI's published
ablation names the missing ingredient: without its trainable time-period embedding the same
setting ends at 7.37e-1 (with it 1.02e-2, ../shared/reference/published-numbers.md). A periodic
embedding in t with a trainable period is the next thing to build here.
"""

from sciml.configs._variants import pick
from sciml.pinn import CausalConfig, ModelConfig, OptimConfig, PINNConfig, SamplingConfig


def long() -> PINNConfig:
    return PINNConfig(
        problem="advection",
        time_windows=10,
        model=ModelConfig(arch="modified_mlp", width=64, depth=4, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2048),
        causal=CausalConfig(enabled=True, chunks=16, tolerance=1.0),
        optim=OptimConfig(steps=1000, lbfgs_steps=500, lbfgs_points=4096),
        eval_every=500,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("advection", {"default": long, "long": long}, variant)
