r"""MgNO, the multigrid neural operator of He, Liu & Xu (ICLR 2024), on 1-D, 2-D or n-D grids.

Every layer is :math:`u \leftarrow \sigma\big(W u + B u + b\big)`. The linear operator :math:`W`
(all channel pairs at once) is one multi-channel V-cycle, :class:`MgConv`, and :math:`Bu + b` is a
1x1 convolution with bias (``pointwise=False`` drops it: the ``MgNO_NS`` form
:math:`u \leftarrow \sigma(Wu)`). There is no lifting or projection network: the input field is
the right-hand side :math:`f` of the first V-cycle, and a 1x1 convolution without bias maps the
last :math:`c_u` channels to ``out``. :math:`\sigma` is the exact (erf) GELU, as PyTorch's.

**V-cycle.** Levels :math:`\ell = 0, \dots, L-1` (level 0 is the input grid) and
``num_iteration[l] = (pre, post)``. :math:`S_k: c_f \to c_u` and :math:`A_k: c_u \to c_f` are
:math:`3^d` convolutions, :math:`R_\ell: c_f \to c_f` and :math:`\Pi_\ell: c_u \to c_u` are
:math:`3^d` convolutions with stride 2, :math:`P_\ell: c_u \to c_u` is a transposed convolution
with stride 2. No convolution has a bias, so :class:`MgConv` is a linear map of :math:`f`; every
step has its own weights.

.. math::

    u_0 = S(f_0) \quad\text{(the first pre-smoothing step on level 0)}, \qquad
    u_\ell \leftarrow u_\ell + S_k\big(f_\ell - A_k u_\ell\big) \quad\text{(each further step)},

    f_{\ell+1} = R_\ell f_\ell \;\;\big(\text{or } R_\ell(f_\ell - A u_\ell) \text{ with
    ``use_res``}\big), \qquad u_{\ell+1} = \Pi_\ell u_\ell,

then, from :math:`\ell = L-2` down to 0, :math:`u_\ell \leftarrow u_\ell + P_\ell u_{\ell+1}`
followed by ``post`` smoothing steps with :math:`f_\ell`. The output is :math:`u_0`. Parameters are
named ``S{l}_{k}``/``A{l}_{k}`` (pre-smoothing), ``S{l}_post{k}``/``A{l}_post{k}``, ``R{l}`` and
``Pi{l}`` (restriction onto level l), ``Ares{l}`` (``use_res``) and ``RT{l}`` (level l+1 to l).

**Grid sizes.** A restriction maps :math:`n \mapsto \lceil n/2 \rceil` cells per axis
(85, 43, 22, 11, 6, 3); the coarsest level must keep at least 2 cells. A prolongation kernel
:math:`k` (PyTorch ``ConvTranspose(k, stride=2, padding=1)``, tap :math:`m` of coarse cell
:math:`i` lands on fine cell :math:`2i + m - 1`) gives :math:`2n - 4 + k` cells. By default
:math:`k = 4` everywhere and the result, :math:`2n`, is cropped at the end when the finer level is
odd: this equals the published ``MgNO_DC`` exactly on grids divisible by :math:`2^{L-1}` and keeps
the parameters independent of the grid. ``prolongation_kernels`` (one per level
:math:`0 \dots L-2`, 3 or 4, an int or one per axis) must map the sizes back exactly instead:
``(3, 4, 3, 3, 4)`` is ``MgNO_DC_smooth`` at 211 (211, 106, 53, 27, 14, 7).

**Boundary conditions** come only from the padding (one cell per side):

=============  ===============================  ==============================================
``padding``    :math:`3^d` convs (stride 1, 2)  prolongation :math:`P`
=============  ===============================  ==============================================
``zeros``      zeros (Dirichlet; Darcy, pipe)   PyTorch's transposed conv exactly
``periodic``   wrap (PyTorch ``circular``)      coarse field wrapped by one cell first
``reflect``    mirror, edge not repeated        coarse field mirrored by one cell first
=============  ===============================  ==============================================

PyTorch's transposed convolution pads only with zeros, so the published circular ``MgNO_NS``
drops the wrapped-around contributions in the first and last fine cells; here they wrap, which
makes a ``periodic`` V-cycle exactly equivariant to periodic shifts by multiples of
:math:`2^{L-1}` cells (same parameters; only those boundary cells differ). ``periodic`` therefore
needs grid sizes divisible by :math:`2^{L-1}`.

**PyTorch weights** load by transposition, without flips: ``Conv`` ``W[o, i, *k]`` is
``kernel[*k, i, o]``, ``ConvTranspose`` ``W[i, o, *k]`` is ``RT{l}/kernel[*k, o, i]`` and a 1x1
``Conv`` ``W[o, i, 1, 1]`` is ``kernel[i, o]`` (the tests check both transfer operators against
PyTorch's definitions).

**Initialisation.** ``weight_init="pytorch"`` draws every weight and bias from
:math:`U(\pm 1/\sqrt{\mathrm{fan_{in}}})`, :math:`\mathrm{fan_{in}} = c_{in} \prod k`, as PyTorch's
default (for its transposed convolutions PyTorch counts the output channels, equal here since
:math:`P: c_u \to c_u`); ``weight_init="flax"`` uses LeCun-normal kernels and zero biases.

**Published sizes** (verified by the tests): Darcy rough, 4 layers, :math:`c_u = 24`, 6 levels,
``((1, 0),) * 5 + ((2, 0),)``: 572,661 parameters; Darcy smooth at 211 (5 layers, kernels
``(3, 4, 3, 3, 4)``): 678,093; pipe (5 layers, 2 input channels, level 4 ``(1, 1)``): 783,876.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import count_params
>>> from sciml.models._mgno import MgNO
>>> model = MgNO()  # Darcy rough: 4 layers, 24 channels, 6 levels
>>> x = jnp.zeros((8, 85, 85, 1))  # 8 fields on an odd grid: levels 85, 43, 22, 11, 6, 3
>>> params = jax.eval_shape(model.init, jax.random.key(0), x)  # shapes only; init draws them
>>> count_params(params)
572661
>>> jax.eval_shape(model.apply, params, x).shape
(8, 85, 85, 1)
"""

import math
from collections.abc import Callable
from typing import Literal

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

Padding = Literal["zeros", "periodic", "reflect"]
WeightInit = Literal["pytorch", "flax"]
Activation = Callable[[Array], Array]
NumIteration = tuple[tuple[int, int], ...]
Kernels = tuple[int | tuple[int, ...], ...]

_PAD_MODES = {"zeros": "constant", "periodic": "wrap", "reflect": "reflect"}


def exact_gelu(x: Array) -> Array:
    """GELU in its exact erf form, as PyTorch's ``nn.GELU()`` (flax defaults to tanh)."""
    return nn.gelu(x, approximate=False)


def darcy_iteration(levels: int) -> NumIteration:
    """The published Darcy schedule: one pre-smoothing step per level, two on the coarsest."""
    return ((1, 0),) * (levels - 1) + ((2, 0),)


def _kernel_init(init: WeightInit) -> nn.initializers.Initializer:
    """Kernels in flax's layout ``[*kernel, c_in, c_out]``, so fan-in is the product but the last.

    Drawn as a flat vector and reshaped: XLA:CPU compiles the partitionable threefry for an n-D
    shape in 0.3 to 15 s per new shape (measured, jax 0.10), for a flat size in about 0.3 s.
    """

    def draw(key, shape, dtype=jnp.float32):
        fan_in, flat = math.prod(shape[:-1]), (math.prod(shape),)
        if init == "pytorch":
            bound = 1 / math.sqrt(fan_in)
            return jax.random.uniform(key, flat, dtype, -bound, bound).reshape(shape)
        # flax's lecun_normal: N(0, 1/fan_in) truncated at 2 sigma, rescaled to keep the variance.
        scale = math.sqrt(1 / fan_in) / 0.87962566103423978
        return (scale * jax.random.truncated_normal(key, -2, 2, flat, dtype)).reshape(shape)

    return draw


def _bias_init(init: WeightInit, fan_in: int) -> nn.initializers.Initializer:
    if init == "flax":
        return nn.initializers.zeros_init()
    bound = 1 / math.sqrt(fan_in)

    def uniform(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return uniform


def _pad(x: Array, mode: Padding, d: int) -> Array:
    """One cell on each side of the ``d`` spatial axes (those before the channel axis)."""
    widths = [(0, 0)] * (x.ndim - d - 1) + [(1, 1)] * d + [(0, 0)]
    return jnp.pad(x, widths, mode=_PAD_MODES[mode])


def _crop(x: Array, shape: tuple[int, ...]) -> Array:
    return x[(Ellipsis, *(slice(0, n) for n in shape), slice(None))]


def _conv(features: int, stride: int, padding: Padding, init: WeightInit, d: int, name: str):
    """A bias-free :math:`3^d` convolution with one cell of padding per side in ``padding`` mode."""
    conv = nn.Conv(
        features,
        (3,) * d,
        strides=stride,
        # Explicit and symmetric: 'SAME' would pad (0, 1) for stride 2 on even sizes.
        padding=((1, 1),) * d if padding == "zeros" else "VALID",
        use_bias=False,
        kernel_init=_kernel_init(init),
        name=name,
    )
    return conv if padding == "zeros" else lambda x: conv(_pad(x, padding, d))


# Sub-pixel form of PyTorch's ConvTranspose(k, stride 2, padding 1): fine cell 2q + a (phase
# a = 0, 1) receives tap m = 3 - 2t + a of coarse cell q + t - 1 (t = 0, 1, 2), when 0 <= m < k.
_TAPS = np.array([[3, 4], [1, 2], [-1, 0]])


def _phase_kernel(kernel: Array) -> Array:
    """``[*k, c_out, c_in]`` -> the stride-1 kernel ``[3]*d + [c_in, 2^d c_out]`` of all phases."""
    d = kernel.ndim - 2
    index, valid = [], np.ones((3,) * d + (2,) * d, bool)
    for axis, k in enumerate(kernel.shape[:d]):
        shape = [1] * (2 * d)
        shape[axis], shape[d + axis] = 3, 2
        taps = _TAPS.reshape(shape)
        valid = valid & (taps >= 0) & (taps < k)
        index.append(np.clip(taps, 0, k - 1))
    phases = jnp.where(valid[..., None, None], kernel[tuple(index)], 0)  # [3]*d [2]*d c_out c_in
    phases = phases.transpose(*range(d), 2 * d + 1, *range(d, 2 * d), 2 * d)
    return phases.reshape((3,) * d + (kernel.shape[-1], 2**d * kernel.shape[-2]))


class _Prolongation(nn.Module):
    r"""PyTorch ``ConvTranspose(k, stride=2, padding=1, bias=False)``: :math:`n \mapsto 2n - 4 + k`.

    The kernel ``[*k, c_out, c_in]`` is flax's ``ConvTranspose(transpose_kernel=True)`` layout:
    tap ``m`` of coarse cell ``i`` lands on fine cell ``2i + m - 1``. It is computed as one
    stride-1 :math:`3^d` convolution of the coarse field (extended by one cell in ``padding``
    mode) that yields the :math:`2^d` phases of the fine field, then interleaved: the same map,
    about 2.5 times faster forward and backward on XLA:CPU than ``lax.conv_transpose``
    (measured at 32 -> 64, 24 channels).
    """

    features: int
    kernel_size: tuple[int, ...]
    padding: Padding
    weight_init: WeightInit

    @nn.compact
    def __call__(self, x: Array) -> Array:
        d, c_in = len(self.kernel_size), x.shape[-1]
        kernel = self.param(
            "kernel", _kernel_init(self.weight_init), (*self.kernel_size, self.features, c_in)
        )
        x, kernel = nn.dtypes.promote_dtype(x, kernel)
        batch, space = x.shape[: -d - 1], x.shape[-d - 1 : -1]
        x = x.reshape((-1, *space, c_in))
        if self.padding != "zeros":
            x = _pad(x, self.padding, d)
        axes = "ABDEFGHJ"[:d]  # any letters but N, C, I, O
        y = jax.lax.conv_general_dilated(
            x,
            _phase_kernel(kernel),
            (1,) * d,
            ((1, 1),) * d if self.padding == "zeros" else "VALID",
            dimension_numbers=(f"N{axes}C", f"{axes}IO", f"N{axes}C"),
        )
        y = y.reshape((-1, *space, *(2,) * d, self.features))
        y = y.transpose(0, *(i for axis in range(d) for i in (1 + axis, 1 + d + axis)), 2 * d + 1)
        y = y.reshape((*batch, *(2 * n for n in space), self.features))
        return _crop(y, tuple(2 * n - 4 + k for n, k in zip(space, self.kernel_size, strict=True)))


def _prolongation(
    features: int, kernel: tuple[int, ...], padding: Padding, init: WeightInit, name: str
) -> _Prolongation:
    return _Prolongation(features, kernel, padding, init, name=name)


def _level_shapes(space: tuple[int, ...], levels: int, padding: Padding) -> list[tuple[int, ...]]:
    shapes = [space]
    for _ in range(levels - 1):
        shapes.append(tuple(-(-n // 2) for n in shapes[-1]))
    for axis, n in enumerate(space):
        chain = "->".join(str(shape[axis]) for shape in shapes)
        if shapes[-1][axis] < 2:
            raise ValueError(
                f"MgConv: grid size {n} (axis {axis}) is too small for {levels} levels "
                f"({chain}); the coarsest level needs at least 2 cells"
            )
        if padding == "periodic" and n % 2 ** (levels - 1):
            raise ValueError(
                f"MgConv: periodic padding needs grid sizes divisible by 2^(levels-1) = "
                f"{2 ** (levels - 1)}; got {n} (axis {axis}) with {levels} levels"
            )
    return shapes


def _check_schedule(num_iteration: NumIteration, padding: str, init: str) -> None:
    if padding not in _PAD_MODES:
        raise ValueError(f"MgConv: padding must be one of {tuple(_PAD_MODES)}, got {padding!r}")
    if init not in ("pytorch", "flax"):
        raise ValueError(f"MgConv: weight_init must be 'pytorch' or 'flax', got {init!r}")
    if not num_iteration or any(len(pair) != 2 or min(pair) < 0 for pair in num_iteration):
        raise ValueError(
            f"MgConv: num_iteration must be ((pre, post), ...) >= 0, got {num_iteration}"
        )
    if num_iteration[0][0] < 1:
        raise ValueError(
            f"MgConv: level 0 needs a pre-smoothing step (u = S f), got {num_iteration}"
        )
    if num_iteration[-1][1]:
        raise ValueError(
            f"MgConv: post-smoothing on the coarsest level is never applied, got {num_iteration}; "
            "count those steps as pre-smoothing"
        )


class MgConv(nn.Module):
    """One multi-channel V-cycle ``f [..., *space, c_f] -> u [..., *space, channels]``, linear in f.

    Attributes:
        channels: :math:`c_u`, the channels of the solution u (``c_f`` is the input's).
        num_iteration: ``(pre, post)`` smoothing steps per level; its length is the level count.
        padding: ``"zeros"``, ``"periodic"`` or ``"reflect"`` (see the module docstring).
        prolongation_kernels: ``None`` (4 and crop) or one kernel per level ``0 .. L-2``.
        use_res: restrict the residual ``f - A u`` instead of ``f``.
        spatial_dims: d, the number of spatial axes.
        weight_init: ``"pytorch"`` or ``"flax"`` (``init`` is flax's method).
    """

    channels: int
    num_iteration: NumIteration = darcy_iteration(6)
    padding: Padding = "zeros"
    prolongation_kernels: Kernels | None = None
    use_res: bool = False
    spatial_dims: int = 2
    weight_init: WeightInit = "pytorch"

    def _kernels(self, shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        d, levels = self.spatial_dims, len(shapes)
        if self.prolongation_kernels is None:
            return [(4,) * d] * (levels - 1)
        if len(self.prolongation_kernels) != levels - 1:
            raise ValueError(
                f"MgConv: {levels} levels need {levels - 1} prolongation kernels, got "
                f"{self.prolongation_kernels}"
            )
        kernels = [(k,) * d if isinstance(k, int) else tuple(k) for k in self.prolongation_kernels]
        for level, kernel in enumerate(kernels):
            if len(kernel) != d or any(k not in (3, 4) for k in kernel):
                raise ValueError(
                    f"MgConv: prolongation kernel {kernel} at level {level} must be 3 or 4 "
                    f"on each of {d} axes"
                )
            size = tuple(2 * n - 4 + k for n, k in zip(shapes[level + 1], kernel, strict=True))
            if size != shapes[level]:
                raise ValueError(
                    f"MgConv: prolongation kernel {kernel} maps level {level + 1} "
                    f"{shapes[level + 1]} to {size}, not to level {level} {shapes[level]} "
                    f"(grid {shapes[0]}, levels {[s[0] for s in shapes]})"
                )
        return kernels

    @nn.compact
    def __call__(self, f: Float[Array, "... c_f"]) -> Float[Array, "... c_u"]:
        d = self.spatial_dims
        _check_schedule(self.num_iteration, self.padding, self.weight_init)
        if f.ndim < d + 1:
            raise ValueError(f"MgConv: needs [..., *space, C] with {d} spatial axes, got {f.shape}")
        shapes = _level_shapes(tuple(f.shape[-d - 1 : -1]), len(self.num_iteration), self.padding)
        kernels = self._kernels(shapes)
        c_f, c_u = f.shape[-1], self.channels

        def conv(features: int, name: str, stride: int = 1):
            return _conv(features, stride, self.padding, self.weight_init, d, name)

        def smooth(u: Array, f: Array, name: str) -> Array:
            return u + conv(c_u, f"S{name}")(f - conv(c_f, f"A{name}")(u))

        us, fs = [], []
        for level, (pre, _) in enumerate(self.num_iteration):
            if level == 0:
                u = conv(c_u, "S0_0")(f)
            else:
                residual = f - conv(c_f, f"Ares{level}")(u) if self.use_res else f
                f = conv(c_f, f"R{level}", stride=2)(residual)
                u = conv(c_u, f"Pi{level}", stride=2)(u)
            for step in range(1 if level == 0 else 0, pre):
                u = smooth(u, f, f"{level}_{step}")
            us.append(u)
            fs.append(f)

        u = us[-1]
        for level in range(len(shapes) - 2, -1, -1):
            up = _prolongation(c_u, kernels[level], self.padding, self.weight_init, f"RT{level}")(u)
            u = us[level] + _crop(up, shapes[level])
            for step in range(self.num_iteration[level][1]):
                u = smooth(u, fs[level], f"{level}_post{step}")
        return u


class MgNO(nn.Module):
    r"""MgNO: ``[*space, C]`` or ``[B, *space, C]`` with ``C = input_channels`` to ``out`` channels.

    Attributes:
        layers: the number of V-cycle layers.
        channels: :math:`c_u`.
        input_channels: the channels of the input field (:math:`c_f` of the first layer).
        out: the output channels.
        levels: L; ``num_iteration`` defaults to :func:`darcy_iteration` ``(levels)``.
        num_iteration, padding, prolongation_kernels, use_res, spatial_dims, weight_init: as
            :class:`MgConv`, shared by every layer.
        pointwise: add the 1x1 convolution with bias in every layer (``MgNO_DC``).
        activation: :math:`\sigma`.
    """

    layers: int = 4
    channels: int = 24
    input_channels: int = 1
    out: int = 1
    levels: int = 6
    num_iteration: NumIteration | None = None
    padding: Padding = "zeros"
    pointwise: bool = True
    activation: Activation = exact_gelu
    prolongation_kernels: Kernels | None = None
    use_res: bool = False
    spatial_dims: int = 2
    weight_init: WeightInit = "pytorch"

    @nn.compact
    def __call__(self, x: Float[Array, "... c_in"]) -> Float[Array, "... out"]:
        d = self.spatial_dims
        if x.ndim not in (d + 1, d + 2):
            raise ValueError(
                f"MgNO: with spatial_dims={d} the input is [*space, C] or [B, *space, C] "
                f"(rank {d + 1} or {d + 2}), got shape {x.shape}"
            )
        if x.shape[-1] != self.input_channels:
            raise ValueError(
                f"MgNO: input_channels={self.input_channels} but the input has {x.shape[-1]} "
                f"channels (shape {x.shape})"
            )
        num_iteration = self.num_iteration
        if num_iteration is None:
            num_iteration = darcy_iteration(self.levels)
        if len(num_iteration) != self.levels:
            raise ValueError(
                f"MgNO: levels={self.levels} but num_iteration has {len(num_iteration)} "
                f"entries: {num_iteration}"
            )
        u = x
        for layer in range(self.layers):
            v = MgConv(
                channels=self.channels,
                num_iteration=tuple(tuple(pair) for pair in num_iteration),
                padding=self.padding,
                prolongation_kernels=self.prolongation_kernels,
                use_res=self.use_res,
                spatial_dims=d,
                weight_init=self.weight_init,
                name=f"mgconv{layer}",
            )(u)
            if self.pointwise:
                v = v + _dense(
                    self.channels, True, u.shape[-1], self.weight_init, f"pointwise{layer}"
                )(u)
            u = self.activation(v)
        return _dense(self.out, False, u.shape[-1], self.weight_init, "head")(u)


def _dense(features: int, bias: bool, fan_in: int, init: WeightInit, name: str) -> nn.Dense:
    """A 1x1 convolution (a dense layer on the channel axis)."""
    return nn.Dense(
        features,
        use_bias=bias,
        kernel_init=_kernel_init(init),
        bias_init=_bias_init(init, fan_in),
        name=name,
    )
