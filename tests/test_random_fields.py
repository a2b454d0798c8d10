"""Gaussian random fields: the sampled covariance is the operator's, fields are real, mean-free
and deterministic, and bad arguments are one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes.random_fields import grf_eigenvalues, periodic_grf


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
