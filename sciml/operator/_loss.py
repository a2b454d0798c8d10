r"""Losses and metrics of operator learning, per sample then averaged over the batch.

- relative :math:`L^2`: :math:`\|\hat u - u\|_2 / \|u\|_2` over the grid nodes (the FNO/MgNO
  metric, ``LpLoss.rel``);
- relative :math:`H^1`: :math:`\|\hat u - u\|_{H^1} / \|u\|_{H^1}` with
  :math:`\|v\|_{H^1}^2 = \sum v^2 + \sum |\nabla_h v|^2`, :math:`\nabla_h` second-order finite
  differences (:func:`physics.fd.gradient`) with one-sided closures at Dirichlet edges and
  periodic wrap on periodic grids. MgNO's ``HsLoss`` weights Fourier modes instead, which
  treats a non-periodic Darcy field as periodic; the finite-difference form has no such artefact;
- MSE: the mean of :math:`(\hat u - u)^2` (DeepONet's antiderivative metric);
- the PINO-style physics term (Li et al. 2021b): the relative residual
  :math:`\|-\nabla\cdot(a\nabla\hat u) - f\|_2 / \|f\|_2` on the interior nodes, from
  :func:`physics.residuals.darcy` on the grid (the only PDE of the four data sets with a
  grid residual of a single output snapshot).
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from physics import fd, residuals

_TINY = 1e-12  # guards the division for an all-zero target; never reached by real data


def _per_sample_norm(x: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1))


def relative_l2(prediction: jax.Array, target: jax.Array) -> jax.Array:
    """Mean over the batch of :math:`\\|\\hat u - u\\|_2/\\|u\\|_2`."""
    return jnp.mean(_per_sample_norm(prediction - target) / (_per_sample_norm(target) + _TINY))


def mse(prediction: jax.Array, target: jax.Array) -> jax.Array:
    return jnp.mean((prediction - target) ** 2)


def relative_h1(
    prediction: jax.Array, target: jax.Array, spacing: Sequence[float], bc: str
) -> jax.Array:
    """Mean over the batch of the relative discrete :math:`H^1` error, fields ``[B, *space, C]``."""

    def h1_squared(v):
        grad = jax.vmap(lambda w: fd.gradient(w, spacing, bc=bc))(v)
        flat = lambda x: jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1)
        return flat(v) + flat(grad)

    error = h1_squared(prediction - target)
    return jnp.mean(jnp.sqrt(error / (h1_squared(target) + _TINY)))


def darcy_residual(
    solution: jax.Array, coefficient: jax.Array, spacing: Sequence[float], source: float
) -> jax.Array:
    """Mean over the batch of the relative Darcy residual on the interior (``[B, X, Y, 1]``)."""

    def one(u, a):
        grid = residuals.Grid(u[..., 0], spacing, bc="dirichlet")
        r = residuals.darcy(grid, permeability=a[..., 0], source=source)
        interior = r[1:-1, 1:-1]
        return jnp.sqrt(jnp.mean(interior**2)) / abs(source)

    return jnp.mean(jax.vmap(one)(solution, coefficient))
