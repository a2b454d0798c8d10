r"""Dense layers for PINN networks: Glorot-normal ``nn.Dense`` or random weight factorisation.

Random weight factorisation (Wang et al. 2023, JAX-PI) writes every kernel as
:math:`W = V\,\mathrm{diag}(e^{s})` with one trainable log-scale per output unit,
:math:`s \sim \mathcal{N}(\mu, \sigma^2)`, and :math:`V = W_0 / e^{s}` for a Glorot-normal
:math:`W_0`, so the product equals :math:`W_0` at initialisation while training moves scale and
direction separately.
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

glorot = nn.initializers.glorot_normal()


class FactorizedDense(nn.Module):
    """``y = x (V diag(exp(s))) + b`` with ``s ~ N(mean, std^2)``."""

    features: int
    mean: float = 1.0
    std: float = 0.1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        log_scale = self.param(
            "log_scale",
            lambda key, shape: self.mean + self.std * jax.random.normal(key, shape),
            (self.features,),
        )
        direction = self.param(
            "direction",
            lambda key, shape: glorot(key, shape) / jnp.exp(log_scale)[None, :],
            (x.shape[-1], self.features),
        )
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        kernel = direction * jnp.exp(log_scale)[None, :]
        y = x @ kernel
        return y + bias.reshape((1,) * (y.ndim - 1) + (-1,))


DenseFactory = Callable[[int], nn.Module]
"""``features -> layer``: :func:`dense` or :func:`factorized`."""


def dense(features: int) -> nn.Module:
    """Glorot-normal kernel, zero bias (JAX-PI's plain layer)."""
    return nn.Dense(features, kernel_init=glorot)


def factorized(mean: float = 1.0, std: float = 0.1) -> DenseFactory:
    """A factory of :class:`FactorizedDense` layers with the given log-scale distribution."""
    return lambda features: FactorizedDense(features, mean, std)
