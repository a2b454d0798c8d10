"""Grid operators against exact derivatives: measured convergence orders and spectral accuracy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import benchmarks
from pdes.convergence import observed_order
from physics import fd, spectral

# The fitted log-log slope over 3 resolutions (32..128 points) is within this distance of the
# design order; the pre-asymptotic range of one-sided closures gives slopes up to ~0.3 above it.
ORDER_TOLERANCE = 0.35


def grid(n, kind):
    if kind == "periodic":
        x = np.linspace(0, 2 * np.pi, n, endpoint=False)
    else:
        x = np.linspace(0.0, 1.0, n)
    return x, x[1] - x[0]


@pytest.fixture(scope="module")
def convergence_rows():
    with jax.enable_x64(True):
        return benchmarks.convergence_rows(quick=True)


def test_every_fd_operator_converges_at_its_design_order(convergence_rows):
    # 1-D first and second derivatives for each boundary kind and accuracy, and the 2-D Laplacian
    # with mixed boundaries: the benchmark's rows (README table) are the measurement
    fd_rows = [row for row in convergence_rows if row["scheme"] != "spectral"]
    assert len(fd_rows) == 16
    for row in fd_rows:
        assert abs(row["observed_order"] - row["expected_order"]) < ORDER_TOLERANCE, row


def test_spectral_derivatives_converge_exponentially_to_round_off(convergence_rows):
    # exp(sin x) is entire and periodic: the error falls geometrically with n until round-off,
    # which grows like eps * (n/2)^order
    for row in (r for r in convergence_rows if r["scheme"] == "spectral"):
        errors = dict(zip(row["resolutions"], row["errors"], strict=True))
        order = int(row["operator"][1])
        assert errors[16] < errors[8] / 100, row
        assert errors[64] < 100 * np.finfo(np.float64).eps * 32**order, row


def test_gradient_divergence_and_channels(x64):
    n = 64
    xs, h = grid(n, "periodic")
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    u = np.sin(X) * np.cos(Y)
    g = fd.gradient(u[..., None], (h, h), accuracy=4)  # channel axis carried along
    assert g.shape == (n, n, 1, 2)
    # div grad u = Δu, both at fourth order: agree to the truncation error, O(h^4) ~ 1e-5
    div = fd.divergence(g[:, :, 0, :], (h, h), accuracy=4)
    np.testing.assert_allclose(div, fd.laplacian(u, (h, h), accuracy=4), atol=1e-4)
    np.testing.assert_allclose(div, -2 * u, atol=1e-4)


def test_div_a_grad_is_second_order_and_matches_laplacian_for_constant_a(x64):
    spacings, errors = [], []
    for n in (32, 64, 128, 256):
        xs, h = grid(n, "dirichlet")
        X, Y = np.meshgrid(xs, xs, indexing="ij")
        u = np.sin(np.pi * X) * np.exp(Y)
        a = 1 + X * Y**2
        # div(a grad u) = a Δu + a_x u_x + a_y u_y
        lap = (1 - np.pi**2) * u
        ux, uy = np.pi * np.cos(np.pi * X) * np.exp(Y), u
        exact = a * lap + Y**2 * ux + 2 * X * Y * uy
        got = fd.div_a_grad(u, a, (h, h), bc="dirichlet")
        errors.append(np.max(np.abs(got - exact)))
        spacings.append(h)
    assert abs(observed_order(spacings, errors) - 2) < ORDER_TOLERANCE
    # with a = 1 the interior flux form is exactly the 5-point Laplacian
    xs, h = grid(33, "dirichlet")
    u = np.exp(xs)[:, None] * np.sin(3 * xs)[None, :]
    np.testing.assert_allclose(
        fd.div_a_grad(u, 1.0, (h, h), bc="dirichlet")[1:-1, 1:-1],
        fd.laplacian(u, (h, h), bc="dirichlet")[1:-1, 1:-1],
        rtol=1e-12,
        atol=1e-9,  # round-off of differences divided by h^2 ~ 1e-3
    )


def test_div_a_grad_flux_form_is_exact_across_a_coefficient_jump(x64):
    # a = 12 left of x = 0.5 and 3 right of it, the jump between two nodes. The exact solution of
    # (a u')' = 0 with u(0) = 0, u(1) = 1 is piecewise linear with continuous flux a u' = q.
    # Each cell face sees one value of a (harmonic mean = series conductance), so the flux
    # difference of a piecewise-linear u vanishes at every interior node, to round-off.
    n = 40  # nodes at (i + 0.5)/40: x = 0.5 falls between nodes 19 and 20
    x = (np.arange(n) + 0.5) / n
    a = np.where(x < 0.5, 12.0, 3.0)
    q = 1.0 / (0.5 / 12.0 + 0.5 / 3.0)
    u = np.where(x < 0.5, q * x / 12.0, q * 0.5 / 12.0 + q * (x - 0.5) / 3.0)
    h = x[1] - x[0]
    interior = fd.div_a_grad(u, a, (h,), bc="dirichlet", face_mean=fd.harmonic_mean)[1:-1]
    np.testing.assert_allclose(interior, 0.0, atol=1e-10)
    # the arithmetic mean is not exact at the jump (first order there): it is visibly nonzero
    arithmetic = fd.div_a_grad(u, a, (h,), bc="dirichlet")[1:-1]
    assert np.max(np.abs(arithmetic)) > 1.0


def test_div_a_grad_with_neumann_boundaries(x64):
    # u = cos(pi x), u' = 0 at x = 0, 1; a = 1 + x: (a u')' = -pi sin(pi x) - (1 + x) pi^2 cos(pi x)
    errors, spacings = [], []
    for n in (33, 65, 129):
        x = np.linspace(0, 1, n)
        u, a = np.cos(np.pi * x), 1 + x
        exact = -np.pi * np.sin(np.pi * x) - (1 + x) * np.pi**2 * np.cos(np.pi * x)
        got = fd.div_a_grad(u, a, (x[1],), bc=fd.Neumann(0.0, 0.0))
        errors.append(np.max(np.abs(got - exact)))
        spacings.append(x[1])
    assert abs(observed_order(spacings, errors) - 2) < ORDER_TOLERANCE


def test_spectral_2d_laplacian_and_inverse(x64):
    n, length = (48, 32), (2 * np.pi, 4.0)
    xs = np.arange(n[0]) * length[0] / n[0]
    ys = np.arange(n[1]) * length[1] / n[1]
    spacing = (xs[1], ys[1])
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    k = 2 * np.pi / length[1]
    u = np.sin(2 * X) * np.cos(3 * k * Y)
    lap = -(4 + 9 * k**2) * u
    np.testing.assert_allclose(spectral.laplacian(u, spacing), lap, atol=1e-11)
    np.testing.assert_allclose(spectral.inverse_laplacian(lap, spacing), u, atol=1e-13)
    # a channel axis is carried along
    stacked = np.stack([u, 2 * u], axis=-1)
    np.testing.assert_allclose(spectral.laplacian(stacked, spacing)[..., 1], 2 * lap, atol=1e-10)
    # an odd derivative zeroes the Nyquist mode of an even grid (its derivative is not real)
    nyquist = np.cos(np.pi * np.arange(8))  # (-1)^j, the Nyquist mode of 8 points
    np.testing.assert_allclose(spectral.diff(nyquist, 0.1, order=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        spectral.diff(nyquist, 0.1, order=2), -((np.pi / 0.1) ** 2) * nyquist, rtol=1e-12
    )


@pytest.mark.parametrize(
    "operator",
    [
        lambda u, h: fd.diff(u, h, accuracy=4, bc="dirichlet"),
        lambda u, h: fd.laplacian(u, (h,), bc=fd.Neumann(np.float64(0.0), np.float64(1.0))),
        lambda u, h: fd.div_a_grad(u, np.ones(16), (h,), bc="dirichlet"),
        lambda u, h: spectral.diff(u, h, order=3),
        lambda u, h: spectral.laplacian(u, (h,)),
        lambda u, h: spectral.dealias(u),
    ],
)
def test_float32_fields_stay_float32_under_x64(x64, operator):
    # a NumPy float64 step or boundary value must not promote a float32 field
    u = jnp.linspace(0.0, 1.0, 16, dtype=jnp.float32) ** 2
    assert operator(u, np.float64(1.0 / 15)).dtype == jnp.float32


def _exact_product_modes(u_hat, v_hat, n):
    """Modes 0..n/2 of the product of two band-limited fields, computed on a 2n grid (exact)."""
    fine = 2 * n
    u_fine = jnp.fft.irfft(jnp.pad(u_hat, (0, fine // 2 - n // 2)) * 2, fine)
    v_fine = jnp.fft.irfft(jnp.pad(v_hat, (0, fine // 2 - n // 2)) * 2, fine)
    return jnp.fft.rfft(u_fine * v_fine)[: n // 2 + 1] / 2


def test_dealiasing_removes_aliasing_of_quadratic_products(x64):
    n = 48
    mask = spectral.dealias_mask((n,))
    assert not bool(mask[n // 3]) and bool(mask[n // 3 - 1])
    key_u, key_v = jax.random.split(jax.random.key(0))
    u_hat = jax.random.normal(key_u, (n // 2 + 1,), dtype=jnp.complex128).at[-1].set(0)
    v_hat = jax.random.normal(key_v, (n // 2 + 1,), dtype=jnp.complex128).at[-1].set(0)
    # fields cut to the 2/3 band: the product's kept modes are exact (aliases land outside)
    u, v = jnp.fft.irfft(u_hat * mask, n), jnp.fft.irfft(v_hat * mask, n)
    exact = _exact_product_modes(u_hat * mask, v_hat * mask, n)
    got = jnp.fft.rfft(spectral.dealias(u * v))
    np.testing.assert_allclose(got, exact * mask, atol=1e-12)
    # full-band fields: aliasing pollutes the kept modes, which is what the rule prevents
    u, v = jnp.fft.irfft(u_hat, n), jnp.fft.irfft(v_hat, n)
    exact = _exact_product_modes(u_hat, v_hat, n)
    assert jnp.max(jnp.abs((jnp.fft.rfft(u * v) - exact) * mask)) > 1e-3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fd.diff(jnp.ones(8), 0.1, axis=1), "axis 1 is out of range"),
        (lambda: fd.diff(jnp.ones(8), 0.1, order=3), "derivative orders"),
        (lambda: fd.diff(jnp.ones(8), 0.1, accuracy=6), "accuracy must be"),
        (lambda: fd.diff(jnp.ones(4), 0.1, accuracy=4, order=2, bc="dirichlet"), "too small"),
        (lambda: fd.diff(jnp.ones(8), -0.1), "spacing must be positive"),
        (lambda: fd.diff(jnp.ones(8), 0.1, bc="robin"), "unknown grid boundary condition"),
        (lambda: fd.laplacian(jnp.ones(8), (0.1, 0.1)), "fewer axes"),
        (lambda: fd.laplacian(jnp.ones((8, 8)), (0.1, 0.1), bc=("periodic",)), "2 spatial axes"),
        (lambda: fd.divergence(jnp.ones((8, 8, 3)), (0.1, 0.1)), r"\[\*space, \.\.\., 2\]"),
        (
            lambda: fd.diff(jnp.ones((8, 5)), 0.1, bc=fd.Neumann(left=jnp.ones(3))),
            "does not broadcast",
        ),
        (lambda: spectral.diff(jnp.ones(8), 1.0, axis=-2), "axis -2 is out of range"),
        (lambda: spectral.diff(jnp.ones(8), 0.0), "spacing must be positive"),
        (lambda: spectral.laplacian(jnp.ones(8), (1.0, 1.0)), "cannot have 2 periodic"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
