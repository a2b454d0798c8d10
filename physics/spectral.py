r"""Spectral (FFT) operators for periodic fields on uniform grids.

A periodic axis of length ``L`` holds ``n`` points :math:`x_j = x_0 + jL/n` (endpoint excluded).
Derivatives multiply Fourier coefficients by :math:`(i k)^n` with :math:`k = 2\pi m / L`; for odd
orders on even grids the Nyquist mode is zeroed, since its derivative is not real (Trefethen,
*Spectral Methods in MATLAB*, ch. 3). Fields are channel-last: the leading ``len(lengths)`` axes
are space.

>>> import jax.numpy as jnp
>>> from physics import spectral
>>> x = jnp.linspace(0, 2 * jnp.pi, 32, endpoint=False)
>>> bool(jnp.allclose(spectral.diff(jnp.sin(x), 2 * jnp.pi), jnp.cos(x), atol=1e-5))
True
"""

from collections.abc import Sequence

import jax.numpy as jnp

from physics._types import Array, ArrayLike


def wavenumbers(n: int, length: float, *, real: bool = False) -> Array:
    r"""Angular wavenumbers :math:`2\pi m / L` in FFT order (``rfft`` order if ``real``)."""
    freqs = jnp.fft.rfftfreq(n, 1.0 / n) if real else jnp.fft.fftfreq(n, 1.0 / n)
    return 2 * jnp.pi * freqs / length


def _check(u: Array, lengths: Sequence[float]) -> tuple[float, ...]:
    lengths = tuple(lengths)
    if not lengths or u.ndim < len(lengths):
        raise ValueError(
            f"a field of shape {u.shape} cannot have {len(lengths)} periodic spatial axes"
        )
    return lengths


def _broadcast_axis(k: Array, axis: int, ndim: int) -> Array:
    shape = [1] * ndim
    shape[axis] = k.shape[0]
    return k.reshape(shape)


def diff(u: ArrayLike, length: float, axis: int = 0, order: int = 1) -> Array:
    r""":math:`\partial^n u / \partial x_{axis}^n` of a real periodic field, any ``n >= 0``."""
    u = jnp.asarray(u)
    if not -u.ndim <= axis < u.ndim:
        raise ValueError(f"axis {axis} is out of range for a field with {u.ndim} axes")
    if not isinstance(order, int) or order < 0:
        raise ValueError(f"derivative order must be a non-negative integer, got {order!r}")
    axis %= u.ndim
    n = u.shape[axis]
    k = wavenumbers(n, length, real=True)
    factor = (1j * k) ** order
    if order % 2 == 1 and n % 2 == 0:
        factor = factor.at[-1].set(0.0)
    u_hat = jnp.fft.rfft(u, axis=axis)
    return jnp.fft.irfft(u_hat * _broadcast_axis(factor, axis, u.ndim), n=n, axis=axis)


def _k_squared(shape: tuple[int, ...], lengths: tuple[float, ...], ndim: int) -> Array:
    """:math:`|k|^2` on the ``rfftn`` grid of the leading spatial axes, broadcast to ``ndim``."""
    total = 0.0
    last = len(lengths) - 1
    for i, (n, length) in enumerate(zip(shape, lengths, strict=True)):
        k = wavenumbers(n, length, real=i == last)
        total = total + _broadcast_axis(k, i, ndim) ** 2
    return total


def laplacian(u: ArrayLike, lengths: Sequence[float]) -> Array:
    r""":math:`\Delta u` over the leading ``len(lengths)`` periodic axes."""
    u = jnp.asarray(u)
    lengths = _check(u, lengths)
    axes = tuple(range(len(lengths)))
    k2 = _k_squared(u.shape[: len(lengths)], lengths, u.ndim)
    return jnp.fft.irfftn(-k2 * jnp.fft.rfftn(u, axes=axes), s=u.shape[: len(lengths)], axes=axes)


def inverse_laplacian(f: ArrayLike, lengths: Sequence[float]) -> Array:
    r"""The zero-mean solution :math:`\psi` of :math:`\Delta\psi = f` on a periodic box.

    The mean of ``f`` is discarded (the periodic problem is solvable only for zero-mean ``f``).
    """
    f = jnp.asarray(f)
    lengths = _check(f, lengths)
    axes = tuple(range(len(lengths)))
    k2 = _k_squared(f.shape[: len(lengths)], lengths, f.ndim)
    inverse = jnp.where(k2 == 0, 0.0, -1.0 / jnp.where(k2 == 0, 1.0, k2))
    return jnp.fft.irfftn(
        inverse * jnp.fft.rfftn(f, axes=axes), s=f.shape[: len(lengths)], axes=axes
    )


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
    u = jnp.asarray(u)
    ndim = u.ndim if ndim is None else ndim
    if not 1 <= ndim <= u.ndim:
        raise ValueError(f"ndim must be between 1 and {u.ndim}, got {ndim}")
    axes = tuple(range(ndim))
    mask = dealias_mask(u.shape[:ndim]).reshape(
        tuple(u.shape[: ndim - 1]) + (u.shape[ndim - 1] // 2 + 1,) + (1,) * (u.ndim - ndim)
    )
    return jnp.fft.irfftn(mask * jnp.fft.rfftn(u, axes=axes), s=u.shape[:ndim], axes=axes)
