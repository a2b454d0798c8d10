r"""Levenberg–Marquardt on the normal equations, for least squares :math:`L(z) = \sum r(z)^2`
with few unknowns (up to a few thousand) and any number of residuals.

Each step solves :math:`(J^\top J + \lambda\,\mathrm{diag}(J^\top J))\,\delta = -J^\top r`; the
trial :math:`z + \delta` is kept when it lowers L (then :math:`\lambda \leftarrow \lambda/3`),
otherwise :math:`\lambda \leftarrow 2\lambda`. It stops after ``max_steps`` trials, when a kept
step lowers L by at most ``rtol``·L, or when λ passes 1e12. The caller assembles
:math:`J^\top J` and :math:`J^\top r` (from structure, or block by block with
:func:`blocked_normal_equations`), so the whole Jacobian never has to be in memory.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

MAX_DAMPING = 1e12


def levenberg_marquardt(
    normal_equations: Callable,
    loss: Callable,
    z0: jax.Array,
    *,
    max_steps: int,
    rtol: float = 0.0,
    damping: float = 1e-3,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Minimise from ``z0``: ``normal_equations(z) -> (L, JᵀJ, Jᵀr)``, ``loss(z) -> L``.
    Returns the minimiser, its loss and the number of trials; traceable (a ``while_loop``)."""

    def keep_going(state):
        *_, step, done = state
        return (step < max_steps) & ~done

    def iterate(state):
        z, value, matrix, gradient, damping, step, _ = state
        diagonal = jnp.diag(matrix) + 1e-12 * jnp.max(jnp.diag(matrix))
        delta = jnp.linalg.solve(matrix + damping * jnp.diag(diagonal), -gradient)
        trial = z + delta
        trial_value = loss(trial)
        accept = jnp.isfinite(trial_value) & (trial_value < value)
        new = jax.lax.cond(
            accept,
            lambda: (trial, *normal_equations(trial)),
            lambda: (z, value, matrix, gradient),
        )
        converged = accept & (value - trial_value <= rtol * value)
        stuck = damping > MAX_DAMPING
        damping = jnp.where(accept, damping / 3.0, damping * 2.0)
        return (*new, damping, step + 1, converged | stuck)

    state = (z0, *normal_equations(z0), jnp.asarray(damping, z0.dtype), 0, jnp.asarray(False))
    z, value, _, _, _, steps, _ = jax.lax.while_loop(keep_going, iterate, state)
    return z, value, steps


def blocked_normal_equations(residual: Callable, blocks) -> tuple[Callable, Callable]:
    """``(normal_equations, loss)`` of ``residual(z, block) -> r [m]`` summed over the leading
    axis of the PyTree ``blocks``: one block's Jacobian (by ``jacfwd``) in memory at a time."""

    def normal_equations(z):
        def add(total, block):
            r = residual(z, block)
            jacobian = jax.jacfwd(residual)(z, block)
            value, matrix, gradient = total
            return (value + r @ r, matrix + jacobian.T @ jacobian, gradient + jacobian.T @ r), None

        zero = (jnp.zeros((), z.dtype), jnp.zeros((z.size, z.size), z.dtype), jnp.zeros_like(z))
        return jax.lax.scan(add, zero, blocks)[0]

    def loss(z):
        return jnp.sum(jax.lax.map(lambda block: jnp.sum(residual(z, block) ** 2), blocks))

    return normal_equations, loss
