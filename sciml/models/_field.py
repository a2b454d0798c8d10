r"""A PINN field model: embeddings, a network and an optional output transform.

:math:`u(z) = T\big(z, N(F(P(z)))\big)` with :math:`P` the periodic embedding, :math:`F` the
Fourier features, :math:`N` the network and :math:`T` an output transform that imposes initial or
boundary conditions exactly (see :mod:`sciml.models._constraints`). Every stage is optional but
the network. The model knows nothing of the PDE: the problem supplies periods and constraints.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import FieldModel, MLP
>>> model = FieldModel(MLP(width=20, depth=3))
>>> params = model.init(jax.random.key(0), jnp.zeros(2))
>>> model.apply(params, jnp.ones((5, 2))).shape
(5, 1)
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import numpy as np

from sciml.models._embeddings import FourierFeatures, PeriodicEmbedding

Transform = Callable[[jax.Array, jax.Array], jax.Array]


class FieldModel(nn.Module):
    """``z (..., d) -> u (..., out)``."""

    network: nn.Module
    periodic: PeriodicEmbedding | None = None
    fourier: FourierFeatures | None = None
    transform: Transform | None = None

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        h = z
        if self.periodic is not None:
            h = self.periodic(h)
        if self.fourier is not None:
            h = self.fourier(h)
        raw = self.network(h)
        return raw if self.transform is None else self.transform(z, raw)


def count_params(params) -> int:
    """Number of scalar parameters in a PyTree."""
    return int(sum(np.prod(np.shape(leaf)) for leaf in jax.tree.leaves(params)))
