"""PINN networks: parameter counts, the published initialisation properties, exact constraints."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.models import (
    MLP,
    FieldModel,
    FourierFeatures,
    ModifiedMLP,
    PeriodicEmbedding,
    PirateNet,
    count_params,
    factorized,
    hard_boundary,
    hard_initial,
)


def init(model, d=2):
    return model.init(jax.random.key(0), jnp.zeros(d))


def dense_params(n_in, n_out, rwf=False):
    """Kernel + bias (+ one log-scale per output with random weight factorisation)."""
    return n_in * n_out + n_out + (n_out if rwf else 0)


@pytest.mark.parametrize(
    ("model", "d", "expected"),
    [
        # DeepXDE's Burgers network 2-20-20-20-1: 921 parameters
        (FieldModel(MLP(20, 3)), 2, dense_params(2, 20) + 2 * dense_params(20, 20) + 21),
        (
            FieldModel(MLP(64, 2, out=3, layer=factorized())),
            3,
            dense_params(3, 64, True) + dense_params(64, 64, True) + dense_params(64, 3, True),
        ),
        # JAX-PI Allen-Cahn: periodic x -> (t, cos, sin), Fourier features 256, modified MLP 4x256
        (
            FieldModel(
                ModifiedMLP(256, 4, layer=factorized()),
                periodic=PeriodicEmbedding((1,), (np.pi,)),
                fourier=FourierFeatures(256, 2.0),
            ),
            2,
            3 * 128
            + 2 * dense_params(256, 256, True)
            + 4 * dense_params(256, 256, True)
            + dense_params(256, 1, True),
        ),
        # PirateNet 3 blocks x 256: gates U, V, 3 dense layers and one alpha per block
        (
            FieldModel(PirateNet(256, 3), fourier=FourierFeatures(256, 1.0)),
            2,
            2 * 128
            + 2 * dense_params(256, 256)
            + 3 * (3 * dense_params(256, 256) + 1)
            + dense_params(256, 1),
        ),
    ],
)
def test_parameter_counts(model, d, expected):
    assert count_params(init(model, d)) == expected


def test_output_shapes_for_a_point_and_a_batch():
    model = FieldModel(ModifiedMLP(32, 2, out=2))
    params = init(model, 3)
    assert model.apply(params, jnp.ones(3)).shape == (2,)
    assert model.apply(params, jnp.ones((7, 3))).shape == (7, 2)


def test_random_weight_factorisation_reconstructs_a_glorot_kernel():
    # W = V diag(exp(s)) equals the Glorot draw at initialisation: its variance is 2/(in + out),
    # and the scales are exp(N(1, 0.1^2))
    n_in, n_out = 400, 300
    params = FieldModel(MLP(n_out, 1, layer=factorized(1.0, 0.1))).init(
        jax.random.key(1), jnp.zeros(n_in)
    )["params"]["network"]["FactorizedDense_0"]
    kernel = params["direction"] * jnp.exp(params["log_scale"])[None, :]
    # sample variance of 120k Glorot-normal draws: relative standard error ~ sqrt(2/120k) = 0.4%
    np.testing.assert_allclose(jnp.var(kernel), 2.0 / (n_in + n_out), rtol=0.03)
    np.testing.assert_allclose(jnp.mean(params["log_scale"]), 1.0, atol=0.03)
    np.testing.assert_allclose(jnp.std(params["log_scale"]), 0.1, rtol=0.2)


def test_piratenet_is_linear_in_its_input_at_initialisation():
    net = PirateNet(16, 2)
    phi = jax.random.normal(jax.random.key(2), (10, 16))
    params = net.init(jax.random.key(3), phi)
    out = params["params"]["Dense_2"]  # the linear output layer (after the gates Dense_0, _1)
    expected = phi @ out["kernel"] + out["bias"][None, :]
    np.testing.assert_allclose(net.apply(params, phi), expected, rtol=1e-5, atol=1e-6)


def test_periodic_embedding_is_exactly_periodic():
    model = FieldModel(MLP(16, 2), periodic=PeriodicEmbedding((1,), (np.pi,)))
    params = init(model)
    z = jnp.array([[0.3, -0.7], [0.9, 0.2]])
    shifted = z.at[:, 1].add(2.0)  # period 2 pi / pi = 2
    np.testing.assert_allclose(model.apply(params, z), model.apply(params, shifted), atol=1e-6)


def test_fixed_fourier_features_get_no_gradient():
    for trainable in (True, False):
        model = FieldModel(MLP(8, 1), fourier=FourierFeatures(8, 1.0, trainable=trainable))
        params = init(model)
        grads = jax.grad(lambda p, m=model: jnp.sum(m.apply(p, jnp.ones((4, 2)))))(params)
        norm = float(jnp.linalg.norm(grads["params"]["fourier"]["B"]))
        assert (norm > 0) == trainable


def test_hard_constraints_hold_for_any_network():
    initial = lambda x: jnp.sin(jnp.pi * x[0])
    model = FieldModel(MLP(16, 2), transform=hard_initial(initial))
    params = init(model)
    x = jnp.linspace(-1, 1, 9)
    z0 = jnp.stack([jnp.zeros_like(x), x], axis=-1)
    np.testing.assert_allclose(model.apply(params, z0)[:, 0], jnp.sin(jnp.pi * x), atol=1e-6)

    value = lambda z: z[0] ** 2
    distance = lambda z: z[0] * (1 - z[0])
    model = FieldModel(MLP(16, 2), transform=hard_boundary(value, distance))
    params = init(model)
    edges = jnp.array([[0.0, 0.3], [1.0, 0.8]])
    np.testing.assert_allclose(model.apply(params, edges)[:, 0], jnp.array([0.0, 1.0]), atol=1e-6)


def test_bad_configurations_are_clear_errors():
    with pytest.raises(ValueError, match="PirateNet needs an input of width 32"):
        init(FieldModel(PirateNet(32, 1)))
    with pytest.raises(ValueError, match="even number of outputs"):
        init(FieldModel(MLP(8, 1), fourier=FourierFeatures(7)))
    with pytest.raises(ValueError, match="1 axes but 2 frequencies"):
        init(FieldModel(MLP(8, 1), periodic=PeriodicEmbedding((1,), (1.0, 2.0))))


def test_a_trainable_time_frequency_learns_alone_and_makes_the_model_periodic_in_t():
    with jax.enable_x64(True):
        embed = PeriodicEmbedding((0, 1), (3.0, np.pi), trainable=(True, False))
        z = jnp.array([0.3, 0.7])
        params = embed.init(jax.random.key(0), z)
        assert jax.tree.map(jnp.shape, params) == {"params": {"frequencies": (1,)}}
        expected = [np.cos(0.9), np.sin(0.9), np.cos(0.7 * np.pi), np.sin(0.7 * np.pi)]
        np.testing.assert_allclose(embed.apply(params, z), expected, rtol=1e-14)
        # d/dω of the embedding: (-t sin ωt, t cos ωt) for t, nothing for the fixed x frequency
        jac = jax.jacobian(lambda p: embed.apply(p, z))(params)["params"]["frequencies"][:, 0]
        np.testing.assert_allclose(jac, [-0.3 * np.sin(0.9), 0.3 * np.cos(0.9), 0, 0], atol=1e-14)

        model = FieldModel(MLP(16, 2), periodic=embed)
        params = init(model)
        u = lambda t: model.apply(params, jnp.array([t, 0.7]))[0]
        assert float(u(0.3)) == pytest.approx(float(u(0.3 + 2 * np.pi / 3.0)), abs=1e-13)
    with pytest.raises(ValueError, match="2 axes but 1 trainable flags"):
        PeriodicEmbedding((0, 1), (3.0, np.pi), trainable=(True,)).init(jax.random.key(0), z)
