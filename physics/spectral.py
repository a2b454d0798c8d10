r"""Spectral (FFT) operators for periodic fields on uniform grids.

A periodic axis holds ``n`` points :math:`x_j = x_0 + j h` (endpoint excluded, period
:math:`L = n h`); like :mod:`physics.fd`, operators take the grid step ``spacing``. Derivatives
multiply Fourier coefficients by :math:`(i k)^n` with :math:`k = 2\pi m / L`; for odd orders on
even grids the Nyquist mode is zeroed, since its derivative is not real (Trefethen, *Spectral
Methods in MATLAB*, ch. 3). Fields are channel-last: the leading ``len(spacing)`` axes are space.
Results keep the field's dtype.

>>> import jax.numpy as jnp
>>> from physics import spectral
>>> x = jnp.linspace(0, 2 * jnp.pi, 32, endpoint=False)
>>> bool(jnp.allclose(spectral.diff(jnp.sin(x), x[1] - x[0]), jnp.cos(x), atol=1e-5))
True
"""

from collections.abc import Sequence

import jax.numpy as jnp

from physics._checks import axis_index, positive_int, positive_spacing
from physics._types import Array, ArrayLike


def _as_field(u: ArrayLike) -> Array:
    u = jnp.asarray(u)
    return u if jnp.issubdtype(u.dtype, jnp.inexact) else u.astype(jnp.result_type(float))


def wavenumbers(n: int, spacing: float, *, real: bool = False, dtype=None) -> Array:
    r"""Angular wavenumbers :math:`2\pi m / (n h)` in FFT order (``rfft`` order if ``real``)."""
    positive_spacing(spacing)
    freqs = jnp.fft.rfftfreq(n) if real else jnp.fft.fftfreq(n)  # cycles per sample
    k = 2 * jnp.pi * freqs / spacing
    return k if dtype is None else k.astype(dtype)


def derivative_factor(k: Array, n: int, order: int) -> Array:
    r""":math:`(ik)^{order}` for ``rfft`` wavenumbers ``k`` of an ``n``-point grid.

    For odd orders on even ``n`` the Nyquist mode is zeroed: its derivative is not real.
    """
    symbol = (1j * k) ** order
    if order % 2 == 1 and n % 2 == 0:
        symbol = symbol.at[-1].set(0.0)
    return symbol


def derivative_symbol(n: int, spacing: float, order: int, *, dtype=None) -> Array:
    r""":math:`(ik)^{order}` on the ``rfft`` grid of ``n`` points with step ``spacing``."""
    return derivative_factor(wavenumbers(n, spacing, real=True, dtype=dtype), n, order)


def _check(u: Array, spacing: Sequence[float]) -> tuple[float, ...]:
    spacing = tuple(spacing)
    if not spacing or u.ndim < len(spacing):
        raise ValueError(
            f"a field of shape {u.shape} cannot have {len(spacing)} periodic spatial axes"
        )
    for h in spacing:
        positive_spacing(h)
    return spacing


def _broadcast_axis(k: Array, axis: int, ndim: int) -> Array:
    shape = [1] * ndim
    shape[axis] = k.shape[0]
    return k.reshape(shape)


def diff(u: ArrayLike, spacing: float, axis: int = 0, *, order: int = 1) -> Array:
    r""":math:`\partial^n u / \partial x_{axis}^n` of a real periodic field, any ``n >= 0``."""
    u = _as_field(u)
    axis = axis_index(axis, u.ndim)
    order = positive_int("derivative order", order, minimum=0)
    n = u.shape[axis]
    symbol = derivative_symbol(n, spacing, order, dtype=u.dtype)
    u_hat = jnp.fft.rfft(u, axis=axis)
    return jnp.fft.irfft(u_hat * _broadcast_axis(symbol, axis, u.ndim), n=n, axis=axis)


def _k_squared(shape: tuple[int, ...], spacing: tuple[float, ...], ndim: int, dtype) -> Array:
    """:math:`|k|^2` on the ``rfftn`` grid of the leading spatial axes, broadcast to ``ndim``."""
    total = 0.0
    last = len(spacing) - 1
    for i, (n, h) in enumerate(zip(shape, spacing, strict=True)):
        k = wavenumbers(n, h, real=i == last, dtype=dtype)
        total = total + _broadcast_axis(k, i, ndim) ** 2
    return total


def laplacian(u: ArrayLike, spacing: Sequence[float]) -> Array:
    r""":math:`\Delta u` over the leading ``len(spacing)`` periodic axes."""
    u = _as_field(u)
    spacing = _check(u, spacing)
    axes = tuple(range(len(spacing)))
    k2 = _k_squared(u.shape[: len(spacing)], spacing, u.ndim, u.dtype)
    return jnp.fft.irfftn(-k2 * jnp.fft.rfftn(u, axes=axes), s=u.shape[: len(spacing)], axes=axes)


def inverse_laplacian(f: ArrayLike, spacing: Sequence[float]) -> Array:
    r"""The zero-mean solution :math:`\psi` of :math:`\Delta\psi = f` on a periodic box.

    The mean of ``f`` is discarded (the periodic problem is solvable only for zero-mean ``f``).
    """
    f = _as_field(f)
    spacing = _check(f, spacing)
    axes = tuple(range(len(spacing)))
    k2 = _k_squared(f.shape[: len(spacing)], spacing, f.ndim, f.dtype)
    inverse = jnp.where(k2 == 0, 0.0, -1.0 / jnp.where(k2 == 0, 1.0, k2))
    shape = f.shape[: len(spacing)]
    return jnp.fft.irfftn(inverse * jnp.fft.rfftn(f, axes=axes), s=shape, axes=axes)


def dealias_mask(shape: Sequence[int]) -> Array:
    r"""2/3-rule mask on the ``rfftn`` grid of a real field of spatial ``shape``.

    Keeps modes with :math:`|m_i| < n_i / 3` on every axis, so products of two kept modes alias
    only onto discarded ones (Orszag 1971).
    """
    shape = tuple(shape)
    mask = True
    for i, n in enumerate(shape):
        m = jnp.fft.rfftfreq(n, 1.0 / n) if i == len(shape) - 1 else jnp.fft.fftfreq(n, 1.0 / n)
        mask = mask & _broadcast_axis(jnp.abs(m) < n / 3, i, len(shape))
    return mask


def dealias(u: ArrayLike, ndim: int | None = None) -> Array:
    """Zero the upper third of the spectrum of ``u`` over its leading ``ndim`` axes (or all)."""
    u = _as_field(u)
    ndim = u.ndim if ndim is None else ndim
    if not 1 <= ndim <= u.ndim:
        raise ValueError(f"ndim must be between 1 and {u.ndim}, got {ndim}")
    axes = tuple(range(ndim))
    mask = dealias_mask(u.shape[:ndim]).reshape(
        tuple(u.shape[: ndim - 1]) + (u.shape[ndim - 1] // 2 + 1,) + (1,) * (u.ndim - ndim)
    )
    return jnp.fft.irfftn(mask * jnp.fft.rfftn(u, axes=axes), s=u.shape[:ndim], axes=axes)
