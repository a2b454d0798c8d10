r"""The "modern U-Net" of PDEArena (Gupta & Brandstetter 2022), the paper's ``Unetmod-64`` baseline.

PDEArena's ``pdearena.modules.twod_unet.Unet`` (SineNet's fork adds ``padding_mode``) on fields
``[B, H, W, C_in] -> [B, H, W, out]``; time history is packed into channels by the caller.
Every block is a pre-norm wide residual block

.. math::

    R_c(x) = \mathrm{conv}_3\big(\sigma(N(\mathrm{conv}_3(\sigma(N(x)))))\big) + S x,

two :math:`3 \times 3` convolutions with bias to :math:`c` channels, GroupNorm :math:`N` with one
group (:math:`\epsilon = 10^{-5}`, identity when ``norm=False``), exact GELU :math:`\sigma`, and
:math:`S` a :math:`1 \times 1` convolution with bias when the channel count changes (else the
identity). With :math:`c_0 =` ``hidden`` and level :math:`i` widening by ``ch_mults[i]``:

- **lift**: :math:`3 \times 3` convolution ``C_in`` :math:`\to c_0`; its output is the first skip.
- **down**, level :math:`i = 0 \dots n-1`: ``blocks`` residual blocks
  (:math:`c \to c\,m_i \to c\,m_i \dots`), each output kept as a skip; then, except on the
  last level, a :math:`3 \times 3` convolution with stride 2 and padding 1 (also a skip).
- **middle**: residual block, attention (``mid_attention``), residual block.
- **up**, level :math:`i = n-1 \dots 0`: ``blocks`` residual blocks at :math:`c`, then one to
  :math:`c / m_i`, each taking ``[h, skip]`` (the skips in reverse order, concatenated after
  :math:`h`); then, except on level 0, PyTorch's ``ConvTranspose2d(c, c, 4, stride=2, padding=1)``.
- **head**: GroupNorm with 8 groups, :math:`\sigma`, :math:`3 \times 3` convolution to ``out``.

``attention[i]`` adds, after each residual block of level :math:`i`, PyTorch's
``AttentionBlock`` with one head: :math:`Q, K, V` from one linear map of the :math:`HW` tokens,
:math:`A = \mathrm{softmax}(QK^\top/\sqrt{c})` normalised **over the queries** (``dim=1`` in the
published code), output :math:`W_o (A V) + x`. The published block also declares a GroupNorm it
never applies; its scale and offset are created here too (so counts and checkpoints match) and,
as there, receive no gradient.

**Padding.** ``"zeros"`` or ``"circular"`` (PyTorch's ``padding_mode``) for every :math:`3 \times 3`
convolution, strided ones included (one cell per side, so stride 2 maps :math:`n \to n/2`).
PyTorch's transposed convolution pads only with zeros, so the published circular U-Net drops the
wrapped-around contributions to the first and last fine cells; here ``"circular"`` wraps the
coarse field by one cell first, which makes the model exactly equivariant to periodic shifts by
multiples of :math:`2^{n-1}` cells (the parameters are the same; only those cells differ).
The grid must be divisible by :math:`2^{n-1}` (the published code fails otherwise too).

**Published size.** ``Unetmod-64`` on PDEArena's NavierStokes2D (4 history frames of smoke and a
2-D velocity: 12 channels in, 3 out): **144,263,683** parameters, the sum of the blocks above
(tested), PDEArena's "144 M".

**PyTorch weights** load by transposition: ``Conv2d`` ``W[o, i, kh, kw]`` is
``kernel[kh, kw, i, o]``, ``ConvTranspose2d`` ``W[i, o, kh, kw]`` is ``kernel[kh, kw, o, i]``, and
a 1x1 ``Conv2d`` or ``Linear`` ``W[o, i]`` is ``kernel[i, o]``; packed channels are ordered
``t * C + c`` as PyTorch's ``reshape(B, T * C, H, W)``. ``weight_init="pytorch"`` draws weights
and biases from :math:`U(\pm 1/\sqrt{\mathrm{fan_{in}}})` as PyTorch's defaults (for the
transposed convolution PyTorch's fan-in counts the output channels); ``"flax"``: LeCun normal.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import ModernUNet, count_params
>>> model = ModernUNet(out=3)  # Unetmod-64
>>> x = jnp.zeros((2, 128, 128, 12))  # 4 frames x (smoke, u, v) packed into channels
>>> params = jax.eval_shape(model.init, jax.random.key(0), x)  # shapes only
>>> count_params(params)
144263683
>>> jax.eval_shape(model.apply, params, x).shape
(2, 128, 128, 3)
"""

from collections.abc import Callable
from typing import Literal

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from sciml.models._fno import gelu
from sciml.models._mgno import WeightInit, _bias_init, _dense, _kernel_init

Padding = Literal["zeros", "circular"]
Activation = Callable[[Array], Array]

_NORM_EPS = 1e-5  # PyTorch's GroupNorm default (flax's is 1e-6)


def check_grid(owner: str, x: Array, levels: int) -> None:
    """One-line errors for a wrong rank or a grid not divisible by ``2**levels``."""
    if x.ndim not in (3, 4):
        raise ValueError(f"{owner}: takes [H, W, C] or [B, H, W, C], got shape {x.shape}")
    space = tuple(x.shape[-3:-1])
    if any(n % 2**levels for n in space):
        raise ValueError(
            f"{owner}: grid {space} must be divisible by 2**{levels} = {2**levels} on each axis"
        )


def check_padding(owner: str, padding: str) -> None:
    if padding not in ("zeros", "circular"):
        raise ValueError(f"{owner}: padding must be 'zeros' or 'circular', got {padding!r}")


def conv3x3(
    h: Array, features: int, padding: Padding, init: WeightInit, name: str, stride: int = 1
) -> Array:
    """PyTorch ``Conv2d(c, features, 3, stride, 1, padding_mode=padding)`` on ``[B, H, W, c]``."""
    pad = ((1, 1), (1, 1))
    if padding == "circular":
        h = jnp.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        # Explicit: flax's "CIRCULAR" pads like "SAME", (0, 1) for stride 2 on even sizes.
        pad = "VALID"
    conv = nn.Conv(
        features,
        (3, 3),
        strides=stride,
        padding=pad,
        kernel_init=_kernel_init(init),
        bias_init=_bias_init(init, 9 * h.shape[-1]),
        name=name,
    )
    return conv(h)


def group_norm(groups: int, name: str) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups=groups, epsilon=_NORM_EPS, name=name)


class Upsample(nn.Module):
    """PyTorch ``ConvTranspose2d(c, c, 4, stride=2, padding=1)``: coarse cell ``i``, tap ``m``
    lands on fine cell ``2i + m - 1``; ``"circular"`` wraps the coarse field by one cell first."""

    features: int
    padding: Padding = "zeros"
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, h: Float[Array, "b h w c"]) -> Float[Array, "b 2h 2w f"]:
        conv = nn.ConvTranspose(
            self.features,
            (4, 4),
            strides=(2, 2),
            # k - 1 - p = 2 cells around the dilated input: PyTorch's padding=1.
            padding=((2, 2), (2, 2)),
            transpose_kernel=True,
            kernel_init=_kernel_init(self.weight_init),
            bias_init=_bias_init(self.weight_init, 16 * self.features),
            name="conv",
        )
        if self.padding == "zeros":
            return conv(h)
        wrapped = jnp.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        return conv(wrapped)[:, 2:-2, 2:-2]  # one coarse cell is two fine cells


class ResidualBlock(nn.Module):
    """The pre-norm wide residual block :math:`R_c` of the module docstring."""

    features: int
    padding: Padding = "zeros"
    norm: bool = True
    activation: Activation = gelu
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b h w f"]:
        h = x
        for i in (1, 2):
            if self.norm:
                h = group_norm(1, f"norm{i}")(h)
            h = conv3x3(
                self.activation(h), self.features, self.padding, self.weight_init, f"conv{i}"
            )
        if x.shape[-1] == self.features:
            return h + x
        return h + _dense(self.features, True, x.shape[-1], self.weight_init, "shortcut")(x)


class Attention(nn.Module):
    """PyTorch's one-head ``AttentionBlock`` over the ``H W`` tokens (softmax over the queries)."""

    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b h w c"]:
        b, c = x.shape[0], x.shape[-1]
        group_norm(1, "norm")(x)  # declared and never applied by the published block
        tokens = x.reshape(b, -1, c)
        qkv = _dense(3 * c, True, c, self.weight_init, "projection")(tokens)
        q, k, v = jnp.split(qkv, 3, axis=-1)
        scores = jnp.einsum("bic,bjc->bij", q, k) / jnp.sqrt(jnp.asarray(c, x.dtype))
        weights = jax.nn.softmax(scores, axis=1)  # dim=1 of PyTorch's [b, i, j, heads]
        out = _dense(c, True, c, self.weight_init, "output")(weights @ v)
        return (out + tokens).reshape(x.shape)


class ModernUNet(nn.Module):
    """PDEArena's modern U-Net: ``[B, H, W, C_in]`` (or ``[H, W, C_in]``) to ``out`` channels.

    Attributes:
        out: output channels (time_future x fields).
        hidden: :math:`c_0`, the lifted width.
        ch_mults: the widening factor of each level; ``len(ch_mults) - 1`` downsamplings.
        blocks: residual blocks per level on the way down (one more on the way up).
        attention: per level, attention after each residual block; ``None``: none.
        mid_attention: attention between the two middle blocks.
        norm: GroupNorm in the blocks and before the head.
        padding: ``"zeros"`` or ``"circular"`` (see the module docstring).
        activation: :math:`\\sigma`, the exact GELU by default.
        weight_init: ``"pytorch"`` or ``"flax"``.
    """

    out: int
    hidden: int = 64
    ch_mults: tuple[int, ...] = (1, 2, 2, 4)
    blocks: int = 2
    attention: tuple[bool, ...] | None = None
    mid_attention: bool = False
    norm: bool = True
    padding: Padding = "zeros"
    activation: Activation = gelu
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, x: Float[Array, "*b h w c_in"]) -> Float[Array, "*b h w out"]:
        levels = len(self.ch_mults)
        check_padding("ModernUNet", self.padding)
        check_grid("ModernUNet", x, levels - 1)
        attention = (False,) * levels if self.attention is None else tuple(self.attention)
        if len(attention) != levels:
            raise ValueError(
                f"ModernUNet: attention has {len(attention)} entries for {levels} levels"
            )
        if self.norm and self.hidden % 8:
            raise ValueError(f"ModernUNet: hidden={self.hidden} is not divisible by 8 groups")
        batched = x.ndim == 4
        h = x if batched else x[None]

        def block(h: Array, features: int, attend: bool, name: str) -> Array:
            h = ResidualBlock(
                features, self.padding, self.norm, self.activation, self.weight_init, name=name
            )(h)
            return Attention(self.weight_init, name=f"{name}_attn")(h) if attend else h

        h = conv3x3(h, self.hidden, self.padding, self.weight_init, "lift")
        skips, c = [h], self.hidden
        for i, mult in enumerate(self.ch_mults):
            c *= mult
            for j in range(self.blocks):
                h = block(h, c, attention[i], f"down{i}_{j}")
                skips.append(h)
            if i < levels - 1:
                h = conv3x3(h, c, self.padding, self.weight_init, f"downsample{i}", stride=2)
                skips.append(h)
        h = block(h, c, self.mid_attention, "mid0")
        h = block(h, c, False, "mid1")
        for i in reversed(range(levels)):
            for j in range(self.blocks + 1):
                if j == self.blocks:
                    c //= self.ch_mults[i]
                h = block(jnp.concatenate([h, skips.pop()], axis=-1), c, attention[i], f"up{i}_{j}")
            if i > 0:
                h = Upsample(c, self.padding, self.weight_init, name=f"upsample{i}")(h)
        if self.norm:
            h = group_norm(8, "norm")(h)
        h = conv3x3(self.activation(h), self.out, self.padding, self.weight_init, "head")
        return h if batched else h[0]
