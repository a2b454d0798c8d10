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

:func:`neumann_grf` is the same operator with homogeneous Neumann conditions on
:math:`[0, 1]^d`, FNO's Darcy coefficient field: cosine modes through an orthonormal inverse
DCT-II (MATLAB's ``idct2``). :func:`rbf_grf` samples the squared-exponential kernel of the
DeepONet papers on given points.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from pdes._checks import integer, positive


def grf_eigenvalues(
    n: int, dim: int, *, alpha: float, tau: float, sigma: float, length: float = 1.0
) -> np.ndarray:
    r""":math:`\lambda_k` on the ``n``-per-axis FFT grid (numpy, shape ``(n,) * dim``)."""
    frequencies = np.fft.fftfreq(n, d=1.0 / n)  # integer wavenumbers in FFT order
    grids = np.meshgrid(*([frequencies] * dim), indexing="ij")
    squared = sum(g**2 for g in grids) * (2 * np.pi / length) ** 2
    return sigma**2 * (squared + tau**2) ** (-alpha)


def _check_spectrum(owner: str, n, dim, samples, alpha, **positives) -> None:
    integer(owner, 2, n=n)
    integer(owner, 1, dim=dim, samples=samples)
    positive(owner, alpha=alpha, **positives)
    if alpha <= dim / 2:
        # sum_k lambda_k diverges: the field would have no pointwise variance as n grows
        raise ValueError(f"{owner}: alpha must exceed dim/2 = {dim / 2}, got {alpha}")


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
    _check_spectrum("periodic_grf", n, dim, samples, alpha, tau=tau, sigma=sigma, length=length)
    eigen = grf_eigenvalues(n, dim, alpha=alpha, tau=tau, sigma=sigma, length=length)
    scale = np.sqrt(n**dim * eigen / length**dim)
    if mean_zero:
        scale.flat[0] = 0.0
    axes = tuple(range(1, dim + 1))
    noise = jax.random.normal(key, (samples,) + (n,) * dim, dtype)
    colour = jnp.asarray(scale[None], dtype)  # explicit batch axis
    coloured = jnp.fft.ifftn(jnp.fft.fftn(noise, axes=axes) * colour, axes=axes)
    return coloured.real.astype(dtype)


def neumann_grf(
    key: jax.Array,
    n: int,
    *,
    dim: int = 2,
    samples: int = 1,
    alpha: float = 2.0,
    tau: float = 3.0,
    sigma: float | None = None,
    dtype=jnp.float32,
) -> Float[Array, "..."]:
    r"""``samples`` fields :math:`\mathcal{N}(0, \sigma^2(-\Delta_N + \tau^2 I)^{-\alpha})` on the
    ``n``-per-axis cell-centred grid :math:`x_j = (j + \tfrac12)/n` of :math:`[0, 1]^d`, with
    homogeneous Neumann conditions (FNO's Darcy generator: :math:`\alpha = 2`, :math:`\tau = 3`).

    The eigenpairs of :math:`-\Delta_N` are :math:`\pi^2|k|^2` and the cosines
    :math:`\psi_k(x) = \prod_i c_{k_i}\cos(\pi k_i x_i)` (:math:`c_0 = 1`, else :math:`\sqrt2`);
    on the grid, :math:`\psi_k(x_j) = n^{d/2}\phi_k(j)` with :math:`\phi_k` the orthonormal DCT-II
    vectors. So the field is
    :math:`u = \mathrm{IDCT}\big[n^{d/2}\sigma(\pi^2|k|^2 + \tau^2)^{-\alpha/2}\xi_k\big]` with
    :math:`\xi_k` standard normal and the constant mode dropped, exactly FNO's ``GRF.m`` for
    ``sigma=None``, which means :math:`\sigma = \tau^{\alpha - d/2}`.

    Example:
        >>> import jax
        >>> neumann_grf(jax.random.key(0), 32, samples=2).shape
        (2, 32, 32)
    """
    sigma = tau ** (alpha - dim / 2) if sigma is None else sigma
    _check_spectrum("neumann_grf", n, dim, samples, alpha, tau=tau, sigma=sigma)
    k = np.arange(n)
    squared = sum(g**2 for g in np.meshgrid(*([k] * dim), indexing="ij")) * np.pi**2
    scale = n ** (dim / 2) * sigma * (squared + tau**2) ** (-alpha / 2)
    scale.flat[0] = 0.0
    noise = jax.random.normal(key, (samples,) + (n,) * dim, dtype)
    axes = tuple(range(1, dim + 1))
    coefficients = noise * jnp.asarray(scale[None], dtype)
    return jax.scipy.fft.idctn(coefficients, type=2, axes=axes, norm="ortho").astype(dtype)


def rbf_factor(
    points: Float[np.ndarray, " m"], *, length_scale: float = 0.2
) -> Float[np.ndarray, "m r"]:
    r"""A factor :math:`F` with :math:`FF^\top = K`, :math:`K_{ij} = e^{-(x_i - x_j)^2/2\ell^2}`.

    Computed once in float64 with NumPy from the eigendecomposition of :math:`K`, dropping the
    eigenvalues below :math:`10^{-13}\lambda_{\max}` (rounding noise: the kernel is numerically
    singular on fine grids, where the references add a jitter of 1e-13 or 1e-10 to the diagonal
    before a Cholesky factorisation; the distributions agree to that jitter).
    """
    positive("rbf_factor", length_scale=length_scale)
    x = np.asarray(points, np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"rbf_factor: points must be a 1-D array of >= 2 points, got {x.shape}")
    kernel = np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * length_scale**2))
    eigen, vectors = np.linalg.eigh(kernel)
    keep = eigen > 1e-13 * eigen[-1]
    return vectors[:, keep] * np.sqrt(eigen[keep])


def rbf_grf(
    key: jax.Array, factor: Float[ArrayLike, "m r"], *, samples: int = 1, dtype=jnp.float32
) -> Float[Array, "samples m"]:
    r"""``samples`` draws of :math:`\mathcal{N}(0, K)` as :math:`F\xi` for :math:`F` from
    :func:`rbf_factor` (the DeepONet antiderivative and diffusion–reaction inputs).

    Example:
        >>> import jax, numpy as np
        >>> factor = rbf_factor(np.linspace(0, 1, 100), length_scale=0.2)
        >>> rbf_grf(jax.random.key(0), factor, samples=4).shape
        (4, 100)
    """
    integer("rbf_grf", 1, samples=samples)
    factor = jnp.asarray(factor, dtype)
    noise = jax.random.normal(key, (samples, factor.shape[1]), dtype)
    return noise @ factor.T
