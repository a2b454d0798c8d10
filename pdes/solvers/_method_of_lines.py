r"""Method of lines with diffrax: an adaptive, independent check of the ETDRK4 references.

A 1-D periodic problem :math:`u_t = \mathcal{L}u + \mathcal{N}(u)` becomes an ODE system for the
Fourier coefficients. Dispersive linear parts (imaginary symbols, e.g. KdV's :math:`i\beta k^3`)
are removed by the integrating factor :math:`v = e^{-\mathcal{L}t}\hat u`, which has modulus one,
so the remaining system

.. math::
    v_t = e^{-\mathcal{L}t}\,
          \widehat{\mathcal{N}}\big(\mathcal{F}^{-1}[e^{\mathcal{L}t} v]\big)

is non-stiff and an explicit adaptive Runge–Kutta pair (diffrax ``Tsit5`` with a PID step-size
controller) integrates it to a requested tolerance. Real (diffusive) symbols would make the
factor grow like :math:`e^{|\mathcal{L}|t}`, so they are integrated directly, which is fine while
:math:`\max|\mathcal{L}|` is moderate (Allen–Cahn: 65 on 512 modes). By default the factor is
used exactly when ``linear`` returns a complex symbol.

The complex coefficients are carried as a real array ``[2, m]`` (real and imaginary parts).
"""

from collections.abc import Callable

import diffrax
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from physics import spectral


def _pack(c: Array) -> Array:
    return jnp.stack([c.real, c.imag])


def _unpack(y: Array) -> Array:
    return y[0] + 1j * y[1]


def method_of_lines(
    u0: Float[ArrayLike, " n"],
    t_save: Float[ArrayLike, " s"],
    *,
    length: float,
    linear: Callable[[Array], Array],
    nonlinear: Callable[[Array, Array], Array],
    integrating_factor: bool | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    max_steps: int = 1_000_000,
    solver: diffrax.AbstractSolver | None = None,
) -> Float[Array, "s n"]:
    r"""Solve :math:`u_t = \mathcal{L}u + \mathcal{N}(u)` on a periodic grid with diffrax.

    Args:
        u0: initial field on ``n`` equispaced points of one period (endpoint excluded).
        t_save: increasing output times, starting at the initial time.
        length: the period.
        linear, nonlinear: the same ``(linear, nonlinear)`` pair as :func:`etdrk4` takes.
        integrating_factor: integrate :math:`v = e^{-\mathcal{L}t}\hat u` instead of
            :math:`\hat u`; default: when the symbol is complex.
        rtol, atol: tolerances of the PID step-size controller.
        max_steps: step budget of the solve.
        solver: a diffrax solver (default ``Tsit5``).

    Returns:
        The field at every ``t_save``, shape ``[s, n]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> x = jnp.linspace(0, 2 * jnp.pi, 32, endpoint=False)
        >>> u = method_of_lines(jnp.sin(x), jnp.array([0.0, 1.0]), length=2 * jnp.pi,
        ...                     linear=lambda k: 1j * k**3, nonlinear=lambda u, k: 0j * k,
        ...                     rtol=1e-8, atol=1e-8)   # u_t = -u_xxx: a travelling wave
        >>> bool(jnp.allclose(u[1], jnp.sin(x + 1.0), atol=1e-5))
        True
    """
    u0 = jnp.asarray(u0)
    t_save = jnp.asarray(t_save, u0.dtype)
    if u0.ndim != 1 or t_save.ndim != 1 or t_save.shape[0] < 1:
        raise ValueError(
            f"u0 must be 1-D and t_save a non-empty 1-D array, got {u0.shape} and {t_save.shape}"
        )
    n = u0.shape[0]
    k = spectral.wavenumbers(n, length / n, real=True, dtype=u0.dtype)
    symbol = jnp.asarray(linear(k))
    if integrating_factor is None:
        integrating_factor = jnp.iscomplexobj(symbol)
    symbol = symbol + 0j
    t0 = t_save[0]

    def field(t, y):
        u_hat = _unpack(y)
        return u_hat * jnp.exp(symbol * (t - t0)) if integrating_factor else u_hat

    def rhs(t, y, _):
        u_hat = field(t, y)
        n_hat = nonlinear(jnp.fft.irfft(u_hat, n=n), k)
        if integrating_factor:
            return _pack(jnp.exp(-symbol * (t - t0)) * n_hat)
        return _pack(symbol * u_hat + n_hat)

    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(rhs),
        solver or diffrax.Tsit5(),
        t0=t0,
        t1=t_save[-1],
        dt0=None,
        y0=_pack(jnp.fft.rfft(u0)),
        saveat=diffrax.SaveAt(ts=t_save),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=max_steps,
    )
    coefficients = jax.vmap(field)(t_save, solution.ys)  # undo the integrating factor
    return jnp.fft.irfft(coefficients, n=n, axis=-1)
