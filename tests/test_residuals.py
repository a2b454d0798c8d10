"""Every residual vanishes on an exact or manufactured solution, pointwise and on grids."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import physics
from pdes.convergence import observed_order
from physics import fd, residuals

# Pointwise residuals are sums of autodiff derivatives of O(1..100) size: float64 round-off.
POINTWISE_ATOL = 1e-9
t, x, y = sp.symbols("t x y", real=True)


def to_jax(symbols, expr):
    fn = sp.lambdify(symbols, expr, modules="jax")
    return lambda z: jnp.asarray(fn(*z), dtype=z.dtype)


def sample_points(dim, n=32, low=-1.0, high=1.0):
    return jax.random.uniform(jax.random.key(dim), (n, dim), jnp.float64, low, high)


def max_residual(residual_fn, points):
    return float(jnp.max(jnp.abs(jax.vmap(jax.jit(residual_fn))(points))))


# Manufactured solutions with a source term computed symbolically from the same equation.
heat_u = sp.exp(-t) * sp.sin(x) * sp.cos(2 * y)
heat_kappa = 1 + x / 2 + y**2 / 4
heat_f = sp.diff(heat_u, t) - (
    sp.diff(heat_kappa * sp.diff(heat_u, x), x) + sp.diff(heat_kappa * sp.diff(heat_u, y), y)
)
darcy_u = x * (1 - x) * y * (1 - y) * sp.exp(x)
darcy_a = 1 + x * y**2
darcy_f = -(sp.diff(darcy_a * sp.diff(darcy_u, x), x) + sp.diff(darcy_a * sp.diff(darcy_u, y), y))
ns_psi = sp.exp(-t) * sp.sin(x) * sp.cos(2 * y) + sp.Rational(3, 10) * sp.cos(3 * x + y)
ns_omega = -(sp.diff(ns_psi, x, 2) + sp.diff(ns_psi, y, 2))
NU_NS = 0.01
ns_forcing = (
    sp.diff(ns_omega, t)
    + sp.diff(ns_psi, y) * sp.diff(ns_omega, x)
    - sp.diff(ns_psi, x) * sp.diff(ns_omega, y)
    - NU_NS * (sp.diff(ns_omega, x, 2) + sp.diff(ns_omega, y, 2))
)

BURGERS_NU, BURGERS_A, BURGERS_C = 0.05, 0.5, 0.3
KDV_ALPHA, KDV_BETA, KDV_C = 1.0, 0.022**2, 1.2
AC_EPS, AC_RHO = 1e-2, 5.0
FK_D, FK_RHO = 0.3, 2.0


def burgers_wave(z):
    """Viscous travelling front u = c - a tanh(a (x - c t) / (2ν))."""
    return BURGERS_C - BURGERS_A * jnp.tanh(
        BURGERS_A * (z[1] - BURGERS_C * z[0]) / (2 * BURGERS_NU)
    )


def kdv_soliton(z):
    """u = (3c/α) sech²(√(c/β)/2 (x - c t))."""
    xi = jnp.sqrt(KDV_C / KDV_BETA) / 2 * (z[1] - KDV_C * z[0])
    return 3 * KDV_C / KDV_ALPHA / jnp.cosh(xi) ** 2


def fisher_wave(z):
    """Ablowitz–Zeppetella: u = (1 + exp(√(ρ/6D) x - 5ρ t / 6))^-2."""
    return (1 + jnp.exp(jnp.sqrt(FK_RHO / (6 * FK_D)) * z[1] - 5 * FK_RHO * z[0] / 6)) ** -2


CASES = {
    "burgers": (residuals.burgers, burgers_wave, {"viscosity": BURGERS_NU}, 2),
    "heat_1d": (
        residuals.heat,
        lambda z: jnp.exp(-0.3 * 4 * z[0]) * jnp.sin(2 * z[1]),
        {"diffusivity": 0.3},
        2,
    ),
    "heat_2d_variable": (
        residuals.heat,
        to_jax((t, x, y), heat_u),
        {"diffusivity": to_jax((t, x, y), heat_kappa), "source": to_jax((t, x, y), heat_f)},
        3,
    ),
    "poisson_2d": (
        residuals.poisson,
        lambda z: jnp.sin(jnp.pi * z[0]) * jnp.sin(2 * jnp.pi * z[1]),
        {"source": lambda z: 5 * jnp.pi**2 * jnp.sin(jnp.pi * z[0]) * jnp.sin(2 * jnp.pi * z[1])},
        2,
    ),
    "darcy_2d": (
        residuals.darcy,
        to_jax((x, y), darcy_u),
        {"permeability": to_jax((x, y), darcy_a), "source": to_jax((x, y), darcy_f)},
        2,
    ),
    "advection_2d": (
        residuals.advection,
        lambda z: jnp.sin(z[1] - 2.0 * z[0]) * jnp.cos(z[2] + 0.5 * z[0]),
        {"velocity": jnp.array([2.0, -0.5])},
        3,
    ),
    "allen_cahn_front": (
        residuals.allen_cahn,
        lambda z: jnp.tanh(z[1] * jnp.sqrt(AC_RHO / (2 * AC_EPS))),
        {"diffusivity": AC_EPS, "reaction": AC_RHO},
        2,
    ),
    "kdv_soliton": (
        residuals.kdv,
        kdv_soliton,
        {"advection": KDV_ALPHA, "dispersion": KDV_BETA},
        2,
    ),
    "wave_2d": (
        residuals.wave,
        lambda z: jnp.sin(z[1]) * jnp.sin(2 * z[2]) * jnp.cos(1.5 * jnp.sqrt(5.0) * z[0]),
        {"speed": 1.5},
        3,
    ),
    "fisher_kpp": (
        residuals.reaction_diffusion,
        fisher_wave,
        {"diffusivity": FK_D, "reaction": FK_RHO},
        2,
    ),
    "antiderivative": (
        residuals.antiderivative,
        lambda z: jnp.sin(3 * z[0]),
        {"integrand": lambda z: 3 * jnp.cos(3 * z[0])},
        1,
    ),
    "quadratic_reaction_diffusion": (
        residuals.quadratic_reaction_diffusion,
        lambda z: z[0] * jnp.sin(jnp.pi * z[1]),
        {
            "diffusivity": 0.01,
            "reaction": 0.01,
            # s = t sin(pi x): u = s_t - D s_xx - k s^2
            "source": lambda z: (
                (1 + 0.01 * jnp.pi**2 * z[0]) * jnp.sin(jnp.pi * z[1])
                - 0.01 * (z[0] * jnp.sin(jnp.pi * z[1])) ** 2
            ),
        },
        2,
    ),
    "navier_stokes_forced": (
        residuals.navier_stokes_vorticity,
        lambda z: jnp.stack([to_jax((t, x, y), ns_omega)(z), to_jax((t, x, y), ns_psi)(z)]),
        {"viscosity": NU_NS, "source": to_jax((t, x, y), ns_forcing)},
        3,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_pointwise_residual_vanishes_on_solution(x64, name):
    residual, solution, coefficients, dim = CASES[name]
    points = sample_points(dim)
    assert max_residual(residual(solution, **coefficients), points) < POINTWISE_ATOL


@pytest.mark.parametrize("name", CASES)
def test_pointwise_residual_detects_a_wrong_solution(x64, name):
    # guards against a residual that vanishes identically: perturbing u must show up
    residual, solution, coefficients, dim = CASES[name]
    wrong = lambda z: solution(z) * (1 + 0.1 * jnp.sin(z[-1]))
    assert max_residual(residual(wrong, **coefficients), sample_points(dim)) > 1e-3


def test_navier_stokes_taylor_green_decays_exactly(x64):
    nu = 0.1

    def taylor_green(z):
        decay = jnp.exp(-2 * nu * z[0])
        psi = decay * jnp.sin(z[1]) * jnp.sin(z[2])
        return jnp.stack([2 * psi, psi])

    r = residuals.navier_stokes_vorticity(taylor_green, viscosity=nu)
    assert max_residual(r, sample_points(3)) < POINTWISE_ATOL


# --- grid residuals ---------------------------------------------------------------------------


def space_time_grid(nt, nx, t_span, x_span, periodic_x):
    ts = np.linspace(*t_span, nt)
    xs = np.linspace(*x_span, nx, endpoint=False) if periodic_x else np.linspace(*x_span, nx)
    return ts, xs


@pytest.mark.parametrize("accuracy", [2, 4])
def test_burgers_grid_residual_converges_at_the_scheme_order(x64, accuracy):
    spacings, errors = [], []
    for n in (33, 65, 129, 257):
        ts, xs = space_time_grid(n, n, (0.0, 1.0), (-1.0, 1.0), periodic_x=False)
        T, X = np.meshgrid(ts, xs, indexing="ij")
        u = jax.vmap(burgers_wave)(jnp.stack([T.ravel(), X.ravel()], -1)).reshape(T.shape)
        grid = residuals.Grid(
            u, (ts[1] - ts[0], xs[1] - xs[0]), bc="dirichlet", accuracy=accuracy, time=True
        )
        errors.append(float(jnp.max(jnp.abs(residuals.burgers(grid, viscosity=BURGERS_NU)))))
        spacings.append(xs[1] - xs[0])
    # slope within 0.35 of the design order (pre-asymptotic closures, see test_grid_operators)
    assert abs(observed_order(spacings, errors) - accuracy) < 0.35


def test_heat_grid_residual_spectral_in_space(x64):
    # u = e^{-κt} sin x on [0, 2π): spectral in x leaves only the O(dt^4) time differencing error
    kappa, spacings, errors = 0.5, [], []
    for nt in (17, 33, 65):
        ts, xs = space_time_grid(nt, 32, (0.0, 1.0), (0.0, 2 * np.pi), periodic_x=True)
        u = np.exp(-kappa * ts)[:, None] * np.sin(xs)[None, :]
        grid = residuals.Grid(u[..., None], (ts[1], xs[1]), accuracy="spectral", time=True)
        r = residuals.heat(grid, diffusivity=kappa)
        assert r.shape == (nt, 32, 1)  # channel axis kept
        errors.append(float(jnp.max(jnp.abs(r))))
        spacings.append(ts[1])
    assert abs(observed_order(spacings, errors) - 4) < 0.35


def test_darcy_grid_residual_is_second_order(x64):
    # smooth permeability; the flux form across a coefficient jump is tested in test_grid_operators
    u_fn, a_fn, f_fn = (to_jax((x, y), e) for e in (darcy_u, darcy_a, darcy_f))
    spacings, errors = [], []
    for n in (17, 33, 65, 129):
        xs = np.linspace(0, 1, n)
        grid = residuals.Grid(
            residuals.Grid(np.zeros((n, n)), (xs[1], xs[1])).coefficient(u_fn),
            (xs[1], xs[1]),
            bc="dirichlet",
        )
        r = residuals.darcy(grid, permeability=a_fn, source=f_fn)
        errors.append(float(jnp.max(jnp.abs(r))))
        spacings.append(xs[1])
    assert abs(observed_order(spacings, errors) - 2) < 0.35


def test_navier_stokes_grid_residual_on_taylor_green(x64):
    # spectral in space, 4th-order differences in time: the residual converges at order 4 in dt
    nu, n, length = 0.05, 32, 2 * np.pi
    xs = np.arange(n) * length / n
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    spacings, errors = [], []
    for nt in (17, 33, 65):
        ts = np.linspace(0, 2.0, nt)
        omega = 2 * np.exp(-2 * nu * ts)[:, None, None] * (np.sin(X) * np.sin(Y))[None]
        field = residuals.vorticity_streamfunction(omega, (xs[1], xs[1]))
        grid = residuals.Grid(field, (ts[1], xs[1], xs[1]), accuracy="spectral", time=True)
        r = residuals.navier_stokes_vorticity(grid, viscosity=nu)
        assert r.shape == (nt, n, n, 2)
        assert float(jnp.max(jnp.abs(r[..., 1]))) < 1e-12  # Poisson part: spectrally exact
        errors.append(float(jnp.max(jnp.abs(r[..., 0]))))
        spacings.append(ts[1])
    assert abs(observed_order(spacings, errors) - 4) < 0.35


@pytest.mark.parametrize("accuracy", [2, 4, "spectral"])
def test_heat_grid_residual_with_variable_diffusivity(x64, accuracy):
    # steady u = cos x, kappa = 2 + sin x on [0, 2pi): (kappa u')' = -(sin x + 2 + sin x) cos x.
    # As a heat residual u_t - (kappa u_x)_x - f with f = -(kappa u')' it vanishes up to the
    # scheme's truncation error; the coefficient's own derivative must not pick up u's closures.
    n = 64
    x = np.arange(n) * 2 * np.pi / n
    t = np.linspace(0.0, 1.0, 8)
    u = np.broadcast_to(np.cos(x), (8, n))
    f = np.sin(x) * np.cos(x) + (2 + np.sin(x)) * np.cos(x)
    grid = residuals.Grid(u, (t[1], x[1]), accuracy=accuracy, time=True)
    r = residuals.heat(
        grid, diffusivity=lambda z: 2 + jnp.sin(z[1]), source=np.broadcast_to(f, (8, n))
    )
    tolerance = {2: 5e-3, 4: 1e-5, "spectral": 1e-12}[accuracy]  # O(h^2), O(h^4), round-off
    assert float(jnp.max(jnp.abs(r))) < tolerance


@pytest.mark.parametrize("accuracy", [2, 4])
def test_coefficient_derivative_ignores_the_fields_neumann_data(x64, accuracy):
    # u = x^3 with u'(0) = 0, u'(1) = 3: div(a grad u) with a = 1 + x^2 is
    # 2x * 3x^2 + (1 + x^2) 6x; with Neumann closures on u only, every node is accurate
    x = np.linspace(0, 1, 65)
    grid = residuals.Grid(x**3, (x[1],), bc=fd.Neumann(0.0, 3.0), accuracy=accuracy)
    got = grid.div_a_grad(1 + x**2, (0,))
    exact = 6 * x**3 + (1 + x**2) * 6 * x
    assert float(jnp.max(jnp.abs(got - exact))) < 1e-2


def test_array_coefficients_on_a_channel_last_grid(x64):
    n = 32
    x = np.arange(n) * 2 * np.pi / n
    u = np.sin(x)[:, None] * np.sin(x)[None, :]
    source = 2 * u
    for values, f in ((u, source), (u[..., None], source), (u[..., None], source[..., None])):
        r = residuals.poisson(residuals.Grid(values, (x[1], x[1]), accuracy="spectral"), source=f)
        assert r.shape == values.shape
        assert float(jnp.max(jnp.abs(r))) < 1e-10
    with pytest.raises(ValueError, match="does not match the grid"):
        residuals.poisson(residuals.Grid(u, (x[1], x[1])), source=np.ones(n))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: residuals.heat(jnp.sum), "heat: missing a required argument: 'diffusivity'"),
        (lambda: residuals.heat(jnp.sum, diffusivity=1.0, kappa=1.0), "heat: got an unexpected"),
        (lambda: residuals.burgers(jnp.sum, viscosity=0.1)(jnp.ones(3)), r"points \(t, x\)"),
        (lambda: residuals.heat(jnp.sum, diffusivity=1.0)(jnp.ones((2, 3))), "one point"),
        (lambda: residuals.poisson(3.0, source=1.0), "function of one point or a"),
        (lambda: residuals.Grid(jnp.ones((4, 4, 4, 1)), (0.1, 0.1)), "do not match 2 coordinate"),
        (lambda: residuals.Grid(jnp.ones((8, 8)), (0.1, 0.1), accuracy=3), "accuracy must be"),
        (
            lambda: residuals.Grid(jnp.ones((8, 8)), (0.1, 0.1), bc=("periodic",) * 3),
            "3 boundary conditions for 2",
        ),
        (
            lambda: residuals.Grid(jnp.ones(8), (0.1,), bc="dirichlet", accuracy="spectral").d(0),
            "spectral derivatives need a periodic axis",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_derivatives_computed_together_equal_separate_ones(x64):
    from physics.residuals._field import PointField, derivative_table

    f = lambda z: jnp.sin(2 * z[0]) * jnp.exp(z[1]) * z[1] ** 2
    z = jnp.array([0.3, -0.7])
    requests = {"value", (0, 1), (1, 1), (1, 3), (0, 2)}
    table = derivative_table(f, z, requests)
    assert set(table) >= requests
    for request in requests:
        expected = f(z) if request == "value" else physics.partial(f, *request)(z)
        np.testing.assert_allclose(table[request], expected, rtol=1e-13)
    # a residual written once: the shared-derivative path equals the one-at-a-time path
    for name, coefficients in [
        ("kdv", {"dispersion": 0.01}),
        ("burgers", {"viscosity": 0.1}),
        ("wave", {"speed": 2.0}),
    ]:
        build = getattr(residuals, name)
        separate = build.equation(PointField(f, z), **coefficients)
        np.testing.assert_allclose(build(f, **coefficients)(z), separate, rtol=1e-13)
