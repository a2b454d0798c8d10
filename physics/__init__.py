r"""Differentiable operators for JAX: autodiff operators on callables, finite-difference and
spectral operators on grids, and PDE residuals. Depends only on jax, numpy and jaxtyping.

>>> import jax, jax.numpy as jnp
>>> import physics
>>> u = lambda z: jnp.sum(z**2)              # |z|^2 in 3 dimensions
>>> lap = jax.jit(jax.vmap(physics.laplacian(u)))
>>> lap(jnp.ones((5, 3))).tolist()           # Δ|z|^2 = 2 d
[6.0, 6.0, 6.0, 6.0, 6.0]

Modules: :mod:`physics.fd` (finite differences), :mod:`physics.spectral` (FFT derivatives),
:mod:`physics.residuals` (PDE residuals on callables and grids), :mod:`physics.engines` (the
mean-value diesel engine model as pure functions).
"""

from physics import engines, fd, residuals, spectral
from physics._autodiff import divergence, grad, hessian, laplacian, partial, time_derivative

__version__ = "0.1.0"

__all__ = [
    "divergence",
    "engines",
    "fd",
    "grad",
    "hessian",
    "laplacian",
    "partial",
    "residuals",
    "spectral",
    "time_derivative",
]
