r"""Gaussian random fields on periodic grids, the input distributions of operator-learning data.

:func:`periodic_grf` samples :math:`u \sim \mathcal{N}(0, \sigma^2(-\Delta + \tau^2 I)^{-\alpha})`
on the periodic box :math:`[0, L)^d` sampled at :math:`N^d` points (FNO's Burgers data:
:math:`d = 1`, :math:`\sigma^2 = 625`, :math:`\tau = 5`, :math:`\alpha = 2`; FNO's Darcy
field, :math:`\tau = 3`, :math:`\alpha = 2`, uses the same operator in a cosine basis). With
orthonormal Fourier modes
:math:`\phi_k = e^{2\pi i k\cdot x/L}/L^{d/2}` and eigenvalues
:math:`\lambda_k = \sigma^2 (4\pi^2|k|^2/L^2 + \tau^2)^{-\alpha}`, the covariance is
:math:`\mathrm{Cov}(u(x), u(y)) = \sum_k \lambda_k \phi_k(x)\overline{\phi_k(y)}`, truncated to
the grid's modes. Sampling colours white noise :math:`w` on the grid:
:math:`u = \mathcal{F}^{-1}[c_k \mathcal{F}w]` with :math:`c_k = (N^d\lambda_k/L^d)^{1/2}`, which
gives exactly that covariance; :math:`c_k` depends on :math:`|k|` only, so u is real.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from pdes._checks import integer, positive


def grf_eigenvalues(
    n: int, dim: int, *, alpha: float, tau: float, sigma: float, length: float = 1.0
) -> np.ndarray:
    r""":math:`\lambda_k` on the ``n``-per-axis FFT grid (numpy, shape ``(n,) * dim``)."""
    frequencies = np.fft.fftfreq(n, d=1.0 / n)  # integer wavenumbers in FFT order
    grids = np.meshgrid(*([frequencies] * dim), indexing="ij")
    squared = sum(g**2 for g in grids) * (2 * np.pi / length) ** 2
    return sigma**2 * (squared + tau**2) ** (-alpha)


def periodic_grf(
    key: jax.Array,
    n: int,
    *,
    dim: int = 1,
    samples: int = 1,
    alpha: float = 2.0,
    tau: float = 5.0,
    sigma: float = 25.0,
    length: float = 1.0,
    mean_zero: bool = True,
    dtype=jnp.float32,
) -> Float[Array, "..."]:
    r"""``samples`` fields :math:`\mathcal{N}(0, \sigma^2(-\Delta + \tau^2 I)^{-\alpha})` on
    ``n`` points per axis of :math:`[0, L)^d` (grid :math:`x_j = jL/n`).

    ``mean_zero`` drops the constant mode, as FNO's generator does. Deterministic in ``key``.

    Example:
        >>> import jax
        >>> u = periodic_grf(jax.random.key(0), 64, samples=3)
        >>> u.shape
        (3, 64)
    """
    integer("periodic_grf", 2, n=n)
    integer("periodic_grf", 1, dim=dim, samples=samples)
    positive("periodic_grf", alpha=alpha, tau=tau, sigma=sigma, length=length)
    if alpha <= dim / 2:
        # sum_k lambda_k diverges: the field would have no pointwise variance as n grows
        raise ValueError(f"periodic_grf: alpha must exceed dim/2 = {dim / 2}, got {alpha}")
    eigen = grf_eigenvalues(n, dim, alpha=alpha, tau=tau, sigma=sigma, length=length)
    scale = np.sqrt(n**dim * eigen / length**dim)
    if mean_zero:
        scale.flat[0] = 0.0
    axes = tuple(range(1, dim + 1))
    noise = jax.random.normal(key, (samples,) + (n,) * dim, dtype)
    colour = jnp.asarray(scale[None], dtype)  # explicit batch axis
    coloured = jnp.fft.ifftn(jnp.fft.fftn(noise, axes=axes) * colour, axes=axes)
    return coloured.real.astype(dtype)
