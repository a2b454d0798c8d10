r"""Input embeddings: exact periodicity and random Fourier features.

- :class:`PeriodicEmbedding` replaces coordinate :math:`z_i` by
  :math:`(\cos\omega_i z_i, \sin\omega_i z_i)`, making the network exactly periodic with period
  :math:`2\pi/\omega_i` in that coordinate (JAX-PI: :math:`\omega = \pi` for
  :math:`x \in [-1, 1]`); other coordinates pass through.
- :class:`FourierFeatures` maps :math:`z \mapsto [\cos zB, \sin zB]` with
  :math:`B_{ij} \sim \mathcal{N}(0, s^2)` (Tancik et al. 2020), fixed or trainable.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class PeriodicEmbedding(nn.Module):
    """Exact periodicity along ``axes`` with angular frequencies ``frequencies``; ``trainable``
    (one flag, or one per axis) lets a frequency learn from its start value, as JAX-PI's time
    embedding for advection does."""

    axes: Sequence[int]
    frequencies: Sequence[float]
    trainable: bool | Sequence[bool] = False

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        if len(self.axes) != len(self.frequencies):
            raise ValueError(
                f"periodic embedding: {len(self.axes)} axes but {len(self.frequencies)} frequencies"
            )
        trainable = self.trainable
        if isinstance(trainable, bool):
            trainable = (trainable,) * len(self.axes)
        if len(trainable) != len(self.axes):
            raise ValueError(
                f"periodic embedding: {len(self.axes)} axes but {len(trainable)} trainable flags"
            )
        omega = jnp.asarray(self.frequencies, z.dtype)
        if any(trainable):
            learned = self.param(
                "frequencies",
                lambda key: jnp.asarray(
                    [w for w, t in zip(self.frequencies, trainable, strict=True) if t], z.dtype
                ),
            )
            index = jnp.asarray([i for i, t in enumerate(trainable) if t])
            omega = omega.at[index].set(learned)
        parts = []
        for i in range(z.shape[-1]):
            if i in self.axes:
                w = omega[list(self.axes).index(i)]
                parts += [jnp.cos(w * z[..., i]), jnp.sin(w * z[..., i])]
            else:
                parts.append(z[..., i])
        return jnp.stack(parts, axis=-1)


class FourierFeatures(nn.Module):
    """``[cos(z B), sin(z B)]`` with ``features`` outputs (``B``: ``[d, features/2]``)."""

    features: int
    scale: float = 1.0
    trainable: bool = True

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        if self.features % 2:
            raise ValueError(
                f"Fourier features need an even number of outputs, got {self.features}"
            )
        b = self.param(
            "B",
            lambda key, shape: self.scale * jax.random.normal(key, shape),
            (z.shape[-1], self.features // 2),
        )
        if not self.trainable:
            # zero gradient: Adam leaves it unchanged (decoupled weight decay would not)
            b = jax.lax.stop_gradient(b)
        projected = z @ b
        return jnp.concatenate([jnp.cos(projected), jnp.sin(projected)], axis=-1)
