"""Allen-Cahn, u_t = 1e-4 u_xx - 5u³ + 5u, x periodic on [-1, 1], u_0 = x² cos πx (JAX-PI).

Command: ``sciml pinn allen_cahn``. JAX-PI's ingredients at CPU scale: modified MLP 4x64 with
random weight factorisation, periodic embedding, exact initial data, causal weighting (32
chunks) and gradient-norm weights, 20000 Adam steps on 2048 points redrawn every step, then 2000
L-BFGS iterations on 4096 fixed points. Measured on 2 CPU cores (seed 0): 1115 s, relative L2
1.03e-2 on the 201 x 513 grid (2.1e-2 after Adam; L-BFGS was still lowering it by 0.7x per
1000 iterations). JAX-PI reaches 5.37e-5 with 300k steps of a 4x256 network at batch 8192 on a
GPU [repo].
"""

from sciml.configs._variants import pick
from sciml.pinn import (
    CausalConfig,
    ModelConfig,
    OptimConfig,
    PINNConfig,
    SamplingConfig,
    WeightingConfig,
)


def long() -> PINNConfig:
    return PINNConfig(
        problem="allen_cahn",
        model=ModelConfig(arch="modified_mlp", width=64, depth=4, rwf=True, hard_constraints=True),
        sampling=SamplingConfig(residual_points=2048),
        weighting=WeightingConfig(scheme="grad_norm", every=1000),
        causal=CausalConfig(enabled=True, chunks=32, tolerance=1.0),
        optim=OptimConfig(steps=20000, decay_steps=2000, lbfgs_steps=2000, lbfgs_points=4096),
        eval_every=1000,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("allen_cahn", {"default": long, "long": long}, variant)
