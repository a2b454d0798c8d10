"""Wave, u_tt = 4 u_xx on x, t in [0, 1] (PINNacle Wave1d-C), u = 0 at x = 0, 1, u_t(0) = 0.

Command: ``sciml pinn wave``. MLP 4x64 tanh with the initial value and boundary data built in
(the initial rate stays a loss term), gradient-norm weights, 2000 Adam steps on 2048 points
redrawn every step, then 2000 L-BFGS iterations on 4096 fixed points. Expected: a few minutes on
2 CPU cores (measured rows: ``sciml bench pinn``). PINNacle's best method (NTK, 20k Adam steps,
MLP 5x100, soft constraints) reaches 9.79e-2 on this problem [secondary].
"""

from sciml.configs._variants import pick
from sciml.pinn import ModelConfig, OptimConfig, PINNConfig, WeightingConfig


def quick() -> PINNConfig:
    return PINNConfig(
        problem="wave",
        model=ModelConfig(width=64, depth=4, hard_constraints=True),
        weighting=WeightingConfig(scheme="grad_norm", every=500),
        optim=OptimConfig(steps=2000, lbfgs_steps=2000, lbfgs_points=4096),
        eval_every=500,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("wave", {"default": quick, "quick": quick}, variant)
