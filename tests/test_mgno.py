"""MgNO: published parameter counts, grid-size arithmetic, PyTorch parity of the transfer
operators, and the exact properties of a V-cycle (linearity, symmetries, zero in -> zero out).

The numerical identities hold for any weights, so most tests fill the parameter tree from numpy
(cheap) and compile one jitted apply per configuration (XLA:CPU compile time dominates here).
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import erf

from sciml.models import count_params
from sciml.models._mgno import (
    MgConv,
    MgNO,
    _conv,
    _kernel_init,
    _prolongation,
    darcy_iteration,
)

# float32 identities (linearity, shift and mirror symmetry, PyTorch definitions): eps 1.2e-7
# grows through ~20 chained convolutions of <= 27-term sums (measured <= 3e-7 relative to the
# largest output); a broken symmetry changes the output at O(1) relative to its size.
IDENTITY_RTOL = 1e-5
# The failing counterparts (shift by one cell, one-sided k = 4 kernels) must exceed this.
BROKEN_RTOL = 1e-2
# U(-1, 1) has second moment 1/3 with standard error sqrt(4/45 / n) < 2.5e-3 for n > 1.4e4 samples.
UNIFORM_MOMENT_TOL = 0.01
# lecun-normal has variance 1/fan_in; the sample variance of 5184 draws has error ~ 0.02.
NORMAL_VAR_TOL = 0.08

C_F, C_U = 2, 3
SCHEDULE = ((1, 1), (1, 1), (2, 0))  # 3 levels; post-smoothing on levels 0 and 1 exercised
SMOOTH_KERNELS = (3, 4, 3, 3, 4)  # MgNO_DC_smooth: 211, 106, 53, 27, 14, 7
PIPE_ITERATION = ((1, 0), (1, 0), (1, 0), (1, 0), (1, 1), (2, 0))


def rel_err(a, b):
    return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))


def vcycle(d, **kwargs):
    return MgConv(channels=C_U, num_iteration=SCHEDULE, spatial_dims=d, **kwargs)


def random_params(model, x, seed=0):
    """Weights ~ N(0, 1/fan_in) in the model's parameter tree, drawn by numpy."""
    shapes = jax.eval_shape(model.init, jax.random.key(0), x)
    rng = np.random.default_rng(seed)
    return jax.tree.map(
        lambda s: (rng.standard_normal(s.shape) / np.sqrt(math.prod(s.shape[:-1]) or 1)).astype(
            np.float32
        ),
        shapes,
    )


def random_field(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- parameter counts ---------------------------------------------------------------------------


def layer_count(c_u, c_f, num_iteration, kernels):
    """Seed-models 3.6 closed form, generalised: initial S, R and Pi per restriction, A and S
    per further smoothing step, one k^2 prolongation per level, the 1x1 conv with bias."""
    steps = sum(pre + post for pre, post in num_iteration) - 1
    restrictions = len(num_iteration) - 1
    return (
        9 * c_f * c_u
        + restrictions * 9 * (c_f**2 + c_u**2)
        + steps * 18 * c_u * c_f
        + sum(k * k for k in kernels) * c_u**2
        + c_f * c_u
        + c_u
    )


@pytest.mark.parametrize(
    ("model", "c_in", "sizes", "kernels", "published"),
    [
        (MgNO(), 1, (64, 85), (4,) * 5, 572_661),  # Darcy rough / multiscale, any grid
        (MgNO(layers=5, prolongation_kernels=SMOOTH_KERNELS), 1, (211,), SMOOTH_KERNELS, 678_093),
        (
            MgNO(layers=5, input_channels=2, num_iteration=PIPE_ITERATION),
            2,
            (64,),
            (4,) * 5,
            783_876,
        ),
    ],
    ids=["darcy", "darcy-smooth", "pipe"],
)
def test_parameter_counts_match_published(model, c_in, sizes, kernels, published):
    num_iteration = model.num_iteration or darcy_iteration(model.levels)
    closed_form = (
        layer_count(24, c_in, num_iteration, kernels)
        + (model.layers - 1) * layer_count(24, 24, num_iteration, kernels)
        + 24  # head, no bias
    )
    for n in sizes:
        params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((n, n, c_in)))
        assert count_params(params) == closed_form == published


# -- grid sizes ---------------------------------------------------------------------------------


class TransferPair(nn.Module):
    """The model's own restriction (stride-2 conv) followed by its prolongation (1-D)."""

    padding: str = "zeros"
    kernel: int = 4

    @nn.compact
    def __call__(self, x):
        coarse = _conv(C_U, 2, self.padding, "pytorch", 1, "restrict")(x)
        return coarse, _prolongation(C_U, (self.kernel,), self.padding, "pytorch", "prolong")(
            coarse
        )


@pytest.mark.parametrize("kernel", [3, 4])
def test_restriction_halves_and_prolongation_doubles(kernel):
    for n in range(4, 24):
        x = jnp.zeros((n, C_U))
        coarse, fine = jax.eval_shape(
            TransferPair(kernel=kernel).init_with_output, jax.random.key(0), x
        )[0]
        assert coarse.shape[0] == math.ceil(n / 2)
        assert fine.shape[0] == 2 * math.ceil(n / 2) - 4 + kernel
        if n % 2 == (0 if kernel == 4 else 1):  # k = 4 inverts even sizes, k = 3 odd ones
            assert fine.shape[0] == n


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((3, 64, 64), {}),
        ((32, 32), {"levels": 5}),
        ((2, 85, 85), {}),  # 85, 43, 22, 11, 6, 3: k = 4 and crop
        ((211, 211), {"prolongation_kernels": SMOOTH_KERNELS}),
        ((40, 85), {"levels": 4}),
        ((3, 100), {"levels": 4, "spatial_dims": 1}),
    ],
)
def test_output_has_input_grid(shape, kwargs):
    model = MgNO(layers=1, channels=4, **kwargs)
    x = jnp.zeros((*shape, 1))
    params = jax.eval_shape(model.init, jax.random.key(0), x)
    assert jax.eval_shape(model.apply, params, x).shape == x.shape


@pytest.mark.parametrize(
    ("model", "shape", "match"),
    [
        (MgNO(), (16, 16, 1), r"grid size 16 \(axis 0\) is too small for 6 levels"),
        (MgNO(), (64, 20, 1), r"grid size 20 \(axis 1\) is too small"),
        (
            MgNO(levels=3, padding="periodic"),
            (18, 18, 1),
            r"divisible by 2\^\(levels-1\) = 4; got 18",
        ),
        (
            MgNO(prolongation_kernels=SMOOTH_KERNELS),
            (85, 85, 1),
            r"kernel \(4, 4\) maps level 2 \(22, 22\) to \(44, 44\)",
        ),
        (MgNO(prolongation_kernels=(4, 4)), (64, 64, 1), "6 levels need 5 prolongation kernels"),
        (MgNO(levels=2, prolongation_kernels=(5,)), (64, 64, 1), "must be 3 or 4"),
        (MgNO(), (64, 64), "rank 3 or 4"),
        (MgNO(), (64, 64, 2), "input_channels=1 but the input has 2"),
        (MgNO(levels=5, num_iteration=darcy_iteration(6)), (64, 64, 1), "levels=5 but num_it"),
        (MgNO(levels=2, num_iteration=((0, 0), (2, 0))), (8, 8, 1), "level 0 needs a pre-smooth"),
        (MgNO(levels=2, num_iteration=((1, 0), (2, 1))), (8, 8, 1), "coarsest level is never"),
        (MgNO(padding="circular"), (64, 64, 1), "padding must be one of"),
        (MgNO(weight_init="torch"), (64, 64, 1), "weight_init must be"),
    ],
)
def test_bad_configuration_raises(model, shape, match):
    with pytest.raises(ValueError, match=match):
        jax.eval_shape(model.init, jax.random.key(0), jnp.zeros(shape))


# -- PyTorch parity of the transfer operators ---------------------------------------------------


def source_index(i, n, padding):
    """The cell that position i reads from a field of n cells extended by one cell per side."""
    if 0 <= i < n:
        return i
    if padding == "zeros":
        return None
    if padding == "periodic":
        return i % n
    return -i if i < 0 else 2 * (n - 1) - i  # reflect: the edge is not repeated


@pytest.mark.parametrize(
    ("padding", "n", "kernel"),
    [
        ("zeros", 12, 4),
        ("zeros", 13, 3),
        ("zeros", 13, 4),
        ("periodic", 12, 4),
        ("reflect", 12, 4),
        ("reflect", 13, 3),
    ],
)
def test_transfer_operators_match_pytorch_definitions(padding, n, kernel):
    """Restriction: y[j] = sum_m K[m] x[2j + m - 1] (PyTorch Conv1d, stride 2, padding 1).
    Prolongation: coarse cell i adds K[m] x[i] to fine cell 2i + m - 1 (PyTorch ConvTranspose1d,
    stride 2, padding 1, weight W[c_in, c_out, m] = K[m, c_out, c_in]); periodic wraps that index
    modulo the fine size, reflect first extends the coarse field by its mirror image."""
    x = random_field(0, (n, C_U))
    pair = TransferPair(padding, kernel)
    params = random_params(pair, x)["params"]
    coarse, fine = jax.jit(pair.apply)({"params": params}, x)
    k_r = np.asarray(params["restrict"]["kernel"], np.float64)  # [3, c_in, c_out]
    k_p = np.asarray(params["prolong"]["kernel"], np.float64)  # [k, c_out, c_in]
    x, n_c = np.asarray(x, np.float64), math.ceil(n / 2)

    expected_coarse = np.zeros((n_c, C_U))
    for j in range(n_c):
        for m in range(3):
            src = source_index(2 * j + m - 1, n, padding)
            if src is not None:
                expected_coarse[j] += x[src] @ k_r[m]
    assert rel_err(coarse, expected_coarse) < IDENTITY_RTOL

    c = np.asarray(coarse, np.float64)
    n_fine = 2 * n_c - 4 + kernel
    expected_fine = np.zeros((n_fine, C_U))
    for i in range(n_c) if padding != "reflect" else range(-1, n_c + 1):
        for m in range(kernel):
            target = 2 * i + m - 1
            if padding == "periodic":
                target %= n_fine
            if 0 <= target < n_fine:
                expected_fine[target] += k_p[m] @ c[source_index(i, n_c, padding)]
    assert rel_err(fine, expected_fine) < IDENTITY_RTOL


# -- exact properties of the V-cycle ------------------------------------------------------------


def test_periodic_vcycle_is_linear_and_commutes_with_coarse_shifts():
    """Linear in f (no bias anywhere, use_res included). Every level sees a shift by a multiple
    of 2^(L-1) = 4 cells as a whole number of its cells: exact equivariance. A shift by one cell
    is not a shift of the coarse grids: an O(1) change, so this test can fail."""
    f1, f2 = random_field(1, (16, 16, C_F)), random_field(2, (16, 16, C_F))
    model = vcycle(2, padding="periodic", use_res=True)
    params = random_params(model, f1)
    apply = jax.jit(model.apply)
    u = apply(params, f1)
    assert rel_err(apply(params, 0.7 * f1 - 1.9 * f2), 0.7 * u - 1.9 * apply(params, f2)) < (
        IDENTITY_RTOL
    )
    for shift in [(4, 4), (12, 0), (8, 4)]:
        rolled = apply(params, jnp.roll(f1, shift, (0, 1)))
        assert rel_err(rolled, jnp.roll(u, shift, (0, 1))) < IDENTITY_RTOL
    for shift in [(1, 0), (2, 2)]:  # level 2 sees half and one cell shifts: not exact
        rolled = apply(params, jnp.roll(f1, shift, (0, 1)))
        assert rel_err(rolled, jnp.roll(u, shift, (0, 1))) > BROKEN_RTOL


@pytest.mark.parametrize(
    ("padding", "kernels", "holds"),
    [("zeros", (3, 3), True), ("reflect", (3, 3), True), ("zeros", None, False)],
)
def test_vertex_grid_vcycle_commutes_with_mirroring(padding, kernels, holds):
    """On 2^k + 1 cells (17, 9, 5) with 3-point prolongations every transfer is centred, so
    mirroring the input equals running the V-cycle with mirrored kernels and mirroring back.
    The default k = 4 prolongation (cropped to 2n - 1) is one-sided: the identity fails.
    Also linear in f (use_res included), and with zero padding zero maps to exactly zero."""
    f1, f2 = random_field(4, (17, C_F)), random_field(5, (17, C_F))
    model = vcycle(1, padding=padding, prolongation_kernels=kernels, use_res=holds)
    params = random_params(model, f1)
    mirrored = jax.tree.map(lambda k: jnp.flip(k, 0), params)  # axis 0: the kernel axis
    apply = jax.jit(model.apply)
    lhs, rhs = apply(params, jnp.flip(f1, 0)), jnp.flip(apply(mirrored, f1), 0)
    assert (rel_err(lhs, rhs) < IDENTITY_RTOL) == holds
    assert (rel_err(lhs, rhs) > BROKEN_RTOL) != holds
    combined = apply(params, 0.7 * f1 - 1.9 * f2)
    assert rel_err(combined, 0.7 * apply(params, f1) - 1.9 * apply(params, f2)) < IDENTITY_RTOL
    if padding == "zeros":
        assert jnp.all(apply(params, jnp.zeros_like(f1)) == 0)


def test_layer_update_is_gelu_of_vcycle_plus_pointwise():
    """u <- GELU(MgConv(u) + W u + b) per layer (exact erf GELU), then a bias-free 1x1 head;
    pointwise=False drops W u + b, and then a zero input gives exactly zero (zero padding)."""
    model = MgNO(
        layers=2, channels=C_U, input_channels=C_F, levels=3, num_iteration=SCHEDULE, spatial_dims=1
    )
    plain = model.clone(pointwise=False)
    x = random_field(6, (3, 13, C_F))  # odd: 13, 7, 4 with the crop

    @jax.jit
    def run(params, x):
        u = x
        for layer in range(2):
            dense = params[f"pointwise{layer}"]
            v = vcycle(1).apply({"params": params[f"mgconv{layer}"]}, u)
            v = v + u @ dense["kernel"] + dense["bias"][None, None, :]
            u = 0.5 * v * (1 + erf(v / np.sqrt(2)))
        expected = u @ params["head"]["kernel"]
        no_pointwise = {k: v for k, v in params.items() if not k.startswith("pointwise")}
        plain_of_zero = plain.apply({"params": no_pointwise}, jnp.zeros_like(x))
        return model.apply({"params": params}, x), expected, plain_of_zero

    output, expected, plain_of_zero = run(random_params(model, x)["params"], x)
    assert rel_err(output, expected) < IDENTITY_RTOL
    assert jnp.all(plain_of_zero == 0)


def test_pytorch_init_is_uniform_within_fan_in_bound():
    """Every weight and bias ~ U(+-1/sqrt(fan_in)), fan_in = c_in * prod(kernel) of its layer
    (for the transposed conv PyTorch counts c_out, equal here); weight_init="flax" draws
    lecun-normal kernels (variance 1/fan_in)."""
    params = jax.jit(MgNO(layers=1, levels=2).init)(jax.random.key(7), jnp.zeros((4, 4, 1)))
    layers = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        layers.setdefault(path[:-1], {})[path[-1].key] = np.asarray(leaf)
    samples = []
    for layer in layers.values():
        fan_in = math.prod(layer["kernel"].shape[:-1])  # flax layout [*kernel, c_in, c_out]
        samples += [
            np.ravel(layer[name]) * np.sqrt(fan_in) for name in ("kernel", "bias") if name in layer
        ]
    uniform = np.concatenate(samples)
    assert uniform.size > 14_000
    assert np.max(np.abs(uniform)) <= 1
    assert np.max(np.abs(uniform)) > 0.999  # the bound is attained, not just respected
    assert abs(np.mean(uniform**2) - 1 / 3) < UNIFORM_MOMENT_TOL

    normal = _kernel_init("flax")(jax.random.key(8), (3, 3, 24, 24))
    assert abs(float(jnp.var(normal)) * 9 * 24 - 1) < NORMAL_VAR_TOL
