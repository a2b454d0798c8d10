"""Autodiff operators against exact derivatives computed symbolically (sympy), in float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import physics

# Autodiff is exact arithmetic on the computational graph; what remains is float64 round-off
# amplified by the few dozen operations of each catalogue function and its derivatives.
RTOL = 1e-10
ATOL = 1e-10

x, y, z, w, v = sp.symbols("x y z w v", real=True)

# name -> (symbols, expression); scalar functions of 1 to 5 coordinates.
SCALARS = {
    "rational_1d": ((x,), 1 / (1 + x**2)),
    "trig_exp_2d": ((x, y), sp.sin(x) * sp.exp(y)),
    "time_space_2d": ((x, y), sp.exp(-x) * sp.cos(3 * y) + y**3 * x**2),
    "log_sin_2d": ((x, y), sp.log(1 + x**2 + y**2) * sp.sin(x * y)),
    "tanh_3d": ((x, y, z), sp.tanh(x + 2 * y - z) + x * y * z),
    "gaussian_5d": ((x, y, z, w, v), sp.exp(-(x**2 + y**2 + z**2 + w**2 + v**2) / 2)),
}
# vector fields with as many components as coordinates (for divergence and Jacobians).
VECTORS = {
    "field_2d": ((x, y), (sp.sin(x) * y, x**2 + y**3)),
    "field_3d": ((x, y, z), (sp.exp(x * y), sp.cos(z) * x, x * y * z**2)),
}
POINTS = {1: [0.3], 2: [0.3, -0.7], 3: [0.3, -0.7, 0.2], 5: [0.3, -0.7, 0.2, 0.9, -0.4]}


def lambdify(symbols, expr):
    fn = sp.lambdify(symbols, expr, modules="jax")
    return lambda point: jnp.asarray(fn(*point), dtype=point.dtype)


def as_point_fn(symbols, expr):
    if isinstance(expr, tuple):
        parts = [lambdify(symbols, e) for e in expr]
        return lambda point: jnp.stack([p(point) for p in parts])
    return lambdify(symbols, expr)


def evaluate(symbols, expr, point):
    """The exact value, evaluated with 30 significant digits."""
    values = {s: sp.Float(float(p), 30) for s, p in zip(symbols, point, strict=True)}
    if isinstance(expr, list | tuple):
        return np.array([evaluate(symbols, e, point) for e in expr], dtype=np.float64)
    return float(sp.sympify(expr).subs(values).evalf(30))


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", SCALARS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("taylor", [False, True])
def test_partial(x64, name, order, taylor):
    symbols, expr = SCALARS[name]
    f = as_point_fn(symbols, expr)
    point = POINTS[len(symbols)]
    for axis, symbol in enumerate(symbols):
        got = physics.partial(f, axis, order, taylor=taylor)(jnp.array(point))
        close(got, evaluate(symbols, sp.diff(expr, symbol, order), point))


@pytest.mark.parametrize("name", SCALARS)
def test_grad_hessian_laplacian(x64, name):
    symbols, expr = SCALARS[name]
    f = as_point_fn(symbols, expr)
    point = jnp.array(POINTS[len(symbols)])
    gradient = [sp.diff(expr, s) for s in symbols]
    hess = [[sp.diff(expr, a, b) for b in symbols] for a in symbols]
    close(physics.grad(f)(point), evaluate(symbols, gradient, point))
    close(physics.hessian(f)(point), evaluate(symbols, hess, point))
    lap = sum(sp.diff(expr, s, 2) for s in symbols)
    for taylor in (False, True):
        close(physics.laplacian(f, taylor=taylor)(point), evaluate(symbols, lap, point))


def test_operators_on_a_subset_of_axes(x64):
    symbols, expr = SCALARS["tanh_3d"]
    f = as_point_fn(symbols, expr)
    point = jnp.array(POINTS[3])
    space = (1, 2)  # (t, x, y) convention: spatial axes only
    close(
        physics.laplacian(f, axes=space)(point),
        evaluate(symbols, sp.diff(expr, y, 2) + sp.diff(expr, z, 2), point),
    )
    close(
        physics.grad(f, axes=space)(point),
        evaluate(symbols, [sp.diff(expr, y), sp.diff(expr, z)], point),
    )
    close(
        physics.hessian(f, axes=space)(point),
        evaluate(symbols, [[sp.diff(expr, a, b) for b in (y, z)] for a in (y, z)], point),
    )
    close(physics.time_derivative(f, 2)(point), evaluate(symbols, sp.diff(expr, x, 2), point))


@pytest.mark.parametrize("name", VECTORS)
def test_divergence_and_jacobian(x64, name):
    symbols, exprs = VECTORS[name]
    f = as_point_fn(symbols, exprs)
    point = jnp.array(POINTS[len(symbols)])
    div = sum(sp.diff(e, s) for e, s in zip(exprs, symbols, strict=True))
    close(physics.divergence(f)(point), evaluate(symbols, div, point))
    jac = [[sp.diff(e, s) for s in symbols] for e in exprs]
    close(physics.grad(f)(point), evaluate(symbols, jac, point))
    laplacians = [sum(sp.diff(e, s, 2) for s in symbols) for e in exprs]
    close(physics.laplacian(f)(point), evaluate(symbols, laplacians, point))


def test_composes_with_jit_vmap_and_parameter_gradients(x64):
    # u_theta(z) = theta * sin(z0) * z1^2, Δu = theta * (2 sin z0 - sin(z0) z1^2); the gradient of
    # mean(Δu) with respect to theta is the mean of (2 - z1^2) sin z0.
    def loss(theta, points):
        u = lambda p: theta * jnp.sin(p[0]) * p[1] ** 2
        return jnp.mean(jax.vmap(physics.laplacian(u))(points))

    points = jax.random.normal(jax.random.key(0), (16, 2))
    got = jax.jit(jax.grad(loss))(1.7, points)
    expected = jnp.mean((2 - points[:, 1] ** 2) * jnp.sin(points[:, 0]))
    close(got, expected)


def test_vector_valued_partial_keeps_the_output_shape(x64):
    f = lambda p: jnp.array([p[0] ** 2, p[0] * p[1], jnp.sin(p[1])])
    got = physics.partial(f, 0, 2)(jnp.array([0.5, 0.1]))
    close(got, np.array([2.0, 0.0, 0.0]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: physics.partial(jnp.sum, 2)(jnp.ones(2)), "axis 2 is out of range"),
        (lambda: physics.laplacian(jnp.sum, axes=(0, 5))(jnp.ones(3)), "axis 5 is out of range"),
        (lambda: physics.grad(jnp.sum)(jnp.ones((4, 2))), "one point of shape"),
        (lambda: physics.partial(jnp.sum, 0, order=0), "must be an integer >= 1"),
        (lambda: physics.divergence(jnp.sum)(jnp.ones(2)), "vector field with 2 components"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
