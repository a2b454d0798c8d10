"""FNO and U-Net: the spectral convolution against its Fourier-space definition, invariances,
parameter counts against the official architectures' closed forms, shapes and padding.

Parameters are drawn with NumPy on the shapes of ``jax.eval_shape(model.init, ...)``: the
properties tested hold for any weights, and a real ``init`` compiles one random draw per
parameter tensor (seconds for a U-Net on two cores). One test runs the real ``init`` to check
the official initialisation. Shapes come from ``jax.eval_shape``; numerics share a few compiled
shapes through ``apply``.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

from sciml.models._field import count_params
from sciml.models._fno import FNO, SpectralConv
from sciml.models._grid import grid_coordinates
from sciml.models._unet import UNet

# float64 round-off of an FFT pair on <= 1024 points is ~1e-15 of the field's size: a margin of
# a thousand, still ten orders below any modelling error the tests look for.
FFT_F64_TOL = 1e-12

# The FNO at 32 vs 64 points: the GELU creates harmonics above the 32-point Nyquist frequency
# which alias differently at the two resolutions. Measured in float64 for the configuration of
# the test: relative gaps 5e-5 (32 vs 64 points) and 3e-8 (64 vs 128); the bound leaves a factor
# 20, and the harmonics of a smooth field decay fast, so one refinement must gain 100 (measured
# 1600; an algebraic decay, e.g. a kink in the activation, would gain ~4-8).
FNO_RESOLUTION_TOL = 1e-3
FNO_REFINEMENT_GAIN = 1e-2


@jax.jit(static_argnums=0)
def apply(model, params, x):
    """``model.apply`` compiled once per model, shape and dtype, shared by the tests below."""
    return model.apply(params, x)


def random_params(model, x, seed=0):
    """Every leaf of ``model``'s parameters drawn with NumPy: spectral weights as the official
    code, kernels and their biases U(+-1/sqrt(fan_in)), norm scales near 1, norm offsets near 0."""
    shapes = traverse_util.flatten_dict(jax.eval_shape(model.init, jax.random.key(0), x))
    rng = np.random.default_rng(seed)
    out = {}
    for path, leaf in shapes.items():
        name, kernel = path[-1], shapes.get((*path[:-1], "kernel"))
        if name.startswith("weights"):
            v = rng.uniform(0.0, 1.0 / (leaf.shape[0] * leaf.shape[1]), leaf.shape)
        elif kernel is not None:
            bound = 1.0 / math.sqrt(math.prod(kernel.shape[:-1]))
            v = rng.uniform(-bound, bound, leaf.shape)
        elif name == "scale":
            v = rng.uniform(0.9, 1.1, leaf.shape)
        else:
            v = rng.uniform(-0.1, 0.1, leaf.shape)
        out[path] = jnp.asarray(v, leaf.dtype)
    return traverse_util.unflatten_dict(out)


def plane_waves(shape, waves, coeffs):
    """``sum_k Re(c_k exp(2 pi i k.x))`` on the periodic nodes ``x_i = j / N_i``, ``[*shape, C]``;
    ``c_k`` is row ``k`` of ``coeffs``."""
    x = np.stack(np.meshgrid(*[np.arange(n) / n for n in shape], indexing="ij"), axis=-1)
    phase = np.exp(2j * np.pi * (x @ np.asarray(waves, float).T))  # [*shape, K]
    return np.real(phase @ np.asarray(coeffs))


def complex_weight(params, block):
    w = np.asarray(params["params"][f"weights{block}"])
    return w[..., 0] + 1j * w[..., 1]


# ---------------------------------------------------------------- spectral convolution


CASES = {  # spatial shape, modes, waves in the band (each with its block and index), waves out
    "1d": ((32,), (6,), [((1,), 1, (1,)), ((5,), 1, (5,))], [(6,), (7,), (15,), (16,)]),
    "2d": (
        (16, 12),
        (4, 3),
        [((0, 1), 1, (0, 1)), ((3, 2), 1, (3, 2)), ((-4, 1), 2, (0, 1)), ((-1, 2), 2, (3, 2))],
        [(4, 1), (-5, 2), (0, 3), (2, 6), (8, 0), (5, 0)],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_spectral_conv_multiplies_each_retained_mode_by_its_weight(x64, case):
    # A wave c e^{2 pi i k.x} (k in the half-space the real FFT keeps) leaves as (c R_k) e^{...}:
    # the retained band, the corner each negative frequency sits in, the norm convention.
    shape, modes, inside, _ = CASES[case]
    rng = np.random.default_rng(0)
    conv = SpectralConv(features=3, modes=modes)
    params = random_params(conv, jnp.zeros((*shape, 2)))
    for k, block, index in inside:
        c = rng.standard_normal((1, 2)) + 1j * rng.standard_normal((1, 2))
        got = apply(conv, params, jnp.asarray(plane_waves(shape, [k], c)))
        r_k = complex_weight(params, block)[(..., *index)]  # [in, out]
        want = plane_waves(shape, [k], c @ r_k)
        np.testing.assert_allclose(got, want, atol=FFT_F64_TOL, err_msg=f"wave {k}")


@pytest.mark.parametrize("case", CASES)
def test_spectral_conv_annihilates_modes_outside_the_band(x64, case):
    # The edges of the band: +m_i is out where -m_i is in, m_d along the last axis, Nyquist.
    shape, modes, _, outside = CASES[case]
    rng = np.random.default_rng(1)
    conv = SpectralConv(features=3, modes=modes)
    params = random_params(conv, jnp.zeros((*shape, 2)))
    c = rng.standard_normal((len(outside), 2)) + 1j * rng.standard_normal((len(outside), 2))
    v = plane_waves(shape, outside, c)
    assert np.abs(v).max() > 1.0
    np.testing.assert_allclose(apply(conv, params, jnp.asarray(v)), 0.0, atol=FFT_F64_TOL)


@pytest.mark.parametrize("case", CASES)
def test_spectral_conv_is_real_and_commutes_with_periodic_shifts(x64, case):
    shape, modes, _, _ = CASES[case]
    conv = SpectralConv(features=3, modes=modes)
    params = random_params(conv, jnp.zeros((*shape, 2)))
    v = jnp.asarray(np.random.default_rng(2).standard_normal((*shape, 2)))  # white noise
    shift, axes = (5, -3)[: len(shape)], (0, 1)[: len(shape)]
    out = apply(conv, params, v)
    assert out.dtype == jnp.float64 and out.shape == (*shape, 3)
    np.testing.assert_allclose(
        apply(conv, params, jnp.roll(v, shift, axes)), jnp.roll(out, shift, axes), atol=FFT_F64_TOL
    )


@pytest.mark.parametrize("case", CASES)
def test_spectral_conv_is_discretisation_invariant(x64, case):
    # A field band-limited below both grids' Nyquist frequencies (and partly above the retained
    # band) has the same Fourier coefficients on both grids, so the outputs are one function.
    shape, modes, _, _ = CASES[case]
    fine = tuple(2 * n for n in shape)
    rng = np.random.default_rng(3)
    waves = [k for k in np.ndindex(*[n // 2 for n in shape]) if k[-1] > 0]
    waves += [(-k[0], *k[1:]) for k in waves if len(k) > 1 and k[0] > 0]
    c = rng.standard_normal((len(waves), 2)) + 1j * rng.standard_normal((len(waves), 2))
    conv = SpectralConv(features=3, modes=modes)
    params = random_params(conv, jnp.zeros((*shape, 2)))
    coarse_out = apply(conv, params, jnp.asarray(plane_waves(shape, waves, c)))
    fine_out = apply(conv, params, jnp.asarray(plane_waves(fine, waves, c)))
    every_other = (*(slice(None, None, 2) for _ in shape), slice(None))
    np.testing.assert_allclose(fine_out[every_other], coarse_out, atol=FFT_F64_TOL)


# ---------------------------------------------------------------- FNO


def official_fno_count(inputs, width, modes, layers=4, projection=128, out=1):
    """The official FNO's ``count_params`` (complex weights count 2): ``fc0`` on the inputs and
    the grid, ``layers`` x (2^(d-1) corner weights + a 1x1 conv with bias), ``fc1``, ``fc2``."""
    d = len(modes)
    lifting = (inputs + d) * width + width
    spectral = 2 ** (d - 1) * width * width * math.prod(modes) * 2
    pointwise = width * width + width
    return (
        lifting
        + layers * (spectral + pointwise)
        + width * projection
        + projection
        + (projection * out + out)
    )


@pytest.mark.parametrize(
    ("model", "grid", "official"),
    [
        (FNO(width=32, modes=(12, 12)), (85, 85), 2_368_001),  # fourier_2d.py (Darcy)
        (FNO(width=64, modes=(16,)), (1024,), 549_569),  # fourier_1d.py (Burgers)
    ],
)
def test_fno_parameter_count_matches_the_official_scripts(model, grid, official):
    params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((*grid, 1)))
    assert official_fno_count(1, model.width, model.modes) == official
    assert count_params(params) == official


def test_fno_initialisation_follows_the_official_code():
    # Spectral weights s U[0,1) (real and imaginary parts), s = 1/(in out); pointwise maps as
    # PyTorch's nn.Linear: weight and bias U(+-1/sqrt(fan_in)) (Flax's default has zero biases).
    model = FNO(width=4, modes=(3,), layers=1, projection=5, out=2)
    key = jax.random.key(0, impl="rbg")  # compiles in a third of threefry's time
    params = jax.jit(model.init)(key, jnp.zeros((8, 2)))["params"]
    w = np.asarray(params["conv0"]["weights1"])
    assert w.min() >= 0.0 and 0.5 / 16 < w.max() < 1.0 / 16
    for name, fan_in in {"fc0": 3, "w0": 4, "fc1": 4, "fc2": 5}.items():
        for leaf in params[name].values():
            assert 0.0 < np.abs(leaf).max() <= 1.0 / math.sqrt(fan_in), name


@pytest.mark.parametrize(
    ("model", "space", "channels"),
    [
        (FNO(width=6, modes=(4,), layers=2, projection=8, out=3), (16,), 2),
        (FNO(width=6, modes=(3, 3), layers=2, projection=8, out=2, padding=3), (12, 10), 1),
    ],
)
def test_fno_maps_a_sample_or_a_batch_to_fields_on_the_same_grid(model, space, channels):
    params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((*space, channels)))
    for batch in [(), (2,)]:
        out = jax.eval_shape(model.apply, params, jnp.zeros((*batch, *space, channels)))
        assert out.shape == (*batch, *space, model.out)


def test_fno_treats_the_samples_of_a_batch_independently():
    model = FNO(width=6, modes=(4,), layers=2, projection=8, out=3)
    a = jnp.asarray(np.random.default_rng(4).standard_normal((2, 16, 2)), jnp.float32)
    params = random_params(model, a)
    other = a.at[0].set(a[0] ** 2)
    out, out_other = apply(model, params, a), apply(model, params, other)
    np.testing.assert_array_equal(out[1], out_other[1])
    assert not np.allclose(out[0], out_other[0])


def test_fno_is_nearly_discretisation_invariant(x64):
    # Without the grid channel (its nodes j/(N-1) do not nest) and without padding, every layer
    # but the GELU acts on resolution-independent Fourier coefficients; the difference between
    # 32 and 64 points is aliasing only, and it falls fast as the grid is refined.
    model = FNO(width=8, modes=(8,), layers=2, projection=16, append_grid=False)
    params = random_params(model, jnp.zeros((32, 1)))
    rng = np.random.default_rng(5)
    waves = [(k,) for k in range(1, 7)]
    c = 3 * (rng.standard_normal((6, 1)) + 1j * rng.standard_normal((6, 1)))
    c /= np.arange(1, 7)[:, None]  # amplitude ~3: the GELU is well into its nonlinear range
    out = {n: apply(model, params, jnp.asarray(plane_waves((n,), waves, c))) for n in (32, 64, 128)}

    def gap(n):
        fine = out[2 * n][::2]
        return float(jnp.linalg.norm(out[n] - fine) / jnp.linalg.norm(fine))

    assert gap(32) < FNO_RESOLUTION_TOL
    assert gap(64) < FNO_REFINEMENT_GAIN * gap(32)


def test_fno_and_spectral_conv_reject_bad_inputs():
    key = jax.random.key(0)
    with pytest.raises(
        ValueError, match=r"need a grid of at least \(24, 22\) points, got \(20, 30\)"
    ):
        jax.eval_shape(FNO().init, key, jnp.zeros((20, 30, 1)))
    with pytest.raises(ValueError, match=r"at least \(8,\) points, got \(7,\)"):
        jax.eval_shape(SpectralConv(2, (5,)).init, key, jnp.zeros((7, 1)))
    with pytest.raises(ValueError, match=r"rank 3 or 4, got shape \(16, 1\)"):
        jax.eval_shape(FNO(modes=(4, 4)).init, key, jnp.zeros((16, 1)))
    # zero padding at the end lets a grid of 5 points carry modes needing 6
    jax.eval_shape(FNO(modes=(4,), padding=1).init, key, jnp.zeros((5, 1)))


def test_grid_coordinates_are_the_official_nodes():
    g = grid_coordinates((5, 3, 2))
    assert g.shape == (5, 3, 2, 3)
    np.testing.assert_array_equal(g[:, 1, 0, 0], np.linspace(0, 1, 5, dtype=np.float32))
    np.testing.assert_array_equal(g[2, :, 1, 1], np.linspace(0, 1, 3, dtype=np.float32))
    np.testing.assert_array_equal(g[4, 2, :, 2], [0.0, 1.0])


# ---------------------------------------------------------------- U-Net


def unet_count(inputs, dims, features, levels, out, norm=True):
    """Closed form: per level two 3^d convs with bias (+ two GroupNorms: scale and offset); the
    decoder adds a 2^d transposed conv and takes the skip concatenated; a 1^d head."""

    def conv(i, o, k):
        return k**dims * i * o + o

    def block(i, o):
        return conv(i, o, 3) + conv(o, o, 3) + (4 * o if norm else 0)

    f = [features * 2**level for level in range(levels)]
    n = block(inputs, f[0]) + sum(block(f[level - 1], f[level]) for level in range(1, levels))
    n += sum(
        conv(f[level + 1], f[level], 2) + block(2 * f[level], f[level])
        for level in range(levels - 1)
    )
    return n + conv(f[0], out, 1)


@pytest.mark.parametrize(
    ("model", "shape", "inputs"),
    [
        (UNet(append_grid=True), (85, 85, 1), 3),
        (UNet(16, levels=3, out=2, dims=1, norm=False), (33, 4), 4),
    ],
)
def test_unet_parameter_count_matches_the_closed_form(model, shape, inputs):
    params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros(shape))
    want = unet_count(inputs, model.dims, model.features, model.levels, model.out, model.norm)
    assert count_params(params) == want


@pytest.mark.parametrize(
    ("model", "space", "channels"),
    [
        (UNet(features=8, levels=4), (85, 85), 1),  # 85 = 10 * 8 + 5
        (UNet(features=8, levels=3, out=2, append_grid=True), (33, 20), 3),
        (UNet(features=8, levels=4, dims=1), (33,), 2),
    ],
)
def test_unet_output_grid_is_the_input_grid(model, space, channels):
    params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((*space, channels)))
    for batch in [(), (2,)]:
        out = jax.eval_shape(model.apply, params, jnp.zeros((*batch, *space, channels)))
        assert out.shape == (*batch, *space, model.out)


# 33 points with 3 levels are padded to 36; the two tests below share these compiled shapes.
UNET_1D = UNet(features=8, levels=3, dims=1)
UNET_1D_INPUT = jnp.asarray(np.random.default_rng(6).standard_normal((2, 33, 2)), jnp.float32)


def test_unet_treats_the_samples_of_a_batch_independently():
    # GroupNorm statistics are per sample (a BatchNorm would fail this).
    params = random_params(UNET_1D, UNET_1D_INPUT)
    other = UNET_1D_INPUT.at[0].set(UNET_1D_INPUT[0] ** 2)
    out, out_other = apply(UNET_1D, params, UNET_1D_INPUT), apply(UNET_1D, params, other)
    np.testing.assert_array_equal(out[1], out_other[1])
    assert not np.allclose(out[0], out_other[0])


def test_unet_pads_by_edge_replication():
    params = random_params(UNET_1D, UNET_1D_INPUT)
    padded = jnp.pad(UNET_1D_INPUT, [(0, 0), (0, 3), (0, 0)], mode="edge")
    np.testing.assert_array_equal(
        apply(UNET_1D, params, UNET_1D_INPUT), apply(UNET_1D, params, padded)[:, :33]
    )


def test_unet_padding_reaches_only_a_boundary_layer():
    # Without GroupNorm (whose statistics span the whole padded grid) an output cell depends on
    # the inputs within the receptive field only: along the deepest path the encoder adds
    # 2 2^l (two convs) + 2^l (pooling) cells at levels l < L-1, the bottleneck 2 2^(L-1), the
    # decoder 2 2^l (a stride-2 transposed conv adds none): R = 7 2^(L-1) - 5 cells. Whatever
    # fills the pad, the outputs farther than R from it are the same, bit for bit.
    model = UNet(features=8, levels=3, dims=1, norm=False)
    reach = 7 * 2 ** (model.levels - 1) - 5
    rng = np.random.default_rng(8)
    u = jnp.asarray(rng.standard_normal((33, 2)), jnp.float32)
    params = random_params(model, u)
    other = jnp.concatenate([u, 10 * jnp.asarray(rng.standard_normal((3, 2)), jnp.float32)])
    mine, theirs = apply(model, params, u), apply(model, params, other)[:33]
    np.testing.assert_array_equal(mine[: 33 - reach], theirs[: 33 - reach])
    assert not np.allclose(mine[33 - reach :], theirs[33 - reach :], atol=1e-3)


def test_unet_rejects_bad_inputs():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match=r"dims=2 takes .* rank 3 or 4, got shape \(16, 1\)"):
        jax.eval_shape(UNet().init, key, jnp.zeros((16, 1)))
    with pytest.raises(ValueError, match="features=12 is not divisible by groups=8"):
        jax.eval_shape(UNet(features=12).init, key, jnp.zeros((16, 16, 1)))
