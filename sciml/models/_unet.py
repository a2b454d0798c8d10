r"""U-Net baseline (Ronneberger et al. 2015) for fields on any number of spatial axes.

The form used as a baseline in operator-learning comparisons (PDEBench, PDEArena): with
:math:`f_l = 2^l f` channels at level :math:`l = 0, \dots, L - 1` (``features`` :math:`f`,
``levels`` :math:`L`) and a block

.. math::

    B_c(h) = \sigma\big(N(\mathrm{conv}_3(\sigma(N(\mathrm{conv}_3 h)))\big)

of two :math:`3^d` convolutions (zero "same" padding, with bias) to :math:`c` channels, each
followed by a GroupNorm :math:`N` (``groups`` groups, :math:`\epsilon = 10^{-5}` as PyTorch;
identity when ``norm=False``) and the activation :math:`\sigma` (exact GELU), the encoder computes
:math:`e_0 = B_{f_0}(u)` and :math:`e_l = B_{f_l}(\mathrm{maxpool}_2(e_{l-1}))`; the decoder starts
from :math:`h = e_{L-1}` and for :math:`l = L-2, \dots, 0` computes
:math:`h = B_{f_l}\big([e_l, \mathrm{convT}_{2}(h)]\big)`, a transposed convolution of kernel
and stride 2 to :math:`f_l` channels, concatenated after the skip :math:`e_l`. A final
:math:`1^d` convolution maps :math:`f_0` channels to ``out``.

**Any grid size.** :math:`L - 1` poolings need sizes divisible by :math:`2^{L-1}`: each spatial
axis is padded at its end up to the next multiple by **edge replication** (no artificial jump at
the seam) and the output is cropped back, so the output grid is the input grid. The pad reaches
the kept cells only through a boundary layer of width at most :math:`7 \cdot 2^{L-1} - 5` cells at
the end of each axis (the receptive field; tested) and, with ``norm``, through the GroupNorm
statistics, which include the padded cells. ``append_grid`` appends the node coordinates in
:math:`[0, 1]` (:func:`sciml.models._grid.grid_coordinates`) as channels before padding.

``dims`` is the number of spatial axes: the input is ``[*space, C]`` (rank ``dims + 1``) or
``[B, *space, C]`` (rank ``dims + 2``); GroupNorm statistics are per sample, so a batch gives the
same outputs as its samples one by one. Weights use Flax's default initialisation.

>>> import jax, jax.numpy as jnp
>>> from sciml.models._unet import UNet
>>> model = UNet(features=32, levels=4)  # pads 85 -> 88 internally
>>> u = jnp.ones((85, 85, 1))
>>> params = jax.eval_shape(model.init, jax.random.key(0), u)  # shapes; model.init for values
>>> jax.eval_shape(model.apply, params, u).shape
(85, 85, 1)
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from sciml.models._fno import gelu
from sciml.models._grid import grid_coordinates

Activation = Callable[[jax.Array], jax.Array]


class ConvBlock(nn.Module):
    """Two :math:`3^d` convolutions, each followed by GroupNorm (optional) and the activation."""

    features: int
    dims: int
    activation: Activation = gelu
    norm: bool = True
    groups: int = 8

    @nn.compact
    def __call__(self, h: Float[Array, "b *space c"]) -> Float[Array, "b *space f"]:
        for _ in range(2):
            h = nn.Conv(self.features, (3,) * self.dims, padding="SAME")(h)
            if self.norm:
                h = nn.GroupNorm(num_groups=self.groups, epsilon=1e-5)(h)
            h = self.activation(h)
        return h


class UNet(nn.Module):
    """``[*space, C] or [B, *space, C] -> [..., out]`` with ``dims`` spatial axes."""

    features: int = 32
    levels: int = 4
    out: int = 1
    activation: Activation = gelu
    norm: bool = True
    dims: int = 2
    groups: int = 8
    append_grid: bool = False

    @nn.compact
    def __call__(self, u: Float[Array, "*batch_space c"]) -> Float[Array, "*batch_space o"]:
        d = self.dims
        if u.ndim not in (d + 1, d + 2):
            raise ValueError(
                f"UNet with dims={d} takes [*space, C] or [B, *space, C] of rank {d + 1} or "
                f"{d + 2}, got shape {u.shape}"
            )
        if self.levels < 1:
            raise ValueError(f"UNet: levels must be >= 1, got {self.levels}")
        if self.norm and self.features % self.groups:
            raise ValueError(
                f"UNet: features={self.features} is not divisible by groups={self.groups}"
            )
        batched = u.ndim == d + 2
        h = u if batched else u[None]
        space = h.shape[1:-1]
        if self.append_grid:
            grid = grid_coordinates(space, jnp.promote_types(h.dtype, jnp.float32))
            h = jnp.concatenate([h, jnp.broadcast_to(grid, (*h.shape[:-1], d))], axis=-1)
        multiple = 2 ** (self.levels - 1)
        ends = [(-n) % multiple for n in space]
        h = jnp.pad(h, [(0, 0), *[(0, e) for e in ends], (0, 0)], mode="edge")

        def block(c: int, name: str) -> ConvBlock:
            return ConvBlock(c, d, self.activation, self.norm, self.groups, name=name)

        skips = []
        for level in range(self.levels):
            if level:
                h = nn.max_pool(h, (2,) * d, strides=(2,) * d)
            h = block(self.features * 2**level, f"down{level}")(h)
            skips.append(h)
        for level in reversed(range(self.levels - 1)):
            c = self.features * 2**level
            up = nn.ConvTranspose(
                c, (2,) * d, strides=(2,) * d, padding="VALID", name=f"upsample{level}"
            )
            h = jnp.concatenate([skips[level], up(h)], axis=-1)
            h = block(c, f"up{level}")(h)
        h = nn.Conv(self.out, (1,) * d, name="head")(h)
        h = h[(slice(None), *(slice(0, n) for n in space), slice(None))]
        return h if batched else h[0]
