"""Heat, u_t = 0.05 u_xx on [0, 1], u = 0 at both ends, two sine modes (exact solution).

Command: ``sciml pinn heat``. MLP 3x32 tanh with exact initial and boundary data, 1000 Adam
steps on 2048 points redrawn every step, then 1000 L-BFGS iterations on 4096 fixed points.
Expected: well under a minute on 2 CPU cores, relative L2 about 1e-4 on the 101 x 101 grid
(measured rows: ``sciml bench pinn``).
"""

from sciml.configs._variants import pick
from sciml.pinn import ModelConfig, OptimConfig, PINNConfig


def quick() -> PINNConfig:
    return PINNConfig(
        problem="heat",
        model=ModelConfig(width=32, depth=3, hard_constraints=True),
        optim=OptimConfig(steps=1000, lbfgs_steps=1000, lbfgs_points=4096),
        eval_every=500,
    )


def get_config(variant: str = "default") -> PINNConfig:
    return pick("heat", {"default": quick, "quick": quick}, variant)
