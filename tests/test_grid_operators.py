"""Grid operators against exact derivatives: measured convergence orders and spectral accuracy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.convergence import observed_order
from physics import fd, spectral

# The fitted log-log slope over 4 resolutions (32..256 points) is within this distance of the
# design order; the pre-asymptotic range of one-sided closures gives slopes up to ~0.3 above it.
ORDER_TOLERANCE = 0.35
RESOLUTIONS = (32, 64, 128, 256)


def smooth_nonperiodic(x):
    """u = e^x sin 3x and its first two derivatives."""
    e, s, c = np.exp(x), np.sin(3 * x), np.cos(3 * x)
    return e * s, e * (s + 3 * c), e * (-8 * s + 6 * c)


def smooth_periodic(x):
    """u = sin x + cos 3x on [0, 2π) and its first two derivatives."""
    return (
        np.sin(x) + np.cos(3 * x),
        np.cos(x) - 3 * np.sin(3 * x),
        -np.sin(x) - 9 * np.cos(3 * x),
    )


def grid(n, kind):
    if kind == "periodic":
        x = np.linspace(0, 2 * np.pi, n, endpoint=False)
    else:
        x = np.linspace(0.0, 1.0, n)
    return x, x[1] - x[0]


def bc_for(kind, du):
    if kind == "neumann":
        return fd.Neumann(left=du[0], right=du[-1])
    return kind


@pytest.mark.parametrize("kind", ["periodic", "dirichlet", "neumann"])
@pytest.mark.parametrize("accuracy", [2, 4])
@pytest.mark.parametrize("order", [1, 2])
def test_1d_convergence_order(x64, kind, accuracy, order):
    exact = smooth_periodic if kind == "periodic" else smooth_nonperiodic
    spacings, errors = [], []
    for n in RESOLUTIONS:
        x, h = grid(n, kind)
        u, du, d2u = exact(x)
        got = fd.diff(u, h, order=order, accuracy=accuracy, bc=bc_for(kind, du))
        errors.append(np.max(np.abs(got - (du if order == 1 else d2u))))
        spacings.append(h)
    assert abs(observed_order(spacings, errors) - accuracy) < ORDER_TOLERANCE


@pytest.mark.parametrize("accuracy", [2, 4])
def test_2d_laplacian_mixed_boundaries_convergence(x64, accuracy):
    # u = (sin x + cos 3x)(e^y sin 3y): periodic in x on [0, 2π), Dirichlet/Neumann in y on [0, 1]
    spacings, errors = {"dirichlet": [], "neumann": []}, {"dirichlet": [], "neumann": []}
    for n in RESOLUTIONS:
        xs, hx = grid(n, "periodic")
        ys, hy = grid(n, "dirichlet")
        px, _, d2px = smooth_periodic(xs)
        qy, dqy, d2qy = smooth_nonperiodic(ys)
        u = px[:, None] * qy[None, :]
        exact = d2px[:, None] * qy[None, :] + px[:, None] * d2qy[None, :]
        for kind in ("dirichlet", "neumann"):
            ybc = fd.Neumann(left=px * dqy[0], right=px * dqy[-1]) if kind == "neumann" else kind
            got = fd.laplacian(u, (hx, hy), accuracy=accuracy, bc=("periodic", ybc))
            errors[kind].append(np.max(np.abs(got - exact)))
            spacings[kind].append(hy)
    for kind in errors:
        assert abs(observed_order(spacings[kind], errors[kind]) - accuracy) < ORDER_TOLERANCE


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
    for n in RESOLUTIONS:
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


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_spectral_derivative_reaches_round_off(x64, order):
    # u = exp(sin x) is entire and periodic: the spectral error decays geometrically with n until
    # round-off, which grows like eps * (n/2)^order.
    errors = {}
    for n in (8, 16, 64):
        xs = np.linspace(0, 2 * np.pi, n, endpoint=False)
        u = jnp.exp(jnp.sin(xs))
        f = lambda t: jnp.exp(jnp.sin(t))
        for _ in range(order):
            f = jax.grad(f)
        exact = jax.vmap(f)(jnp.asarray(xs))
        errors[n] = float(jnp.max(jnp.abs(spectral.diff(u, 2 * np.pi, order=order) - exact)))
    assert errors[16] < errors[8] / 100
    assert errors[64] < 100 * np.finfo(np.float64).eps * (64 / 2) ** order


def test_spectral_2d_laplacian_and_inverse(x64):
    n, length = (48, 32), (2 * np.pi, 4.0)
    xs = np.arange(n[0]) * length[0] / n[0]
    ys = np.arange(n[1]) * length[1] / n[1]
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    k = 2 * np.pi / length[1]
    u = np.sin(2 * X) * np.cos(3 * k * Y)
    lap = -(4 + 9 * k**2) * u
    np.testing.assert_allclose(spectral.laplacian(u, length), lap, atol=1e-11)
    np.testing.assert_allclose(spectral.inverse_laplacian(lap, length), u, atol=1e-13)
    # a channel axis is carried along
    stacked = np.stack([u, 2 * u], axis=-1)
    np.testing.assert_allclose(spectral.laplacian(stacked, length)[..., 1], 2 * lap, atol=1e-10)


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
        (lambda: fd.diff(jnp.ones(8), 0.1, bc="robin"), "unknown boundary condition"),
        (lambda: fd.laplacian(jnp.ones(8), (0.1, 0.1)), "fewer axes"),
        (lambda: fd.laplacian(jnp.ones((8, 8)), (0.1, 0.1), bc=("periodic",)), "2 spatial axes"),
        (lambda: fd.divergence(jnp.ones((8, 8, 3)), (0.1, 0.1)), r"\[\*space, 2\]"),
        (
            lambda: fd.diff(jnp.ones((8, 5)), 0.1, bc=fd.Neumann(left=jnp.ones(3))),
            "does not broadcast",
        ),
        (lambda: spectral.diff(jnp.ones(8), 1.0, axis=-2), "axis -2 is out of range"),
        (lambda: spectral.laplacian(jnp.ones(8), (1.0, 1.0)), "cannot have 2 periodic"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
