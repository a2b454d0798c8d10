"""DeepONet family: layouts agree, stacked/split/merge match their formulas, POD properties."""

import inspect
from functools import partial

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.models._deeponet import CNNBranch, DeepONet
from sciml.models._field import count_params
from sciml.models._networks import MLP
from sciml.models._pod import PODDeepONet, pod_basis

# float32 (eps 1.2e-7): the layouts and the hand-written formulas sum the same O(1) products in
# a different order over at most a few dozen terms
F32_RTOL = 1e-5
F32_ATOL = 1e-6
# float64 (eps 2.2e-16) with O(1) data: SVD and products lose a few hundred ulps at most
F64_TOL = 1e-10

M, D, BASIS, N_FUNC, N_PTS = 6, 2, 4, 3, 5
relu = jax.nn.relu
KEY = jax.random.key(0)


def random_params(model, *args, seed=2, scale=0.5):
    """Random values in the shapes ``model.init`` would give (traced, not run: initialisers
    compile once per shape, which would dominate the file's run time)."""
    shapes = jax.eval_shape(model.init, KEY, *args)["params"]
    rng = np.random.default_rng(seed)
    return {"params": jax.tree.map(lambda s: scale * rng.normal(size=s.shape), shapes)}


def mlp(out, width=8):
    return MLP(width, 1, out=out, activation=relu)


def inputs(branch_shape=(M,)):
    ku, ky = jax.random.split(jax.random.key(1))
    u = jax.random.normal(ku, (N_FUNC, *branch_shape))
    y = jax.random.uniform(ky, (N_PTS, D))
    return u, y


# name -> (DeepONet keyword arguments, branch input shape)
VARIANTS = {
    "deepxde": (dict(), (M,)),
    "pi-deeponet": (dict(bias=False, trunk_last_activation=False), (M,)),
    "jaxpi": (dict(merge="jaxpi", trunk_last_activation=False), (M,)),
    "stacked": (dict(stacked=True), (M,)),
    "split-both": (dict(outputs=2), (M,)),
    "jaxpi-2-outputs": (dict(merge="jaxpi", outputs=2), (M,)),
    "cnn-branch": (dict(), (13, 13, 1)),
}


def build(name):
    kwargs, shape = VARIANTS[name]
    outputs = kwargs.get("outputs", 1)
    width = BASIS * outputs if kwargs.get("merge", "dot") == "dot" else BASIS
    if shape != (M,):
        branch = CNNBranch(width, channels=(4, 8), hidden=8)
    else:
        branch = mlp(1 if kwargs.get("stacked") else width)
    model = DeepONet(branch, mlp(width), BASIS, **kwargs)
    u, y = inputs(shape)
    params = random_params(model, u, y)
    return model, params, u, y


@pytest.mark.parametrize("name", VARIANTS)
def test_aligned_triplet_and_point_layouts_agree(name):
    model, params, u, y = build(name)
    aligned = model.apply(params, u, y)
    u_pairs, y_pairs = jnp.repeat(u, N_PTS, axis=0), jnp.tile(y, (N_FUNC, 1))
    triplet = model.apply(params, u_pairs, y_pairs, method="triplet")
    point = lambda v, z: model.apply(params, v, z, method="point")
    pointwise = jax.vmap(jax.vmap(point, (None, 0)), (0, None))(u, y)
    assert aligned.shape == (N_FUNC, N_PTS, VARIANTS[name][0].get("outputs", 1))
    np.testing.assert_allclose(
        triplet.reshape(aligned.shape), aligned, rtol=F32_RTOL, atol=F32_ATOL
    )
    np.testing.assert_allclose(pointwise, aligned, rtol=F32_RTOL, atol=F32_ATOL)


def submodule_outputs(model, params, u, y):
    """Branch and (activated) trunk outputs, applied as stand-alone modules."""
    p = params["params"]
    b = model.branch.apply({"params": p["branch"]}, u)
    t = model.trunk.apply({"params": p["trunk"]}, y)
    return b, relu(t) if model.trunk_last_activation else t


@pytest.mark.parametrize("name", ["deepxde", "pi-deeponet"])
def test_dot_merge_is_sum_of_branch_times_trunk_plus_bias(name):
    model, params, u, y = build(name)
    b, t = submodule_outputs(model, params, u, y)
    expected = b @ t.T
    if model.bias:
        expected = expected + params["params"]["bias"][0]
    else:
        assert "bias" not in params["params"]
    got = model.apply(params, u, y)[..., 0]
    np.testing.assert_allclose(got, expected, rtol=F32_RTOL, atol=F32_ATOL)


@pytest.mark.parametrize("name", ["jaxpi", "jaxpi-2-outputs"])
def test_jaxpi_merge_is_dense_of_activated_product(name):
    model, params, u, y = build(name)
    b, t = submodule_outputs(model, params, u, y)
    head = params["params"]["head"]
    hidden = relu(b[:, None, :] * t[None, :, :])
    expected = hidden @ head["kernel"] + head["bias"][None, None, :]
    got = model.apply(params, u, y)
    np.testing.assert_allclose(got, expected, rtol=F32_RTOL, atol=F32_ATOL)


def test_stacked_equals_separately_applied_branch_nets():
    model, params, u, y = build("stacked")
    stacked = params["params"]["branch"]
    assert all(leaf.shape[0] == BASIS for leaf in jax.tree.leaves(stacked))
    coefficients = []
    for k in range(BASIS):
        net_k = jax.tree.map(lambda leaf, k=k: leaf[k], stacked)
        coefficients.append(model.branch.apply({"params": net_k}, u)[:, 0])
    b = jnp.stack(coefficients, axis=-1)
    t = relu(model.trunk.apply({"params": params["params"]["trunk"]}, y))
    expected = b @ t.T + params["params"]["bias"][0]
    np.testing.assert_allclose(
        model.apply(params, u, y)[..., 0], expected, rtol=F32_RTOL, atol=F32_ATOL
    )


def test_stacked_branch_nets_are_initialised_from_different_keys():
    # an initialiser that writes (part of) its key: equal copies would mean one shared key
    key_init = lambda key, shape, dtype: jnp.full(shape, jax.random.key_data(key)[-1], dtype)
    branch = nn.Dense(1, kernel_init=key_init)
    trunk = nn.Dense(BASIS, kernel_init=nn.initializers.zeros)
    model = DeepONet(branch, trunk, BASIS, stacked=True)
    kernels = model.init(KEY, *inputs())["params"]["branch"]["kernel"][:, 0, 0]
    assert len(np.unique(np.asarray(kernels))) == BASIS


def test_split_both_output_equals_one_output_deeponet_on_its_slices():
    model, params, u, y = build("split-both")
    single = DeepONet(mlp(BASIS), mlp(BASIS), BASIS)
    full = model.apply(params, u, y)
    p = params["params"]
    for o in range(2):
        group = slice(o * BASIS, (o + 1) * BASIS)

        def last_layer_slice(net, group=group):
            last = {
                "kernel": net["Dense_1"]["kernel"][:, group],
                "bias": net["Dense_1"]["bias"][group],
            }
            return {"Dense_0": net["Dense_0"], "Dense_1": last}

        sliced = {
            "params": {
                "branch": last_layer_slice(p["branch"]),
                "trunk": last_layer_slice(p["trunk"]),
                "bias": p["bias"][o : o + 1],
            }
        }
        np.testing.assert_allclose(
            single.apply(sliced, u, y)[..., 0], full[..., o], rtol=F32_RTOL, atol=F32_ATOL
        )


def shapes_count(model, *args):
    """Parameter count from shapes alone (no initialisation is computed)."""
    return count_params(jax.eval_shape(model.init, jax.random.key(0), *args))


def test_parameter_counts_of_published_networks():
    u, y = jnp.zeros((1, 100)), jnp.zeros((1, 1))
    # Lu et al. 2021 antiderivative: branch [100, 40, 40], trunk [1, 40, 40], bias:
    # (100*40 + 40 + 40*40 + 40) + (1*40 + 40 + 40*40 + 40) + 1
    original = DeepONet(mlp(40, 40), mlp(40, 40), basis=40)
    variables = jax.eval_shape(original.init, jax.random.key(0), u, y)["params"]
    assert count_params(variables["branch"]) == 5680
    assert count_params(variables["trunk"]) == 1720
    assert count_params(variables["bias"]) == 1
    assert count_params(variables) == 7401
    # its stacked form: 40 nets [100, 40, 1]
    stacked = DeepONet(mlp(1, 40), mlp(40, 40), basis=40, stacked=True)
    assert shapes_count(stacked, u, y) == 40 * (100 * 40 + 40 + 40 + 1) + 1720 + 1
    # Lu et al. 2022 Darcy CNN branch (Keras layers, VALID padding) on 29x29, 115 modes:
    # conv 5*5*1*64+64, conv 5*5*64*128+128, dense (5*5*128)*128+128, dense 128*115+115
    darcy = CNNBranch(115)
    assert shapes_count(darcy, jnp.zeros((1, 29, 29, 1))) == 631155


def test_point_gradient_in_y_is_exact_for_a_linear_deeponet(x64):
    # linear branch b = u A + a and linear trunk t = y W + c, set by hand:
    # G_o(u)(y) = b_o . (y W_o + c_o) + b0_o, so dG_o/dy = W_o b_o exactly
    outputs, rng = 2, np.random.default_rng(0)
    A, a = rng.normal(size=(M, BASIS * outputs)), rng.normal(size=BASIS * outputs)
    W, c = rng.normal(size=(D, BASIS * outputs)), rng.normal(size=BASIS * outputs)
    b0 = rng.normal(size=outputs)
    linear = lambda: MLP(1, 0, out=BASIS * outputs)
    model = DeepONet(linear(), linear(), BASIS, outputs=outputs, trunk_last_activation=False)
    params = {
        "params": {
            "branch": {"Dense_0": {"kernel": A, "bias": a}},
            "trunk": {"Dense_0": {"kernel": W, "bias": c}},
            "bias": b0,
        }
    }
    u, y = rng.normal(size=M), rng.uniform(size=D)
    g = jax.jit(lambda z: model.apply(params, jnp.asarray(u), z, method="point"))
    b = (u @ A + a).reshape(outputs, BASIS)
    expected = np.stack([W[:, o * BASIS : (o + 1) * BASIS] @ b[o] for o in range(outputs)])
    np.testing.assert_allclose(jax.jit(jax.jacfwd(g))(y), expected, rtol=F64_TOL)
    np.testing.assert_allclose(jax.jit(jax.jacrev(g))(y), expected, rtol=F64_TOL)
    # G is affine in y: a central difference is exact up to rounding (eps * |G| / h ~ 1e-13)
    h = 1e-3
    fd = np.stack([(g(y + h * e) - g(y - h * e)) / (2 * h) for e in np.eye(D)], axis=-1)
    np.testing.assert_allclose(fd, expected, rtol=1e-9)


def trace_init(model, *args, **kwargs):
    """Initialise abstractly: the checks run at trace time, nothing is computed."""
    return jax.eval_shape(partial(model.init, **kwargs), KEY, *args)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: trace_init(DeepONet(mlp(3), mlp(BASIS), BASIS), *inputs()), "branch must give 4"),
        (lambda: trace_init(DeepONet(mlp(BASIS), mlp(5), BASIS), *inputs()), "trunk must give 4"),
        (
            lambda: trace_init(DeepONet(mlp(BASIS), mlp(BASIS), BASIS, merge="sum"), *inputs()),
            "'sum'",
        ),
        (
            lambda: trace_init(DeepONet(mlp(2), mlp(BASIS), BASIS, stacked=True), *inputs()),
            "1 output, got 2",
        ),
        (
            lambda: trace_init(
                DeepONet(mlp(BASIS), mlp(BASIS), BASIS),
                jnp.zeros((3, M)),
                jnp.zeros((2, D)),
                method="triplet",
            ),
            r"same n, got \(3, 6\) and \(2, 2\)",
        ),
        (
            lambda: trace_init(
                DeepONet(mlp(BASIS), mlp(BASIS), BASIS),
                jnp.zeros(M),
                jnp.zeros((1, D)),
                method="point",
            ),
            r"one query point \[d\], got shape \(1, 2\)",
        ),
        (lambda: trace_init(CNNBranch(3), jnp.zeros((1, 12, 29, 1))), "grid 12x29 is too small"),
        (lambda: pod_basis(jnp.zeros((4, 6)), 7), r"modes must be in \[1, 6\], got 7"),
        (lambda: pod_basis(jnp.zeros(6), 2), r"\[n >= 2, n_pts\], got \(6,\)"),
        (lambda: trace_init(PODDeepONet(mlp(2)), jnp.zeros((1, M))), "needs the POD array 'modes'"),
    ],
)
def test_bad_input_is_one_clear_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------------------------------------
# POD


def known_low_rank_outputs(n=5, n_pts=9, sigmas=(0.5, 3.0, 1.5)):
    """Y = mean + A Psi^T with orthonormal modes Psi (discrete sines) and coefficients whose
    sample covariance is exactly diag(sigma^2): C has eigenpairs (sigma_k^2, psi_k)."""
    rng = np.random.default_rng(3)
    j = np.arange(1, n_pts + 1)
    psi = np.stack(
        [np.sqrt(2 / (n_pts + 1)) * np.sin(np.pi * k * j / (n_pts + 1)) for k in (1, 2, 3)], -1
    )
    centred = rng.normal(size=(n, len(sigmas)))
    q, _ = np.linalg.qr(centred - centred.mean(axis=0))  # orthonormal columns, each mean 0
    coefficients = q * np.asarray(sigmas) * np.sqrt(n - 1)
    mean = rng.normal(size=n_pts)
    return mean + coefficients @ psi.T, mean, psi, np.asarray(sigmas)


def test_pod_basis_takes_training_outputs_only():
    # the basis cannot depend on test data: training outputs and a mode count are all it takes
    assert list(inspect.signature(pod_basis).parameters) == ["train_outputs", "modes"]


def test_pod_recovers_known_modes_sorted_with_their_variances(x64):
    y, mean, psi, sigmas = known_low_rank_outputs()
    n, n_pts = y.shape
    pod_mean, basis = map(np.asarray, pod_basis(y, 4))
    np.testing.assert_allclose(pod_mean, mean, atol=F64_TOL)
    # eigenvalue of mode k = variance of the training outputs along it
    variances = np.sum(((y - pod_mean) @ basis) ** 2, axis=0) / ((n - 1) * n_pts)
    order = np.argsort(-sigmas)
    np.testing.assert_allclose(variances[:3], sigmas[order] ** 2, atol=F64_TOL)
    np.testing.assert_allclose(variances[3:], 0.0, atol=F64_TOL)  # beyond the rank
    explained = np.cumsum(variances) / np.sum(sigmas**2)
    np.testing.assert_allclose(
        explained[:3], np.cumsum(sigmas[order] ** 2) / np.sum(sigmas**2), atol=F64_TOL
    )
    overlap = np.abs(basis[:, :3].T @ psi[:, order]) / np.sqrt(n_pts)
    np.testing.assert_allclose(overlap, np.eye(3), atol=F64_TOL)


# one data shape for every float64 case: each SVD shape compiles once
@pytest.mark.parametrize("modes", [4, 9])  # within the thin SVD; the full one
def test_pod_modes_are_orthonormal_with_sqrt_n_pts_scaling(x64, modes):
    y = np.random.default_rng(4).normal(size=(5, 9))
    _, basis = pod_basis(y, modes)
    assert basis.shape == (9, modes)
    np.testing.assert_allclose(basis.T @ basis / 9, np.eye(modes), atol=F64_TOL)


@pytest.mark.parametrize("modes", [9, 4])  # every mode; the rank n - 1 of the centred data
def test_pod_with_all_modes_reconstructs_the_training_outputs(x64, modes):
    y = np.random.default_rng(5).normal(size=(5, 9))
    mean, basis = map(np.asarray, pod_basis(y, modes))
    coefficients = (y - mean) @ basis / 9
    np.testing.assert_allclose(mean + coefficients @ basis.T, y, atol=F64_TOL)


def build_pod(extra_trunk):
    # the formula holds for any constant arrays: no SVD here (the POD tests above cover it);
    # p = q = BASIS reuses the network shapes (and compilations) of the DeepONet tests
    rng = np.random.default_rng(6)
    mean = rng.normal(size=N_PTS).astype(np.float32)
    modes = rng.normal(size=(N_PTS, BASIS)).astype(np.float32)
    trunk = mlp(BASIS) if extra_trunk else None
    model = PODDeepONet(mlp(2 * BASIS if extra_trunk else BASIS), modes, mean, extra_trunk=trunk)
    u, y = inputs()
    variables = {**random_params(model, u, y), "pod": {"modes": modes, "mean": mean}}
    return model, variables, u, y, mean, modes


@pytest.mark.parametrize("extra_trunk", [False, True])
def test_pod_deeponet_is_branch_times_modes_over_p_plus_mean(extra_trunk):
    model, variables, u, y, mean, modes = build_pod(extra_trunk)
    p = variables["params"]
    b = model.branch.apply({"params": p["branch"]}, u)
    basis, bias = modes, 0.0
    if extra_trunk:
        t = relu(model.extra_trunk.apply({"params": p["extra_trunk"]}, y))
        basis, bias = jnp.concatenate([modes, t], axis=-1), p["bias"]
    expected = (b @ basis.T + bias) / BASIS + mean[None, :]
    got = model.apply(variables, u, y)
    assert got.shape == (N_FUNC, N_PTS)
    np.testing.assert_allclose(got, expected, rtol=F32_RTOL, atol=F32_ATOL)


def test_pod_constants_are_a_separate_collection_that_apply_reads():
    model, variables, u, _, mean, modes = build_pod(extra_trunk=False)
    # init copies the arrays into "pod", beside "params" (a zero-initialised branch: no RNG)
    cheap = PODDeepONet(nn.Dense(BASIS, kernel_init=nn.initializers.zeros), modes, mean)
    initial = cheap.init(KEY, u)
    assert set(initial) == {"params", "pod"}
    assert set(initial["params"]) == {"branch"}
    np.testing.assert_array_equal(initial["pod"]["modes"], modes)
    np.testing.assert_array_equal(initial["pod"]["mean"], mean)
    # a model rebuilt without the arrays (as after restoring a checkpoint) applies the same
    rebuilt = PODDeepONet(model.branch)
    np.testing.assert_array_equal(rebuilt.apply(variables, u), model.apply(variables, u))
    # and apply reads the collection, not the constructor's arrays
    shifted = {**variables, "pod": {**variables["pod"], "mean": mean + 1.0}}
    np.testing.assert_allclose(
        model.apply(shifted, u), model.apply(variables, u) + 1.0, rtol=F32_RTOL
    )
    with pytest.raises(ValueError, match="needs the 'pod' collection"):
        model.apply({"params": variables["params"]}, u)
