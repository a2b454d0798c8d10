r"""PINN networks (PDE-agnostic): MLP, modified MLP and PirateNet.

All take a point ``z`` of shape ``(..., d)`` (already embedded, or raw coordinates) and return
``(..., out)``. Hidden layers come from a :data:`DenseFactory` (plain Glorot or random weight
factorisation); the output layer is linear.

- :class:`MLP`: :math:`h \leftarrow \sigma(W h + b)`.
- :class:`ModifiedMLP` (Wang, Teng & Perdikaris 2021): encoders :math:`U = \sigma(W_u z + b_u)`,
  :math:`V = \sigma(W_v z + b_v)`; each layer :math:`h \leftarrow \sigma(Wh + b)`, then
  :math:`h \leftarrow h \odot U + (1 - h) \odot V`.
- :class:`PirateNet` (Wang et al. 2024): gates :math:`U, V` from the input; each residual block
  computes :math:`f = \sigma(W_1 x + b_1)`, :math:`z_1 = f \odot U + (1-f) \odot V`,
  :math:`g = \sigma(W_2 z_1 + b_2)`, :math:`z_2 = g \odot U + (1-g) \odot V`,
  :math:`h = \sigma(W_3 z_2 + b_3)` and :math:`x \leftarrow \alpha h + (1 - \alpha) x` with a
  trainable :math:`\alpha` initialised to 0, so the network is linear in its input at
  initialisation. The input width must equal ``width`` (use Fourier features).
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from sciml.models._dense import DenseFactory, dense

Activation = Callable[[jax.Array], jax.Array]


class MLP(nn.Module):
    """``depth`` hidden layers of ``width`` units, then a linear layer to ``out``."""

    width: int
    depth: int
    out: int = 1
    activation: Activation = jnp.tanh
    layer: DenseFactory = dense

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        h = z
        for _ in range(self.depth):
            h = self.activation(self.layer(self.width)(h))
        return self.layer(self.out)(h)


class ModifiedMLP(nn.Module):
    """The modified MLP of Wang, Teng & Perdikaris (2021)."""

    width: int
    depth: int
    out: int = 1
    activation: Activation = jnp.tanh
    layer: DenseFactory = dense

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        u = self.activation(self.layer(self.width)(z))
        v = self.activation(self.layer(self.width)(z))
        h = z
        for _ in range(self.depth):
            h = self.activation(self.layer(self.width)(h))
            h = h * u + (1 - h) * v
        return self.layer(self.out)(h)


class PirateBlock(nn.Module):
    """One residual adaptive block of PirateNet."""

    width: int
    activation: Activation
    layer: DenseFactory

    @nn.compact
    def __call__(self, x: jax.Array, u: jax.Array, v: jax.Array) -> jax.Array:
        f = self.activation(self.layer(self.width)(x))
        z1 = f * u + (1 - f) * v
        g = self.activation(self.layer(self.width)(z1))
        z2 = g * u + (1 - g) * v
        h = self.activation(self.layer(self.width)(z2))
        alpha = self.param("alpha", nn.initializers.zeros, ())
        return alpha * h + (1 - alpha) * x


class PirateNet(nn.Module):
    """PirateNet: ``blocks`` residual adaptive blocks on an input of width ``width``."""

    width: int
    blocks: int
    out: int = 1
    activation: Activation = jnp.tanh
    layer: DenseFactory = dense

    @nn.compact
    def __call__(self, phi: jax.Array) -> jax.Array:
        if phi.shape[-1] != self.width:
            raise ValueError(
                f"PirateNet needs an input of width {self.width} (e.g. Fourier features), "
                f"got {phi.shape[-1]}"
            )
        u = self.activation(self.layer(self.width)(phi))
        v = self.activation(self.layer(self.width)(phi))
        x = phi
        for _ in range(self.blocks):
            x = PirateBlock(self.width, self.activation, self.layer)(x, u, v)
        return self.layer(self.out)(x)
