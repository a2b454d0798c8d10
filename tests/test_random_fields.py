"""Gaussian random fields: the sampled covariance is the operator's, fields are real, mean-free
and deterministic, and bad arguments are one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.random_fields import grf_eigenvalues, neumann_grf, periodic_grf, rbf_factor, rbf_grf


def _target_covariance(n, length, **spectrum):
    """Cov(u(0), u(lag)) = sum_k lambda_k cos(2 pi k lag / n) / L (mean-free: k = 0 dropped)."""
    eigen = grf_eigenvalues(n, 1, length=length, **spectrum)
    eigen[0] = 0.0
    k = np.fft.fftfreq(n, d=1.0 / n)
    lags = np.arange(n)
    return (eigen[None, :] * np.cos(2 * np.pi * np.outer(lags, k) / n)).sum(1) / length


@pytest.mark.parametrize("length", [1.0, 2.0])
def test_sampled_covariance_is_the_operators(length):
    spectrum = {"alpha": 2.0, "tau": 5.0, "sigma": 25.0}  # FNO's Burgers initial data
    with jax.enable_x64(True):
        u = np.asarray(
            periodic_grf(
                jax.random.key(1), 32, samples=20000, length=length, dtype=jnp.float64, **spectrum
            )
        )
    # stationary: average the product over positions, for every lag
    empirical = np.array([np.mean(u * np.roll(u, -lag, axis=1)) for lag in range(32)])
    target = _target_covariance(32, length, **spectrum)
    # 20000 samples: the estimate's standard error is about 1% of the variance; allow 5 of them
    np.testing.assert_allclose(empirical, target, atol=0.05 * target[0])


def test_fields_are_real_mean_free_and_deterministic():
    u = periodic_grf(jax.random.key(0), 16, dim=2, samples=4, alpha=2.0, tau=3.0, sigma=3.0)
    assert u.shape == (4, 16, 16) and u.dtype == jnp.float32
    np.testing.assert_allclose(u.mean(axis=(1, 2)), 0.0, atol=1e-6 * float(jnp.abs(u).max()))
    again = periodic_grf(jax.random.key(0), 16, dim=2, samples=4, alpha=2.0, tau=3.0, sigma=3.0)
    np.testing.assert_array_equal(u, again)
    other = periodic_grf(jax.random.key(1), 16, dim=2, samples=4, alpha=2.0, tau=3.0, sigma=3.0)
    assert not np.allclose(u, other)
    with_mean = periodic_grf(jax.random.key(0), 16, samples=2000, mean_zero=False)
    assert float(jnp.abs(with_mean.mean(axis=1)).max()) > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "n must be an integer >= 2"),
        ({"n": 16, "dim": 2, "alpha": 1.0}, "alpha must exceed dim/2 = 1.0"),
        ({"n": 16, "tau": -1.0}, "tau must be a positive number"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        periodic_grf(jax.random.key(0), **kwargs)


def _dct_basis(n):
    """Orthonormal DCT-II vectors phi_k(j) = c_k sqrt(1/n) cos(pi k (2j+1) / 2n), rows k."""
    j, k = np.arange(n)[None, :], np.arange(n)[:, None]
    c = np.where(k == 0, 1.0, np.sqrt(2.0))
    return c * np.sqrt(1.0 / n) * np.cos(np.pi * k * (2 * j + 1) / (2 * n))


def test_neumann_covariance_is_the_operators():
    """1-D so the full covariance matrix can be compared: C = n sigma^2 sum_k lambda_k phi phi^T."""
    n, alpha, tau = 16, 2.0, 3.0
    with jax.enable_x64(True):
        u = np.asarray(
            neumann_grf(
                jax.random.key(3),
                n,
                dim=1,
                samples=20000,
                alpha=alpha,
                tau=tau,
                dtype=jnp.float64,
            )
        )
    sigma = tau ** (alpha - 0.5)
    lam = (np.pi**2 * np.arange(n) ** 2 + tau**2) ** (-alpha)
    lam[0] = 0.0
    phi = _dct_basis(n)
    target = n * sigma**2 * (phi.T * lam) @ phi
    empirical = u.T @ u / u.shape[0]
    # standard error of a covariance estimate with 20000 samples ~ 1% of the variance; 5 of them
    np.testing.assert_allclose(empirical, target, atol=0.05 * np.diag(target).max())


def test_neumann_grf_matches_fno_scaling_in_2d():
    """The 2-D field equals idct2 of FNO's coefficients s * tau^(alpha-1) (pi^2|k|^2+tau^2)^-a/2."""
    import scipy.fft

    n, alpha, tau = 8, 2.0, 3.0
    key = jax.random.key(5)
    with jax.enable_x64(True):
        u = np.asarray(neumann_grf(key, n, alpha=alpha, tau=tau, dtype=jnp.float64))[0]
        xi = np.asarray(jax.random.normal(key, (1, n, n), jnp.float64))[0]
    k1, k2 = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    coef = tau ** (alpha - 1) * (np.pi**2 * (k1**2 + k2**2) + tau**2) ** (-alpha / 2)
    coef[0, 0] = 0.0
    expected = scipy.fft.idctn(n * coef * xi, type=2, norm="ortho")
    np.testing.assert_allclose(u, expected, rtol=1e-12, atol=1e-12)


def test_rbf_samples_have_the_kernel_covariance():
    x = np.linspace(0.0, 1.0, 12)
    factor = rbf_factor(x, length_scale=0.2)
    np.testing.assert_allclose(
        factor @ factor.T, np.exp(-((x[:, None] - x[None]) ** 2) / 0.08), atol=1e-12
    )
    with jax.enable_x64(True):
        u = np.asarray(rbf_grf(jax.random.key(2), factor, samples=20000, dtype=jnp.float64))
    # unit variance: standard error of the covariance estimate ~ 1/sqrt(20000) = 0.7%; 5 of them
    np.testing.assert_allclose(u.T @ u / len(u), factor @ factor.T, atol=0.035)
    with pytest.raises(ValueError, match="points must be a 1-D array"):
        rbf_factor(np.zeros((3, 2)))
