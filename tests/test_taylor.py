"""The batched Taylor-mode pass (physics._taylor) against exact and nested-jvp derivatives."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from test_autodiff import POINTS, SCALARS, as_point_fn, close, evaluate

import physics
from physics import _taylor, residuals
from sciml.models import (
    MLP,
    FieldModel,
    FourierFeatures,
    ModifiedMLP,
    PeriodicEmbedding,
    PirateNet,
    factorized,
    hard_boundary,
    hard_initial,
)


@pytest.mark.parametrize("name", SCALARS)
def test_every_order_along_every_axis_is_exact(x64, name):
    # orders 4, 3, 2, 1, ... by axis: the layout mixes directions of different orders
    symbols, expr = SCALARS[name]
    f = as_point_fn(symbols, expr)
    point = jnp.array(POINTS[len(symbols)])
    orders = {axis: 4 - axis % 4 for axis in range(len(symbols))}
    value, per_axis = _taylor.axis_derivatives(f, point, orders)
    close(value, evaluate(symbols, expr, point))
    for axis, derivatives in per_axis.items():
        assert len(derivatives) == orders[axis]
        for k, got in enumerate(derivatives, 1):
            close(got, evaluate(symbols, sp.diff(expr, symbols[axis], k), point))


def test_a_batch_equals_each_point(x64):
    symbols, expr = SCALARS["log_sin_2d"]
    f = as_point_fn(symbols, expr)
    points = jax.random.uniform(jax.random.key(0), (7, 2), jnp.float64, -1, 1)
    value, per_axis = _taylor.axis_derivatives(jax.vmap(f), points, {0: 2, 1: 3})
    for i, z in enumerate(points):
        close(value[i], f(z))
        for axis, derivatives in per_axis.items():
            for k, got in enumerate(derivatives, 1):
                close(got[i], physics.partial(f, axis, k)(z))


def _structural(z):
    """Padding, slice updates, selections, extrema, quotients, powers and splits of z."""
    padded = jnp.pad(jnp.sin(z), 1, constant_values=0.5) * jnp.arange(1.0, 5.0)
    updated = jax.lax.dynamic_update_slice(jnp.cos(z) ** 2, jnp.array([3.0]), (1,))
    chosen = jnp.where(z > 0, z**3, 2.0) + jnp.maximum(z, 0.1) / (1 + z**2)
    a, b = jnp.split(jnp.exp(z), 2)
    return jnp.sum(padded) + jnp.sum(updated) + jnp.sum(chosen) + (z[0] + 2) ** z[1] + (a * b)[0]


def test_structural_operations_equal_nested_jvp(x64):
    z = jnp.array([0.4, -0.3])
    value, per_axis = _taylor.axis_derivatives(_structural, z, {0: 3, 1: 2})
    close(value, _structural(z))
    for axis, derivatives in per_axis.items():
        for k, got in enumerate(derivatives, 1):
            close(got, physics.partial(_structural, axis, k)(z))


def test_operations_without_a_rule_are_reported():
    with pytest.raises(_taylor.Unsupported, match="sort"):
        _taylor.axis_derivatives(lambda z: jnp.sort(z)[0], jnp.ones(2), {0: 1})
    with pytest.raises(_taylor.Unsupported, match="order 4"):
        _taylor.axis_derivatives(jnp.sum, jnp.ones(2), {0: 5})


def _models():
    x0 = lambda x: -jnp.sin(jnp.pi * x[0])
    return {
        "mlp": FieldModel(MLP(16, 3)),
        "mlp_gelu_rwf": FieldModel(MLP(16, 2, activation=nn.gelu, layer=factorized())),
        "modified_fourier": FieldModel(ModifiedMLP(16, 2), fourier=FourierFeatures(16, 2.0)),
        "pirate_periodic": FieldModel(
            PirateNet(16, 1),
            periodic=PeriodicEmbedding(axes=(1,), frequencies=(np.pi,)),
            fourier=FourierFeatures(16),
        ),
        "hard_initial": FieldModel(MLP(16, 2), transform=hard_initial(x0)),
        "hard_boundary": FieldModel(
            MLP(16, 2, activation=jnp.sin),
            transform=hard_boundary(lambda z: 0.0 * z[0], lambda z: 1 - z[1] ** 2),
        ),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_every_pinn_model_has_a_taylor_pass_equal_to_nested_jvp(x64, name):
    # no fallback: axis_derivatives raises if a model uses an operation without a rule
    model = _models()[name]
    params = jax.tree.map(
        lambda a: a.astype(jnp.float64), model.init(jax.random.key(1), jnp.zeros(2))
    )
    u = lambda z: model.apply(params, z)[0]
    points = jax.random.uniform(jax.random.key(2), (9, 2), jnp.float64, -1, 1)
    # jit: one compilation instead of hundreds of eagerly dispatched operations
    value, per_axis = jax.jit(lambda x: _taylor.axis_derivatives(jax.vmap(u), x, {0: 1, 1: 3}))(
        points
    )
    np.testing.assert_allclose(value, jax.vmap(u)(points), rtol=1e-12)
    for axis, derivatives in per_axis.items():
        for k, got in enumerate(derivatives, 1):
            want = jax.jit(jax.vmap(physics.partial(u, axis, k)))(points)
            # both are exact arithmetic on the graph: float64 round-off only
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


# first and second (Burgers), third (KdV) orders, and a source given as a function of the point
EQUATIONS = {
    "burgers": lambda u: residuals.burgers(u, viscosity=0.01),
    "kdv": lambda u: residuals.kdv(u, advection=1.0, dispersion=0.0025),
    "poisson_source_fn": lambda u: residuals.poisson(u, source=lambda z: jnp.sin(z[0])),
}


@pytest.mark.parametrize("name", list(EQUATIONS))
def test_residual_on_points_equals_the_pointwise_residual_and_its_gradient(x64, name):
    model = FieldModel(MLP(12, 2))
    params = jax.tree.map(
        lambda a: a.astype(jnp.float64), model.init(jax.random.key(3), jnp.zeros(2))
    )
    points = jax.random.uniform(jax.random.key(4), (11, 2), jnp.float64, -1, 1)

    def losses(p):
        r = EQUATIONS[name](lambda z: model.apply(p, z)[0])
        return jnp.mean(r.on_points(points) ** 2), jnp.mean(jax.vmap(r)(points) ** 2)

    batched, pointwise = jax.jit(losses)(params)
    np.testing.assert_allclose(batched, pointwise, rtol=1e-11)
    g_batched = jax.jit(jax.grad(lambda p: losses(p)[0]))(params)
    g_pointwise = jax.jit(jax.grad(lambda p: losses(p)[1]))(params)
    for a, b in zip(jax.tree.leaves(g_batched), jax.tree.leaves(g_pointwise), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_on_points_falls_back_to_pointwise_for_operations_without_a_rule(x64):
    u = lambda z: jnp.sort(jnp.sin(z))[0] * z[1]  # sort has no Taylor rule
    r = residuals.burgers(u, viscosity=0.1)
    points = jax.random.uniform(jax.random.key(5), (6, 2), jnp.float64, -1, 1)
    np.testing.assert_allclose(r.on_points(points), jax.vmap(r)(points), rtol=1e-12)


def test_the_pinn_residual_term_uses_the_batched_pass(x64):
    import pdes
    from sciml.pinn._terms import make_terms

    problem = pdes.get("burgers")
    (residual, *_) = make_terms(problem)
    assert residual.name == "residual" and residual.batched is not None
    u = lambda z: jnp.sin(z[0] + 2 * z[1]) * jnp.tanh(z[1])
    points = jax.random.uniform(jax.random.key(6), (5, 2), jnp.float64, -1, 1)
    want = jax.vmap(lambda z: residual.residual(u, z))(points)
    np.testing.assert_allclose(residual.on_points(u, points), want, rtol=1e-12)
