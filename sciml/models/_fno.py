r"""Fourier Neural Operator (Li et al., ICLR 2021), on any number of spatial axes.

A field :math:`a` on a uniform periodic grid of :math:`N_1 \times \dots \times N_d` nodes
:math:`x_j`, channel-last (one sample ``[*space, C]`` or a batch ``[B, *space, C]``), maps to
:math:`u = Q\big(v_L\big)` with

.. math::

    v_0 = P\,[a, x], \qquad
    v_{l+1} = \sigma_l\big(K_l v_l + W_l v_l + b_l\big), \quad l = 0, \dots, L - 1,

where :math:`P` (``fc0``) is a pointwise affine lifting to ``width`` channels of the input
channels and, with ``append_grid``, the node coordinates in :math:`[0, 1]` (see
:func:`sciml.models._grid.grid_coordinates`); :math:`W_l v + b_l` (``w{l}``) is a pointwise
affine map (the official 1x1 convolution); :math:`\sigma_l = \sigma` is the exact (erf) GELU
but :math:`\sigma_{L-1}` is the identity (**no activation after the last layer**); :math:`Q`
(``fc1``, ``fc2``) is ``Dense(projection) -> σ -> Dense(out)``. :math:`K_l` (``conv{l}``) is
the spectral convolution

.. math::

    (K v)(x) = \sum_{k \in \mathcal{K}} R_k\, \hat v_k\, e^{2\pi i k \cdot x}, \qquad
    \hat v_k = \frac{1}{N_1 \cdots N_d} \sum_j v(x_j)\, e^{-2\pi i k \cdot x_j},

``rfftn(norm="forward")`` then ``irfftn(norm="forward")``: :math:`\hat v_k` are the
coefficients of the trigonometric interpolant, the same numbers at every resolution for a
band-limited :math:`v`, so the learned :math:`R_k \in \mathbb{C}^{C_{in} \times C_{out}}` act on
resolution-independent quantities and :math:`K` is exactly discretisation invariant. (The
official code's unnormalised ``rfft``/``irfft`` pair gives the identical output: the scaling
commutes with the linear multiplier, so weights port one to one.) The retained set
:math:`\mathcal{K}` keeps, along the last axis, :math:`0 \le k_d < m_d` (the real-FFT half) and,
along every other axis, :math:`0 \le k_i < m_i` and :math:`-m_i \le k_i < 0`: :math:`2^{d-1}`
corner blocks, each with its own weight ``weights{b+1}`` of shape ``[C_in, C_out, *modes, 2]``
(real and imaginary parts; bit :math:`i` of :math:`b` set means the negative frequencies along
axis :math:`i`, the official ``weights1``/``weights2`` in 2-D and ``weights1..4`` in 3-D). Every
other mode is set to zero. A grid must hold the band: :math:`N_i \ge 2 m_i` (the two blocks may
not overlap) and :math:`N_d \ge 2 (m_d - 1)` (i.e. :math:`m_d \le \lfloor N_d/2 \rfloor + 1`).

Initialisation follows the official code: :math:`R = s\,(U + iU')` with :math:`U, U' \sim
\mathcal{U}[0, 1)` and :math:`s = 1/(C_{in} C_{out})`; the pointwise maps use PyTorch's default
``nn.Linear``/``nn.Conv`` rule (weight and bias :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan-in}})`).
Every parameter is real; the parameter count counts a complex weight as 2, as the official
``count_params`` does: ``FNO(32, (12, 12))`` on one input channel (the official
``fourier_2d.py``) has 2,368,001 parameters and ``FNO(64, (16,))`` (``fourier_1d.py``) 549,569.

``padding`` zero-pads every spatial axis at its end by that many cells after the lifting and
crops before the projection, for non-periodic data (the official Darcy script uses 9; the
official 1-D script leaves it off). The architecture is that of the released official scripts
(their first versions had BatchNorm and ReLU); ``layers``, ``projection``, ``out``, the number of
spatial axes and the activation are parameters.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import count_params
>>> from sciml.models._fno import FNO
>>> model = FNO(width=32, modes=(12, 12))  # the official fourier_2d.py network
>>> a = jnp.ones((85, 85, 1))  # a(x, y) on the 85 x 85 Darcy grid, one channel
>>> params = jax.eval_shape(model.init, jax.random.key(0), a)  # shapes; model.init for values
>>> count_params(params)
2368001
>>> jax.eval_shape(model.apply, params, jnp.ones((4, 141, 141, 1))).shape  # a batch, finer grid
(4, 141, 141, 1)
"""

import math
from collections.abc import Callable, Sequence
from functools import partial

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from sciml.models._grid import grid_coordinates

Activation = Callable[[jax.Array], jax.Array]

gelu: Activation = partial(jax.nn.gelu, approximate=False)
"""The exact (erf) GELU, PyTorch's ``F.gelu`` default (JAX's default is the tanh approximation)."""


def _min_grid(modes: Sequence[int]) -> tuple[int, ...]:
    """The smallest grid that holds the retained band of ``modes`` (see the module docstring)."""
    return (*(2 * m for m in modes[:-1]), max(1, 2 * (modes[-1] - 1)))


def _check_grid(owner: str, modes: Sequence[int], space: Sequence[int]) -> None:
    if not modes or any(m < 1 for m in modes):
        raise ValueError(f"{owner}: modes must be positive integers, got {tuple(modes)}")
    need = _min_grid(modes)
    if any(n < k for n, k in zip(space, need, strict=True)):
        raise ValueError(
            f"{owner}: modes {tuple(modes)} need a grid of at least {need} points, "
            f"got {tuple(space)}"
        )


def _uniform(low: float, high: float):
    """``U[low, high)`` initialiser, drawn flat and reshaped (XLA:CPU compiles the random draw
    for an n-D shape in seconds, for a flat one in a fraction of a second; see ``_mgno``)."""

    def draw(key, shape, dtype=jnp.float32):
        flat = jax.random.uniform(key, (math.prod(shape),), dtype, low, high)
        return flat.reshape(shape)

    return draw


def _pointwise(features: int, fan_in: int, name: str) -> nn.Dense:
    """A pointwise affine map initialised as PyTorch's ``nn.Linear`` (and 1x1 ``nn.Conv``)."""
    bound = 1.0 / np.sqrt(fan_in)
    init = _uniform(-bound, bound)
    return nn.Dense(features, kernel_init=init, bias_init=init, name=name)


class SpectralConv(nn.Module):
    """``[..., *space, C_in] -> [..., *space, features]``: the kernel :math:`K` above, with
    ``d = len(modes)`` spatial axes just before the channel axis (leading axes are batch)."""

    features: int
    modes: tuple[int, ...]

    @nn.compact
    def __call__(self, v: Float[Array, "*batch_space c"]) -> Float[Array, "*batch_space o"]:
        d = len(self.modes)
        if v.ndim < d + 1:
            raise ValueError(
                f"SpectralConv with modes {tuple(self.modes)} needs [..., *space, C] with "
                f"{d} spatial axes, got shape {v.shape}"
            )
        space = v.shape[-d - 1 : -1]
        _check_grid("SpectralConv", self.modes, space)
        axes = tuple(range(v.ndim - d - 1, v.ndim - 1))
        v_hat = jnp.fft.rfftn(v, axes=axes, norm="forward")
        c_in = v.shape[-1]
        init = _uniform(0.0, 1.0 / (c_in * self.features))
        letters = "abcdefghjklmn"[:d]  # spatial axes; i and o are the channels
        contract = f"...{letters}i,io{letters}->...{letters}o"
        blocks = []
        for b in range(2 ** (d - 1)):
            w = self.param(f"weights{b + 1}", init, (c_in, self.features, *self.modes, 2))
            negative = [(b >> i) & 1 for i in range(d - 1)]  # bit i: k_i < 0 along axis i
            first = [
                slice(-m, None) if neg else slice(None, m)
                for neg, m in zip(negative, self.modes[:-1], strict=True)
            ]
            corner = (Ellipsis, *first, slice(None, self.modes[-1]), slice(None))
            r = jax.lax.complex(w[..., 0], w[..., 1])
            blocks.append((corner, jnp.einsum(contract, v_hat[corner], r)))
        out_hat = jnp.zeros((*v_hat.shape[:-1], self.features), blocks[0][1].dtype)
        for corner, value in blocks:
            out_hat = out_hat.at[corner].set(value)
        return jnp.fft.irfftn(out_hat, s=space, axes=axes, norm="forward")


class FNO(nn.Module):
    """``[*space, C] or [B, *space, C] -> [..., out]`` with ``len(modes)`` spatial axes."""

    width: int = 32
    modes: tuple[int, ...] = (12, 12)
    layers: int = 4
    out: int = 1
    projection: int = 128
    activation: Activation = gelu
    append_grid: bool = True
    padding: int = 0

    @nn.compact
    def __call__(self, a: Float[Array, "*batch_space c"]) -> Float[Array, "*batch_space o"]:
        d = len(self.modes)
        if a.ndim not in (d + 1, d + 2):
            raise ValueError(
                f"FNO with modes {tuple(self.modes)} takes [*space, C] or [B, *space, C] of rank "
                f"{d + 1} or {d + 2}, got shape {a.shape}"
            )
        if self.padding < 0:
            raise ValueError(f"FNO: padding must be >= 0, got {self.padding}")
        space = a.shape[-d - 1 : -1]
        _check_grid(
            f"FNO (grid {tuple(space)} + padding {self.padding})",
            self.modes,
            tuple(n + self.padding for n in space),
        )
        h = a
        if self.append_grid:
            grid = grid_coordinates(space, jnp.promote_types(a.dtype, jnp.float32))
            h = jnp.concatenate([a, jnp.broadcast_to(grid, (*a.shape[:-1], d))], axis=-1)
        h = _pointwise(self.width, h.shape[-1], "fc0")(h)
        lead = [(0, 0)] * (h.ndim - d - 1)
        h = jnp.pad(h, [*lead, *[(0, self.padding)] * d, (0, 0)])
        for layer in range(self.layers):
            k = SpectralConv(self.width, self.modes, name=f"conv{layer}")(h)
            h = k + _pointwise(self.width, self.width, f"w{layer}")(h)
            if layer < self.layers - 1:
                h = self.activation(h)
        h = h[(Ellipsis, *(slice(0, n) for n in space), slice(None))]
        h = self.activation(_pointwise(self.projection, self.width, "fc1")(h))
        return _pointwise(self.out, self.projection, "fc2")(h)
