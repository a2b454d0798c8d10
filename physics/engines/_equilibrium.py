r"""Steady states of the engine model: damped Newton on (p_im, p_em, X_Oim, X_Oem, ω_t).

At an equilibrium the actuators sit at their saturated commands, and the remaining five states
solve :math:`f(x) = 0`. Newton runs on the nondimensional states (p/p_amb, X_O, ω_t/1e4) with a
backtracking line search (Armijo, step halved up to ten times) that only accepts physical states
(positive pressures and ω_t, oxygen fractions in [0, 1]); far from a known point, continue along
a path of inputs with :func:`equilibrium_path` rather than guessing.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from physics._types import Array
from physics.engines._actuators import saturate_actuator_commands
from physics.engines._model import engine_rhs
from physics.engines._parameters import EngineParameters
from physics.engines._state import EngineInputs, EngineState, state_scale

STEP_FRACTIONS = 0.5 ** np.arange(11.0)
"""Line-search candidates: full Newton step, then halved up to ten times."""

ARMIJO = 1e-4
"""Sufficient decrease of the residual norm required to accept a step (the usual 1e-4)."""


class Equilibrium(NamedTuple):
    state: EngineState
    inputs: EngineInputs
    residual: Array
    iterations: Array
    converged: Array


def _default_guess(params: EngineParameters) -> EngineState:
    """A mid-load operating point; Newton converges from it over most of the input range."""
    return EngineState(1.5 * params.p_amb, 1.6 * params.p_amb, 0.22, 0.12, 6500.0, 0.0, 0.0, 0.0)


def equilibrium(
    inputs: EngineInputs,
    params: EngineParameters,
    guess: EngineState | None = None,
    *,
    tol: float = 1e-12,
    max_iterations: int = 50,
) -> Equilibrium:
    """The steady state for constant commands ``inputs`` (actuators at the commands).

    Args:
        inputs: constant commands (n_e rpm, u_δ mg, u_egr %, u_vgt %).
        guess: starting state (only p_im, p_em, X_Oim, X_Oem and ω_t are used).
        tol: bound on the max-norm of the nondimensional rates (1/s): 1e-12 means
            |dp/dt| < 1e-7 Pa/s.

    Returns:
        The state, the inputs, the final residual norm, the Newton iterations and whether the
        residual fell below ``tol``.

    Example:
        >>> with jax.enable_x64(True):
        ...     eq = equilibrium(EngineInputs(1500.0, 110.976447879888, 15.3657549771663,
        ...                                   70.8311084176616), EngineParameters())
        >>> bool(eq.converged), round(float(eq.state.p_im))
        (True, 156530)
    """
    p = params
    guess = _default_guess(p) if guess is None else guess
    u_egr, u_vgt = saturate_actuator_commands(inputs.u_egr, inputs.u_vgt)
    scale = state_scale(p.p_amb)
    dtype = jnp.result_type(float)
    slow = jnp.asarray([scale.p_im, scale.p_em, scale.X_Oim, scale.X_Oem, scale.omega_t], dtype)

    def full_state(z):
        x = z * slow
        return EngineState(x[0], x[1], x[2], x[3], x[4], u_egr, u_egr, u_vgt)

    def residual(z):
        rates = engine_rhs(full_state(z), inputs, p)
        r = jnp.stack([rates.p_im, rates.p_em, rates.X_Oim, rates.X_Oem, rates.omega_t]) / slow
        return r

    def norm(r):
        return jnp.where(jnp.all(jnp.isfinite(r)), jnp.max(jnp.abs(r)), jnp.inf)

    def physical(z):
        """Positive pressures and turbine speed, oxygen fractions in [0, 1]: the model has
        roots outside this region (e.g. ω_t < 0) that Newton must not step into."""
        return (z[0] > 0) & (z[1] > 0) & (z[4] > 0) & jnp.all((z[2:4] >= 0) & (z[2:4] <= 1))

    def newton(carry):
        z, r, it = carry
        step = jnp.linalg.solve(jax.jacfwd(residual)(z), -r)
        candidates = z[None, :] + STEP_FRACTIONS[:, None] * step[None, :]
        norms = jax.vmap(lambda c: jnp.where(physical(c), norm(residual(c)), jnp.inf))(candidates)
        accept = norms <= (1.0 - ARMIJO * STEP_FRACTIONS) * norm(r)
        pick = jnp.where(jnp.any(accept), jnp.argmax(accept), jnp.argmin(norms))
        z_new = jnp.where(jnp.isfinite(norms[pick]), candidates[pick], z)  # else stay
        return z_new, residual(z_new), it + 1

    z0 = (
        jnp.stack([guess.p_im, guess.p_em, guess.X_Oim, guess.X_Oem, guess.omega_t]).astype(dtype)
        / slow
    )
    z, r, it = jax.lax.while_loop(
        lambda c: (norm(c[1]) > tol) & (c[2] < max_iterations),
        newton,
        (z0, residual(z0), jnp.asarray(0)),
    )
    return Equilibrium(full_state(z), inputs, norm(r), it, norm(r) <= tol)


def equilibrium_path(
    inputs: EngineInputs, params: EngineParameters, guess: EngineState | None = None, **kwargs
) -> Equilibrium:
    """Equilibria along a sequence of inputs (each field shaped ``[n]``), each solve starting from
    the previous solution (continuation); returns an :class:`Equilibrium` with ``[n]`` leaves."""
    guess = _default_guess(params) if guess is None else guess

    def solve(previous, u):
        eq = equilibrium(EngineInputs(*u), params, previous, **kwargs)
        return eq.state, eq

    _, path = jax.lax.scan(solve, guess, tuple(inputs))
    return path
