"""Allen-Cahn, u_t = 1e-4 u_xx - 5u³ + 5u, x periodic on [-1, 1], u_0 = x² cos πx (JAX-PI).

Command: ``sciml pinn allen_cahn``. A small network trained far: MLP 4x32 tanh on the exact
periodic embedding (cos πx, sin πx) with exact initial data (3329 parameters), float64. 2000 Adam
steps with causal weighting (32 chunks) on 2048 points redrawn every step, then dense BFGS (the
full inverse Hessian, zoom line search) for 12000 iterations in four rounds of 3000 on 4096 fresh
points each. Adam alone barely moves the error (0.51 after 5000 steps in a trial); BFGS does the
work: in that trial 4.9e-3 after 1000 iterations, 1.0e-3 after 3000, 6.4e-4 after 8000.
Measured on 2 CPU cores (seed 0): relative L2 6.02e-4 on the 201 x 513 grid in 581 s (1.4e-3
after the first round, 6.4e-4 after the third; rows: ``sciml bench pinn``).

The previous recipe (JAX-PI's ingredients at CPU scale: modified MLP 4x64 with random weight
factorisation, grad-norm weights, 20000 Adam + 2000 L-BFGS) reached 1.03e-2 in 1115 s. JAX-PI
reaches 5.37e-5 with 300k steps of a 4x256 network at batch 8192 on a GPU [repo].
"""

from sciml.configs._variants import pick
from sciml.pinn import CausalConfig, ModelConfig, OptimConfig, PINNConfig, SamplingConfig


def long() -> PINNConfig:
    return PINNConfig(
        problem="allen_cahn",
        dtype="float64",
        model=ModelConfig(width=32, depth=4, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2048),
        causal=CausalConfig(enabled=True, chunks=32, tolerance=1.0),
        optim=OptimConfig(
            steps=2000,
            lbfgs_steps=12000,
            lbfgs_rounds=4,
            lbfgs_points=4096,
            quasi_newton="bfgs",
        ),
        eval_every=1000,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("allen_cahn", {"default": long, "long": long}, variant)
