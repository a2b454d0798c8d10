"""SineNet and PDEArena's modern U-Net: published parameter counts, PyTorch's upsampling operators,
periodic-shift equivariance of the circular models, shapes, errors and one gradient step.

Parameter counts and shapes come from ``jax.eval_shape`` (no memory, no compute). Everything that
computes uses small widths on grids up to 32x48, with weights drawn by numpy on the shapes of
``eval_shape(model.init)``: the identities tested hold for any weights.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

from sciml.models import ModernUNet, SineNet, count_params
from sciml.models._modern_unet import Attention, ResidualBlock, Upsample
from sciml.models._sinenet import bicubic_upsample

# float32 round-off of the same operations in a different summation order (the GroupNorm
# statistics of a shifted field): measured <= 2e-6 of the output's largest entry after two waves
# (SineNet) and 14 residual blocks (U-Net).
SHIFT_RTOL = 2e-5
# The broken counterparts differ by more than this, relative to the largest output: measured
# 0.6-0.9 with zero padding, 0.19 (SineNet) and 0.012 (U-Net) for half the period, where only
# the coarsest level is misaligned; round-off (above) stays 500 times below.
BROKEN_RTOL = 1e-3
# float32 dot products of <= 64 terms of size O(1) (upsampling, attention against numpy f64).
F32_TOL = 1e-5

# INS: 4 history frames of smoke and a 2-D velocity in, one frame out (seed-models 4.3, 4.4).
INS_IN, INS_OUT = 4 * 3, 3


def rel_err(a, b):
    return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))


@jax.jit(static_argnums=0)
def apply(model, params, x):
    return model.apply(params, x)


def random_params(model, x, seed=0):
    """Kernels and biases U(+-1/sqrt(fan_in)), norm scales near 1 and offsets near 0."""
    shapes = traverse_util.flatten_dict(jax.eval_shape(model.init, jax.random.key(0), x))
    rng = np.random.default_rng(seed)
    out = {}
    for path, leaf in shapes.items():
        kernel = shapes.get((*path[:-1], "kernel"))
        if kernel is not None:
            bound = 1 / math.sqrt(math.prod(kernel.shape[:-1]))
            v = rng.uniform(-bound, bound, leaf.shape)
        elif path[-1] == "scale":
            v = rng.uniform(0.9, 1.1, leaf.shape)
        else:
            v = rng.uniform(-0.1, 0.1, leaf.shape)
        out[path] = jnp.asarray(v, leaf.dtype)
    return traverse_util.unflatten_dict(out)


def shapes_of(model, x_shape):
    return jax.eval_shape(model.init, jax.random.key(0), jax.ShapeDtypeStruct(x_shape, jnp.float32))


def field(seed, shape):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), jnp.float32)


# -- parameter counts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("waves", "hidden", "mult", "inputs", "out", "published"),
    [
        (8, 64, 1.425, INS_IN, INS_OUT, 35_490_219),  # sinenet8-dual, the registry's comment
        (6, 64, 1.5, INS_IN, INS_OUT, 35_475_499),  # sinenet6-dual
        (4, 64, 1.611, INS_IN, INS_OUT, 35_493_699),  # sinenet4-dual
        (2, 64, 1.8075, INS_IN, INS_OUT, 35_499_989),  # sinenet2-dual
        (1, 128, 2, INS_IN, INS_OUT, 135_094_659),  # sinenet1-dual-128
        (8, 64, 1.425, 10 * 4, 4, 35_506_924),  # CNS: 10 frames of rho, p, (u, v)
        (8, 64, 1.425, 2 * 3, 3, 35_486_763),  # SWE: 2 frames of pressure, (u, v)
    ],
)
def test_sinenet_parameter_counts_match_the_registry(waves, hidden, mult, inputs, out, published):
    model = SineNet(out=out, waves=waves, hidden=hidden, mult=mult)
    assert count_params(shapes_of(model, (1, 128, 128, inputs))) == published


def test_sinenet8_widths_and_disentangled_branch():
    # Widths int(64 1.425^k); the "-tangle" variant drops the 64 pooled input channels that
    # enter the first 3x3 convolution of down levels 1..3 of every wave.
    dual = shapes_of(SineNet(out=INS_OUT), (1, 128, 128, INS_IN))["params"]
    tangle = shapes_of(SineNet(out=INS_OUT, disentangle=False), (1, 128, 128, INS_IN))["params"]
    widths = [dual["lift"]["kernel"].shape[-1]]
    widths += [dual["wave0"][f"down{level}_0"]["conv2"]["kernel"].shape[-1] for level in range(4)]
    assert widths == [64, 91, 129, 185, 263]
    assert dual["wave7"]["down2_0"]["conv1"]["kernel"].shape == (3, 3, 129 + 64, 185)
    assert count_params(dual) - count_params(tangle) == 8 * 9 * 64 * (129 + 185 + 263)


def modern_unet_count(inputs, out, hidden=64, mults=(1, 2, 2, 4), blocks=2):
    """The published ``Unet`` block by block: pre-norm residual blocks (two GroupNorms on the
    input and output widths, a 1x1 shortcut when the width changes), stride-2 3x3 downsampling,
    4x4 transposed-conv upsampling, GroupNorm(8) and a 3x3 head."""

    def conv(i, o, k):
        return k * k * i * o + o

    def res(i, o):
        return conv(i, o, 3) + conv(o, o, 3) + (conv(i, o, 1) if i != o else 0) + 2 * i + 2 * o

    n, c, skips = conv(inputs, hidden, 3), hidden, [hidden]
    for level, m in enumerate(mults):
        for j in range(blocks):
            n += res(c, c * m if j == 0 else c)
            c = c * m if j == 0 else c
            skips.append(c)
        if level < len(mults) - 1:
            n += conv(c, c, 3)
            skips.append(c)
    n += 2 * res(c, c)
    for level in reversed(range(len(mults))):
        for j in range(blocks + 1):
            o = c // mults[level] if j == blocks else c
            n += res(c + skips.pop(), o)
            c = o
        if level:
            n += conv(c, c, 4)
    return n + 2 * hidden + conv(hidden, out, 3)


def test_modern_unet_parameter_count_is_unetmod64():
    model = ModernUNet(out=INS_OUT)
    count = count_params(shapes_of(model, (1, 128, 128, INS_IN)))
    assert count == modern_unet_count(INS_IN, INS_OUT) == 144_263_683  # PDEArena's "144 M"


def test_modern_unet_attention_adds_the_published_block():
    # One attention block on c channels: qkv Linear(c, 3c), output Linear(c, c) and the declared
    # (unused) GroupNorm: 4c^2 + 6c. On level 3 (c = 1024): 2 down, 2 up at 1024 and 1 up at
    # 1024 / 4 = 256, plus the middle one at 1024.
    base = count_params(shapes_of(ModernUNet(out=INS_OUT), (1, 64, 64, INS_IN)))
    model = ModernUNet(out=INS_OUT, attention=(False, False, False, True), mid_attention=True)
    with_attention = count_params(shapes_of(model, (1, 64, 64, INS_IN)))
    assert with_attention - base == 5 * (4 * 1024**2 + 6 * 1024) + 4 * 256**2 + 6 * 256


# -- shapes and errors --------------------------------------------------------------------------

TINY_SINENET = SineNet(out=2, waves=2, hidden=4, mult=1.5)  # widths 4, 6, 9, 13, 20
TINY_UNET = ModernUNet(out=2, hidden=8, blocks=1)  # widths 8, 8, 16, 32, 128


@pytest.mark.parametrize("model", [TINY_SINENET, TINY_UNET], ids=["sinenet", "unet"])
def test_models_map_a_batch_or_a_sample_to_the_same_grid(model):
    params = shapes_of(model, (2, 32, 48, 5))
    for shape in [(2, 32, 48, 5), (32, 48, 5), (3, 64, 16, 5)]:
        x = jax.ShapeDtypeStruct(shape, jnp.float32)
        assert jax.eval_shape(model.apply, params, x).shape == (*shape[:-1], model.out)


def test_models_reject_grids_and_settings_they_cannot_take():
    key, x = jax.random.key(0), jnp.zeros
    with pytest.raises(
        ValueError, match=r"^SineNet: grid \(40, 32\) must be divisible by 2\*\*4 = 16"
    ):
        jax.eval_shape(TINY_SINENET.init, key, x((1, 40, 32, 3)))
    with pytest.raises(ValueError, match=r"^ModernUNet: grid \(16, 36\) .* 2\*\*3 = 8 on each"):
        jax.eval_shape(TINY_UNET.init, key, x((1, 16, 36, 3)))
    with pytest.raises(
        ValueError, match=r"takes \[H, W, C\] or \[B, H, W, C\], got shape \(32, 3\)"
    ):
        jax.eval_shape(TINY_SINENET.init, key, x((32, 3)))
    with pytest.raises(ValueError, match="padding must be 'zeros' or 'circular', got 'periodic'"):
        jax.eval_shape(SineNet(out=1, padding="periodic").init, key, x((1, 16, 16, 1)))
    with pytest.raises(ValueError, match="hidden=12 is not divisible by 8 groups"):
        jax.eval_shape(ModernUNet(out=1, hidden=12).init, key, x((1, 16, 16, 1)))


# -- PyTorch's upsampling operators -------------------------------------------------------------

# PyTorch's bicubic x2 with align_corners=False: fine cell i sits at coarse position i/2 - 1/4,
# so odd fine cells 2j + 1 take coarse cells j-1..j+2 at distances 1.25, 0.25, 0.75, 1.75, and
# even ones 2j the mirror image at j-2..j+1. Cubic convolution with a = -0.75:
# W(s) = (a+2)s^3 - (a+3)s^2 + 1 on [0, 1], a s^3 - 5a s^2 + 8a s - 4a on [1, 2].
_ODD = np.array([-108, 900, 268, -36]) / 1024


def torch_bicubic_x2(u, wrap):
    """PyTorch's definition along axes 1 and 2 of numpy ``u``: indices clamped, or wrapped."""
    for axis in (1, 2):
        n = u.shape[axis]
        fine = []
        for i in range(2 * n):
            j, taps = (i // 2, _ODD) if i % 2 else (i // 2 - 1, _ODD[::-1])
            index = np.arange(j - 1, j + 3)
            index = index % n if wrap else np.clip(index, 0, n - 1)
            fine.append(np.tensordot(np.take(u, index, axis=axis), taps, axes=([axis], [0])))
        u = np.moveaxis(np.stack(fine), 0, axis)
    return u


@pytest.mark.parametrize("padding", ["zeros", "circular"])
def test_bicubic_upsampling_is_pytorchs(padding):
    u = np.random.default_rng(1).standard_normal((2, 6, 8, 3))
    got = bicubic_upsample(jnp.asarray(u, jnp.float32), padding)
    want = torch_bicubic_x2(u, wrap=padding == "circular")
    np.testing.assert_allclose(got, want, atol=F32_TOL)


@pytest.mark.parametrize(
    ("method", "antialias"), [("cubic", False), ("cubic", True), ("cubic-pytorch", True)]
)
def test_other_cubic_resizes_are_not_pytorchs(method, antialias):
    # These use Keys' a = -0.5 (and drop off-grid taps at the border, renormalising the rest):
    # the interior alone differs from PyTorch's a = -0.75 by O(0.1) on a unit-variance field.
    u = np.random.default_rng(2).standard_normal((1, 8, 8, 1))
    other = jax.image.resize(
        jnp.asarray(u, jnp.float32), (1, 16, 16, 1), method=method, antialias=antialias
    )
    gap = np.abs(np.asarray(other) - torch_bicubic_x2(u, wrap=False))
    assert gap[:, 4:-4, 4:-4].max() > 1e-2


@pytest.mark.parametrize("padding", ["zeros", "circular"])
def test_transposed_convolution_is_pytorchs(padding):
    # ConvTranspose2d(4, stride 2, padding 1): coarse cell i with tap m adds K[m] x_i to fine
    # cell 2i + m - 1; zeros drops the taps that land outside, circular wraps them.
    rng = np.random.default_rng(3)
    u = rng.standard_normal((1, 3, 4, 2))
    model = Upsample(5, padding)
    params = random_params(model, jnp.asarray(u, jnp.float32))
    kernel = np.asarray(params["params"]["conv"]["kernel"], np.float64)  # [4, 4, out, in]
    want = np.zeros((1, 6, 8, 5)) + np.asarray(params["params"]["conv"]["bias"])
    for i1, i2, m1, m2 in np.ndindex(3, 4, 4, 4):
        f1, f2 = 2 * i1 + m1 - 1, 2 * i2 + m2 - 1
        if padding == "circular":
            f1, f2 = f1 % 6, f2 % 8
        elif not (0 <= f1 < 6 and 0 <= f2 < 8):
            continue
        want[0, f1, f2] += kernel[m1, m2] @ u[0, i1, i2]
    got = apply(model, params, jnp.asarray(u, jnp.float32))
    np.testing.assert_allclose(got, want, atol=F32_TOL)


def test_attention_normalises_over_the_queries_as_published():
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    model = Attention()
    params = random_params(model, jnp.asarray(x, jnp.float32))["params"]
    t = x.reshape(1, 6, 4)
    qkv = t @ np.asarray(params["projection"]["kernel"]) + np.asarray(params["projection"]["bias"])
    q, k, v = np.split(qkv, 3, axis=-1)
    s = np.exp(q @ k.transpose(0, 2, 1) / 2.0)  # [b, query, key] / sqrt(4)
    a = s / s.sum(axis=1, keepdims=True)  # columns sum to one: over the queries
    out = (a @ v) @ np.asarray(params["output"]["kernel"]) + np.asarray(params["output"]["bias"])
    got = apply(model, {"params": params}, jnp.asarray(x, jnp.float32))
    np.testing.assert_allclose(got, (out + t).reshape(x.shape), atol=F32_TOL)


# -- periodic-shift equivariance ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "shift", "misaligned"),
    [
        (TINY_SINENET, (16, 32), (8, 0)),  # 4 average pools: multiples of 16
        (TINY_UNET, (8, 16), (4, 0)),  # 3 stride-2 convolutions: multiples of 8
    ],
    ids=["sinenet", "unet"],
)
def test_circular_models_commute_with_periodic_shifts_zero_padded_ones_do_not(
    model, shift, misaligned
):
    x = field(5, (2, 32, 48, 3))
    circular = model.clone(padding="circular")
    params = random_params(circular, x)

    def roll(u, s):
        return jnp.roll(u, s, axis=(1, 2))

    out = apply(circular, params, x)
    assert rel_err(apply(circular, params, roll(x, shift)), roll(out, shift)) < SHIFT_RTOL
    # half the period: the coarsest level's grid no longer lines up with the field
    misaligned_out = apply(circular, params, roll(x, misaligned))
    assert rel_err(misaligned_out, roll(out, misaligned)) > BROKEN_RTOL
    zeros = model.clone(padding="zeros")  # same parameter tree
    out = apply(zeros, params, x)
    assert rel_err(apply(zeros, params, roll(x, shift)), roll(out, shift)) > BROKEN_RTOL


# -- initialisation and one gradient step ------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [ResidualBlock(32), Upsample(32), Attention()],
    ids=["residual", "upsample", "attention"],
)
def test_initialisation_is_pytorchs(module):
    # Weights and biases U(+-1/sqrt(fan_in)), fan_in = c_in k^2 (for ConvTranspose2d PyTorch counts
    # the output channels: 16 c_out); with >= 32 draws the largest exceeds half the bound with
    # probability 1 - 2^-32. GroupNorms start at scale 1, offset 0.
    x = jnp.ones((1, 4, 4, 48))
    params = jax.jit(module.init)(jax.random.key(0, impl="rbg"), x)["params"]
    for layer in jax.tree.leaves(params, is_leaf=lambda node: "bias" in node):
        if "kernel" not in layer:
            assert np.all(layer["scale"] == 1) and np.all(layer["bias"] == 0)
            continue
        bound = 1 / math.sqrt(math.prod(layer["kernel"].shape[:-1]))
        for leaf in (layer["kernel"], layer["bias"]):
            assert bound / 2 < np.abs(leaf).max() <= bound


ATTENTION_NORM = {("norm", "scale"), ("norm", "bias")}


@pytest.mark.parametrize(
    ("model", "dead"),
    [
        (SineNet(out=2, waves=2, hidden=4, mult=1.5, levels=2, padding="circular"), set()),
        # the published attention block's GroupNorm is declared, never applied
        (
            ModernUNet(out=2, hidden=8, ch_mults=(1, 2), blocks=1, attention=(False, True)),
            {
                (block, *leaf)
                for block in ("down1_0_attn", "up1_0_attn", "up1_1_attn")
                for leaf in ATTENTION_NORM
            },
        ),
    ],
    ids=["sinenet", "unet"],
)
def test_a_gradient_step_reaches_every_parameter_and_lowers_the_loss(model, dead):
    x, y = field(6, (2, 16, 16, 3)), field(7, (2, 16, 16, 2))
    params = random_params(model, x)

    @jax.jit
    def loss_and_grad(p):
        return jax.value_and_grad(lambda p: jnp.mean((model.apply(p, x) - y) ** 2))(p)

    value, grads = loss_and_grad(params)
    flat = traverse_util.flatten_dict(grads["params"])
    assert {path for path, g in flat.items() if not np.any(g)} == dead
    assert all(np.all(np.isfinite(g)) for g in flat.values())
    # first order: a small enough step down the gradient lowers the loss
    step = jax.tree.map(lambda p, g: p - 1e-2 * g, params, grads)
    assert loss_and_grad(step)[0] < value
