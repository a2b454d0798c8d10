r"""Residual-based adaptive distribution (RAD) of collocation points (Wu et al. 2023).

From a pool of candidates drawn uniformly, points are drawn without replacement with probability

.. math:: p(z) \propto \frac{|r(z)|^k}{\mathbb{E}|r|^k} + c,

so they concentrate where the residual is large (the front of Burgers' solution) while
:math:`c` keeps a uniform share. The residual is evaluated without gradient.
"""

import jax
import jax.numpy as jnp

from sciml.pinn._terms import PointFn, Term


def rad_points(
    term: Term, u: PointFn, key: jax.Array, n: int, *, pool: int, k: float = 1.0, c: float = 1.0
) -> jax.Array:
    """``n`` points of ``term`` drawn by RAD from ``pool`` uniform candidates."""
    if pool < n:
        raise ValueError(f"RAD needs a pool of at least {n} candidates, got {pool}")
    candidates_key, choice_key = jax.random.split(key)
    candidates = term.sample(candidates_key, pool)
    r = term.on_points(u, candidates)
    magnitude = jax.lax.stop_gradient(jnp.sqrt(jnp.sum(r.reshape(pool, -1) ** 2, axis=1)))
    density = magnitude**k / (jnp.mean(magnitude**k) + 1e-30) + c
    chosen = jax.random.choice(choice_key, pool, (n,), replace=False, p=density / density.sum())
    return candidates[chosen]
