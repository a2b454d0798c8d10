"""Spectral reference solvers against mathematics: ETDRK4 and the Cole–Hopf Burgers solution.

Each tolerance is a named constant; its comment gives the measured value and where the bound
comes from. Solves are jitted here, at the boundary; each distinct step count compiles once.
"""

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import sympy

from pdes.benchmarks._references import BASDEVANT_SLOPE
from pdes.solvers import (
    allen_cahn_terms,
    burgers_cole_hopf,
    burgers_cole_hopf_grid,
    burgers_terms,
    etdrk4,
    etdrk4_coefficients,
    kdv_terms,
)
from pdes.solvers._cole_hopf import DEFAULT_QUADRATURE_POINTS

# Contour means vs the closed forms in 60-digit arithmetic: rounding only (measured < 1e-15).
COEFFICIENT_TOL = 1e-13
# Constant forcing is integrated exactly by ETDRK4 (f1 + 4 f2 + f3 = h phi_1(hL)); only rounding
# over 100 steps remains (measured ~1e-15).
CONSTANT_FORCING_TOL = 1e-12
# Float32 heat equation: the scheme is exact for N = 0, so only float32 rounding (eps ~ 1.2e-7).
FLOAT32_TOL = 1e-5
# Fourth order (Cox & Matthews 2002): the fitted slope over dt, dt/2, dt/4 (measured 4.00 for KdV,
# 4.11 for Allen–Cahn, whose largest step is still slightly pre-asymptotic).
ORDER_RANGE = (3.7, 4.3)
# KdV soliton, 512 points, dt = 5e-5, t = 0.5: time error ~ 2e-10 (3.8e-9 at dt = 1e-4, ratio 16);
# periodic-image tails are e^{-2 kappa L/2} ~ 1e-20 and the spectrum is resolved to ~1e-16.
SOLITON_TOL = 1e-9
# Burgers nu = 0.1/pi, 256 points, dt = 5e-4, t <= 1: measured 1.9e-12 (3.0e-11 at dt = 1e-3).
BURGERS_TOL = 1e-10
# Burgers nu = 0.01/pi, 4096 points, dt = 1e-4: measured 4.7e-12 (2048 points: 3.7e-10).
BURGERS_STEEP_TOL = 1e-10
# Cole–Hopf trapezoid rule, default vs doubled nodes: measured ~5e-16 (the rule converges
# exponentially: 129 -> 257 nodes already changes u by only 6e-12).
QUADRATURE_TOL = 1e-12
# Basdevant et al. (1986) publish 152.00516 (8 figures: +-5e-6, i.e. 3.3e-8 relative) at
# t* = 1.6037/pi; t* is a maximum in time, so its rounding moves the slope only at second order.
# Measured: 152.0051616, relative difference 1.0e-8.
BASDEVANT_RTOL = 1e-7
# PDE residual by autodiff relative to 1 + |u_t| + |u u_x| + |nu u_xx| (the size of the terms that
# cancel): rounding, amplified by the x-derivatives of the log-weights (~1/(2 nu)); measured 1e-13.
RESIDUAL_TOL = 1e-11

NU_STEEP = 0.01 / math.pi  # Raissi et al. (2019) / Basdevant et al. (1986)
KDV_ALPHA, KDV_BETA = 1.0, 0.022**2  # JAX-PI / Zabusky–Kruskal

solve = jax.jit(
    etdrk4,
    static_argnames=("length", "linear", "nonlinear", "save_every", "n_saves", "contour_points"),
)


def _grid(n: int) -> jax.Array:
    return jnp.linspace(-1.0, 1.0, n, endpoint=False)


def _closed_forms(z: complex) -> np.ndarray:
    """Cox–Matthews coefficients (without h) by their direct formulas in 60-digit arithmetic,
    where the cancellation near z = 0 that the contour avoids is harmless."""
    with mpmath.workdps(60):
        z = mpmath.mpc(z)
        ez = mpmath.exp(z)
        values = [
            ez,
            mpmath.exp(z / 2),
            (mpmath.exp(z / 2) - 1) / z,
            (-4 - z + ez * (4 - 3 * z + z**2)) / z**3,
            (2 + z + ez * (z - 2)) / z**3,
            (-4 - 3 * z - z**2 + ez * (4 - z)) / z**3,
        ]
        return np.array([complex(v) for v in values])


# --------------------------------------------------------------------------------------------
# ETDRK4
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [-30.0, -2.0, -1e-3, 1e-9, 1.5, 5j, -3.0 + 40j, 1e-7j])
def test_coefficients_match_closed_forms(x64, z):
    got = np.array(etdrk4_coefficients(jnp.array([z]), 64))[:, 0]
    np.testing.assert_allclose(got, _closed_forms(z), rtol=COEFFICIENT_TOL)


def test_coefficients_limits_at_zero(x64):
    # Taylor limits of the formulas: E = E2 = 1, Q = 1/2, f1 = f2 = f3 = 1/6.
    got = np.array(etdrk4_coefficients(jnp.zeros(1), 64))[:, 0]
    np.testing.assert_allclose(got, [1.0, 1.0, 0.5, 1 / 6, 1 / 6, 1 / 6], rtol=COEFFICIENT_TOL)


def test_constant_forcing_is_exact(x64):
    """u_t = u_xx + g(x): the exact solution is u0 e^{Lt} + (e^{Lt} - 1)/L g, mode by mode."""
    n, length, dt, steps = 32, 2 * math.pi, 0.01, 100
    x = jnp.linspace(0, length, n, endpoint=False)
    u0, g = jnp.sin(x), 0.3 + jnp.cos(2 * x)
    g_hat = jnp.fft.rfft(g)
    u = solve(
        u0,
        length=length,
        linear=lambda k: -(k**2),
        nonlinear=lambda u, k: g_hat,
        dt=dt,
        save_every=steps,
        n_saves=1,
    )
    t = dt * steps
    exact = math.exp(-t) * jnp.sin(x) + 0.3 * t + (1 - math.exp(-4 * t)) / 4 * jnp.cos(2 * x)
    np.testing.assert_allclose(u[0], u0, atol=0)
    np.testing.assert_allclose(u[1], exact, atol=CONSTANT_FORCING_TOL)


def test_float32_heat_keeps_dtype():
    x = jnp.linspace(0, 2 * math.pi, 16, endpoint=False, dtype=jnp.float32)
    u = solve(
        jnp.sin(x),
        length=2 * math.pi,
        linear=lambda k: -(k**2),
        nonlinear=lambda u, k: jnp.zeros(k.shape, jnp.complex64),
        dt=0.05,
        save_every=10,
        n_saves=2,
    )
    assert u.dtype == jnp.float32 and u.shape == (3, 16)
    np.testing.assert_allclose(u[2], math.exp(-1.0) * np.sin(np.asarray(x)), atol=FLOAT32_TOL)


CONVERGENCE_CASES = {
    # name: (terms, u0, grid size, final time, dt, dt/2, dt/4)
    "kdv": (
        kdv_terms(advection=KDV_ALPHA, dispersion=KDV_BETA),
        lambda x: jnp.cos(jnp.pi * x),
        128,  # beta k_max^3 dt ~ 16 at dt = 4e-3: stiff
        0.2,
        (4e-3, 2e-3, 1e-3),
    ),
    "allen_cahn": (
        allen_cahn_terms(diffusivity=1e-4, reaction=5.0),
        lambda x: x**2 * jnp.cos(jnp.pi * x),
        256,
        1.0,
        (0.025, 0.0125, 0.00625),
    ),
}


@pytest.mark.parametrize("name", sorted(CONVERGENCE_CASES))
def test_fourth_order_in_time(x64, name):
    (linear, nonlinear), u0_fn, n, t_end, dts = CONVERGENCE_CASES[name]
    u0 = u0_fn(_grid(n))

    def final(dt: float) -> jax.Array:
        steps = round(t_end / dt)
        return solve(
            u0,
            length=2.0,
            linear=linear,
            nonlinear=nonlinear,
            dt=t_end / steps,
            save_every=steps,
            n_saves=1,
        )[-1]

    reference = final(dts[-1] / 16)  # its error is 16^4 ~ 6.6e4 times below the smallest one
    errors = [float(jnp.max(jnp.abs(final(dt) - reference))) for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert ORDER_RANGE[0] < slope < ORDER_RANGE[1], (errors, slope)


def test_soliton_formula_solves_kdv():
    """The soliton used below, for general alpha, beta, c > 0 (symbolic, so no tolerance)."""
    x, t, alpha, beta, c, x0 = sympy.symbols("x t alpha beta c x0", positive=True)
    u = 3 * c / alpha * sympy.sech(sympy.sqrt(c / beta) / 2 * (x - c * t - x0)) ** 2
    residual = sympy.diff(u, t) + alpha * u * sympy.diff(u, x) + beta * sympy.diff(u, x, 3)
    assert sympy.simplify(residual.rewrite(sympy.exp)) == 0


def test_kdv_soliton(x64):
    r"""ETDRK4 on u = (3c/alpha) sech^2(kappa (x - ct - x0)), kappa = sqrt(c/beta)/2.

    For alpha = 6, beta = 1 this is the classical (c/2) sech^2(sqrt(c)/2 (x - ct)). With c = 1,
    kappa = 1/(2 * 0.022) ~ 22.7, so on [-1, 1) the periodic images contribute
    ~ 12 e^{-2 kappa} ~ 1e-19.
    """
    c, x0, t_end, dt = 1.0, -0.4, 0.5, 5e-5
    kappa = math.sqrt(c / KDV_BETA) / 2

    def soliton(t: float, x: jax.Array) -> jax.Array:
        xi = jnp.mod(x - c * t - x0 + 1.0, 2.0) - 1.0  # distance to the nearest image
        return 3 * c / KDV_ALPHA / jnp.cosh(kappa * xi) ** 2

    x = _grid(512)
    linear, nonlinear = kdv_terms(advection=KDV_ALPHA, dispersion=KDV_BETA)
    steps = round(t_end / dt / 5)
    u = solve(
        soliton(0.0, x),
        length=2.0,
        linear=linear,
        nonlinear=nonlinear,
        dt=dt,
        save_every=steps,
        n_saves=5,
    )
    exact = jnp.stack([soliton(j * steps * dt, x) for j in range(6)])
    np.testing.assert_allclose(u, exact, atol=SOLITON_TOL, rtol=0)


def _burgers_error(nu: float, n: int, dt: float) -> jax.Array:
    x = _grid(n)
    t = jnp.linspace(0.0, 1.0, 5)
    linear, nonlinear = burgers_terms(viscosity=nu)
    steps = round(0.25 / dt)
    u = solve(
        -jnp.sin(jnp.pi * x),
        length=2.0,
        linear=linear,
        nonlinear=nonlinear,
        dt=dt,
        save_every=steps,
        n_saves=4,
    )
    return jnp.max(jnp.abs(u - burgers_cole_hopf_grid(t, x, viscosity=nu)))


def test_burgers_matches_cole_hopf(x64):
    assert _burgers_error(0.1 / math.pi, 256, 5e-4) < BURGERS_TOL


@pytest.mark.slow
def test_burgers_steep_front_matches_cole_hopf(x64):
    assert _burgers_error(NU_STEEP, 4096, 1e-4) < BURGERS_STEEP_TOL


# --------------------------------------------------------------------------------------------
# Cole–Hopf
# --------------------------------------------------------------------------------------------


def test_cole_hopf_initial_condition(x64):
    x = jnp.linspace(-1.0, 1.0, 9)
    u = burgers_cole_hopf_grid(jnp.zeros(1), x, viscosity=NU_STEEP)
    np.testing.assert_allclose(u[0], -jnp.sin(jnp.pi * x), atol=1e-15)


def test_cole_hopf_quadrature_converged(x64):
    t = jnp.array([0.25, 0.5, 1.0])
    x = jnp.array([-0.9, -0.3, -0.01, -1e-3, 0.0, 1e-3, 0.01, 0.3, 0.9])
    u_n = burgers_cole_hopf_grid(t, x, viscosity=NU_STEEP)
    u_2n = burgers_cole_hopf_grid(
        t, x, viscosity=NU_STEEP, quadrature_points=2 * DEFAULT_QUADRATURE_POINTS
    )
    np.testing.assert_allclose(u_n, u_2n, atol=QUADRATURE_TOL, rtol=0)


def test_cole_hopf_basdevant_slope(x64):
    u_x = jax.grad(burgers_cole_hopf, argnums=1)
    t_star = 1.6037 / math.pi
    times = jnp.array([t_star, t_star - 1e-3 / math.pi, t_star + 1e-3 / math.pi])
    slopes = -jax.jit(jax.vmap(lambda t: u_x(t, 0.0, viscosity=NU_STEEP)))(times)
    np.testing.assert_allclose(slopes[0], BASDEVANT_SLOPE, rtol=BASDEVANT_RTOL)
    assert slopes[0] > slopes[1] and slopes[0] > slopes[2]  # t* is the maximum in time


def test_cole_hopf_satisfies_burgers(x64):
    def u(t, x):
        return burgers_cole_hopf(t, x, viscosity=NU_STEEP)

    u_t, u_x = jax.grad(u, 0), jax.grad(u, 1)
    u_xx = jax.grad(u_x, 1)

    def relative_residual(t, x):
        terms = jnp.stack([u_t(t, x), u(t, x) * u_x(t, x), -NU_STEEP * u_xx(t, x)])
        return jnp.abs(jnp.sum(terms)) / (1 + jnp.sum(jnp.abs(terms)))

    t, x = jnp.meshgrid(
        jnp.array([0.05, 0.3, 0.51, 1.0]), jnp.array([-0.7, -0.01, 0.0, 0.003, 0.4])
    )
    residuals = jax.jit(jax.vmap(relative_residual))(t.ravel(), x.ravel())
    assert float(jnp.max(residuals)) < RESIDUAL_TOL


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

_HEAT = {"length": 2.0, "linear": lambda k: -(k**2), "nonlinear": lambda u, k: 0 * k + 0j}
_GOOD = {**_HEAT, "dt": 0.1, "save_every": 1, "n_saves": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"u0": jnp.zeros((4, 4))}, "u0 must be a 1-D field"),
        ({"dt": 0.0}, "dt must be a positive"),
        ({"dt": -1e-3}, "dt must be a positive"),
        ({"dt": float("nan")}, "dt must be a positive"),
        ({"length": 0.0}, "length must be a positive"),
        ({"save_every": 0}, "save_every must be an integer >= 1"),
        ({"save_every": 2.0}, "save_every must be an integer >= 1"),
        ({"n_saves": -1}, "n_saves must be an integer >= 0"),
        ({"contour_points": 4}, "contour_points must be an integer >= 8"),
        ({"linear": lambda k: jnp.zeros(3)}, r"linear\(k\) must have the shape"),
        ({"nonlinear": lambda u, k: jnp.zeros(3, complex)}, r"nonlinear\(u, k\) must have"),
    ],
)
def test_etdrk4_rejects_bad_input(change, message):
    kwargs = {"u0": jnp.zeros(8), **_GOOD, **change}
    u0 = kwargs.pop("u0")
    with pytest.raises(ValueError, match=message):
        etdrk4(u0, **kwargs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: burgers_cole_hopf(0.5, 0.0, viscosity=0.0), "viscosity must be a positive"),
        (
            lambda: burgers_cole_hopf(0.5, 0.0, viscosity=0.1, quadrature_points=2),
            "quadrature_points",
        ),
        (lambda: burgers_cole_hopf(jnp.ones(2), 0.0, viscosity=0.1), "must be scalars"),
        (lambda: burgers_cole_hopf_grid(jnp.ones((2, 2)), jnp.ones(3), viscosity=0.1), "1-D grids"),
        (
            lambda: burgers_cole_hopf_grid(jnp.ones(2), jnp.ones(3), viscosity=0.1, batch_size=0),
            "batch",
        ),
    ],
)
def test_cole_hopf_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
