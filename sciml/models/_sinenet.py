r"""SineNet-K (Zhang, Helwig et al., ICLR 2024): K U-Net "waves" in sequence, each a residual step.

The published ``sinenet`` of ``divelab/AIRS/OpenPDE/SineNet`` (``sinenet_dual.py``) on fields
``[B, H, W, C_in] -> [B, H, W, out]``; the caller packs the time history into channels.
With :math:`c_k = \lfloor c_0 \mu^k \rfloor` (``hidden`` :math:`c_0`, ``mult`` :math:`\mu`,
:math:`k = 0 \dots L`, ``levels`` :math:`L`), a lifting :math:`x_0 = \mathrm{conv}_3(u)` to
:math:`c_0` channels, :math:`K` waves

.. math::

    x_k = x_{k-1} + W_k(x_{k-1}), \qquad k = 1 \dots K

(without :math:`x_{k-1} +` when ``wave_residual=False``) and a head :math:`\mathrm{conv}_3` to
``out`` channels: the model predicts the next frames themselves, not an increment.
:math:`B_c(h) = \sigma(N(\mathrm{conv}_3\,\sigma(N(\mathrm{conv}_3 h))))` is the published
``ConvBlock``: two :math:`3 \times 3` convolutions with bias, GroupNorm :math:`N` with one group
(:math:`\epsilon = 10^{-5}`), exact GELU :math:`\sigma`. Each wave :math:`W` is a U-Net over
:math:`L + 1` resolutions :math:`H, H/2, \dots, H/2^L`:

- **down**, level :math:`l = 0 \dots L-1`: :math:`d \leftarrow P d`, :math:`g = P h_l`,
  :math:`h_{l+1} = B_{c_{l+1}}([g, d]) + S g`, with :math:`P` the 2x2 average pool,
  :math:`h_0 = d = x` the wave's input and :math:`S` a :math:`1 \times 1` convolution with bias.
  The pooled input :math:`d` ("disentangled" branch, :math:`c_0` channels) is concatenated on every
  level but the first; ``disentangle=False`` drops it.
- **up**, level :math:`l = L-1 \dots 0`, from :math:`y = h_L`: :math:`v = U y`,
  :math:`y = B_{c_l}([h_l, v]) + S v`, with :math:`U` the bicubic x2 interpolation below.

``blocks > 1`` (``deeper_unet``) appends blocks :math:`h \leftarrow B(h) + h` on each level.

**Widths** are computed as the published ``int(c_0 * mult ** k)``: SineNet-8 (``mult=1.425``)
has 64, 91, 129, 185, 263. Registry configs and their parameter counts with 4 history frames of
smoke and a 2-D velocity (INS: 12 channels in, 3 out), all tested:

====================  ==  ======  ======  ===========
name                  K   hidden  mult    parameters
====================  ==  ======  ======  ===========
``sinenet8-dual``     8   64      1.425   35,490,219
``sinenet6-dual``     6   64      1.5     35,475,499
``sinenet4-dual``     4   64      1.611   35,493,699
``sinenet2-dual``     2   64      1.8075  35,499,989
``sinenet1-dual-128`` 1   128     2       135,094,659
====================  ==  ======  ======  ===========

**Upsampling** is PyTorch's ``interpolate(scale_factor=2, mode="bicubic")``
(``align_corners=False``): cubic convolution with :math:`a = -0.75`, fine cell :math:`i` at
coarse position :math:`i/2 - 1/4`, out-of-range taps clamped to the edge cell. That is
``jax.image.resize(method="cubic-pytorch", antialias=False)`` (checked against the stencil in
the tests). Plain ``"cubic"`` is not: it uses Keys' :math:`a = -0.5` in the interior and, at
the borders, drops the off-grid taps and renormalises the rest instead of repeating the edge
cell (so does ``"cubic-pytorch"`` with the default ``antialias=True``). With
``padding="circular"`` the field is first wrapped by 2 cells, interpolated, and 4 fine cells
are cropped per side (the published ``circular_interpolate``): the kept cells never reach the
clamped edge, so :math:`U` is exactly periodic.

**Padding.** ``"zeros"`` or ``"circular"`` (PyTorch's ``padding_mode``) for every
:math:`3 \times 3` convolution. With ``"circular"`` every operation commutes with periodic
shifts by multiples of :math:`2^L` cells (tested; the GroupNorm statistics are shift-invariant).
The grid must be divisible by :math:`2^L`.

**PyTorch weights** load by transposition as in :mod:`sciml.models._modern_unet`; packed
channels are ordered ``t * C + c``. ``weight_init`` as there (PyTorch's defaults by default).

>>> import jax, jax.numpy as jnp
>>> from sciml.models import SineNet, count_params
>>> model = SineNet(out=3)  # sinenet8-dual
>>> x = jnp.zeros((2, 128, 128, 12))  # 4 frames x (smoke, u, v) packed into channels
>>> params = jax.eval_shape(model.init, jax.random.key(0), x)  # shapes only
>>> count_params(params)
35490219
>>> jax.eval_shape(model.apply, params, x).shape
(2, 128, 128, 3)
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from sciml.models._fno import gelu
from sciml.models._mgno import WeightInit, _dense
from sciml.models._modern_unet import Padding, check_grid, check_padding, conv3x3, group_norm

Activation = Callable[[Array], Array]


def bicubic_upsample(h: Float[Array, "b h w c"], padding: Padding) -> Float[Array, "b 2h 2w c"]:
    """PyTorch's bicubic x2 (``align_corners=False``); periodic for ``"circular"``."""
    wrap = 2 if padding == "circular" else 0
    h = jnp.pad(h, ((0, 0), (wrap, wrap), (wrap, wrap), (0, 0)), mode="wrap")
    b, n1, n2, c = h.shape
    up = jax.image.resize(h, (b, 2 * n1, 2 * n2, c), method="cubic-pytorch", antialias=False)
    return up[:, 2 * wrap : 2 * n1 - 2 * wrap, 2 * wrap : 2 * n2 - 2 * wrap]


class ConvBlock(nn.Module):
    """:math:`B_c`: [3x3 convolution, GroupNorm (one group), activation] twice."""

    features: int
    padding: Padding = "zeros"
    activation: Activation = gelu
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, h: Float[Array, "b h w c"]) -> Float[Array, "b h w f"]:
        for i in (1, 2):
            h = conv3x3(h, self.features, self.padding, self.weight_init, f"conv{i}")
            h = self.activation(group_norm(1, f"norm{i}")(h))
        return h


class Wave(nn.Module):
    """One wave :math:`W`: the U-Net of the module docstring, ``[B, H, W, c_0]`` to itself."""

    widths: tuple[int, ...]
    padding: Padding = "zeros"
    disentangle: bool = True
    blocks: int = 1
    activation: Activation = gelu
    weight_init: WeightInit = "pytorch"

    def _level(self, h: Array, shortcut_input: Array, features: int, name: str) -> Array:
        """``blocks`` ConvBlocks; a 1x1 shortcut of ``shortcut_input`` to the first."""
        for j in range(self.blocks):
            block = ConvBlock(
                features, self.padding, self.activation, self.weight_init, name=f"{name}_{j}"
            )
            if j == 0:
                shortcut = _dense(
                    features, True, shortcut_input.shape[-1], self.weight_init, f"{name}_shortcut"
                )
                h = block(h) + shortcut(shortcut_input)
            else:
                h = block(h) + h
        return h

    @nn.compact
    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b h w c"]:
        def pool(h: Array) -> Array:
            return nn.avg_pool(h, (2, 2), strides=(2, 2))

        levels = len(self.widths) - 1
        skips, d, h = [x], x, x
        for level in range(levels):
            if self.disentangle:
                d = pool(d)
            g = pool(h)
            inputs = jnp.concatenate([g, d], axis=-1) if level and self.disentangle else g
            h = self._level(inputs, g, self.widths[level + 1], f"down{level}")
            skips.append(h)
        y = skips.pop()
        for level in reversed(range(levels)):
            v = bicubic_upsample(y, self.padding)
            y = self._level(
                jnp.concatenate([skips.pop(), v], axis=-1), v, self.widths[level], f"up{level}"
            )
        return y


class SineNet(nn.Module):
    """SineNet-K: ``[B, H, W, C_in]`` (or ``[H, W, C_in]``) to ``out`` channels.

    Attributes:
        out: output channels (time_future x fields).
        waves: K, the number of sequential U-Nets.
        hidden: :math:`c_0`, the lifted width.
        mult: :math:`\\mu`, the width ratio between levels.
        levels: L, the downsamplings per wave.
        padding: ``"zeros"`` or ``"circular"``.
        disentangle: concatenate the pooled wave input on levels 1 .. L-1 (``-dual``).
        wave_residual: :math:`x_k = x_{k-1} + W_k(x_{k-1})` rather than :math:`W_k(x_{k-1})`.
        blocks: ConvBlocks per level and direction.
        activation: :math:`\\sigma`, the exact GELU by default.
        weight_init: ``"pytorch"`` or ``"flax"``.
    """

    out: int
    waves: int = 8
    hidden: int = 64
    mult: float = 1.425
    levels: int = 4
    padding: Padding = "zeros"
    disentangle: bool = True
    wave_residual: bool = True
    blocks: int = 1
    activation: Activation = gelu
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, x: Float[Array, "*b h w c_in"]) -> Float[Array, "*b h w out"]:
        check_padding("SineNet", self.padding)
        check_grid("SineNet", x, self.levels)
        batched = x.ndim == 4
        h = x if batched else x[None]
        widths = tuple(int(self.hidden * self.mult**k) for k in range(self.levels + 1))
        h = conv3x3(h, self.hidden, self.padding, self.weight_init, "lift")
        for k in range(self.waves):
            wave = Wave(
                widths,
                self.padding,
                self.disentangle,
                self.blocks,
                self.activation,
                self.weight_init,
                name=f"wave{k}",
            )
            h = h + wave(h) if self.wave_residual else wave(h)
        h = conv3x3(h, self.out, self.padding, self.weight_init, "head")
        return h if batched else h[0]
