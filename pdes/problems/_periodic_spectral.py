"""Reference solutions of 1-D periodic problems by ETDRK4, sampled on a closed grid."""

import jax
import jax.numpy as jnp
import numpy as np

from pdes._reference import Reference
from pdes.solvers import etdrk4


def check_time_grid(problem: str, t_final: float, nt: int, dt: float) -> int:
    """Steps between saved frames; the frame spacing must be a whole number of steps."""
    steps = (t_final / (nt - 1)) / dt
    if not (dt > 0 and abs(steps - round(steps)) < 1e-9 * steps):
        raise ValueError(
            f"{problem}: dt={dt} must divide the frame spacing {t_final / (nt - 1)} exactly"
        )
    return round(steps)


def etdrk4_reference(problem, u0, terms, *, x_bounds, t_final, nt, n_modes, dt) -> Reference:
    """Solve on ``n_modes`` periodic points in float64, then append the periodic endpoint."""
    save_every = check_time_grid(problem.name, t_final, nt, dt)
    lo, hi = x_bounds
    x = lo + (hi - lo) * np.arange(n_modes) / n_modes
    linear, nonlinear = terms
    with jax.enable_x64(True):
        solve = jax.jit(
            lambda u: etdrk4(
                u,
                length=hi - lo,
                linear=linear,
                nonlinear=nonlinear,
                dt=dt,
                save_every=save_every,
                n_saves=nt - 1,
            )
        )
        frames = np.asarray(solve(jax.vmap(u0)(jnp.asarray(x)[:, None])), dtype=np.float64)
    values = np.concatenate([frames, frames[:, :1]], axis=1)
    axes = (np.linspace(0.0, t_final, nt), np.append(x, hi))
    method = f"ETDRK4 (Kassam-Trefethen), dt={dt:g}, {n_modes} Fourier modes, float64"
    return Reference(axes, values, problem.variables, method)
