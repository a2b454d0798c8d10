r"""Allen–Cahn, KdV and Burgers as ``(linear, nonlinear)`` pairs for the 1-D periodic solvers.

:func:`pdes.solvers.etdrk4` and :func:`pdes.solvers.method_of_lines` solve
:math:`u_t = \mathcal{L}u + \mathcal{N}(u)` from ``linear(k) -> L(k)`` (the Fourier symbol) and
``nonlinear(u, k) -> rfft(N(u))``. Coefficients carry the names of :mod:`physics.residuals`.

>>> import jax.numpy as jnp
>>> from pdes.solvers import etdrk4
>>> x = jnp.linspace(-1, 1, 64, endpoint=False)
>>> linear, nonlinear = kdv_terms(advection=1.0, dispersion=0.022**2)
>>> etdrk4(jnp.cos(jnp.pi * x), length=2.0, linear=linear, nonlinear=nonlinear, dt=1e-4,
...        save_every=100, n_saves=2).shape
(3, 64)
"""

from collections.abc import Callable

import jax.numpy as jnp
from jaxtyping import Array, Complex, Float

from physics import spectral

Linear = Callable[[Float[Array, " m"]], Array]
Nonlinear = Callable[[Float[Array, " n"], Float[Array, " m"]], Complex[Array, " m"]]


def _conservative_advection(u: Array, k: Array, dealias: bool) -> Array:
    r""":math:`-\tfrac12 \widehat{(u^2)_x}`, optionally 2/3-dealiased."""
    n = u.shape[0]
    term = -0.5 * spectral.derivative_factor(k, n, 1) * jnp.fft.rfft(u**2)
    return jnp.where(spectral.dealias_mask((n,)), term, 0.0) if dealias else term


def allen_cahn_terms(*, diffusivity: float, reaction: float) -> tuple[Linear, Nonlinear]:
    r"""Allen–Cahn :math:`u_t = \epsilon u_{xx} + \rho(u - u^3)`.

    :math:`L(k) = \rho - \epsilon k^2` and :math:`\mathcal{N}(u) = -\rho u^3` (a cubic is not
    covered by the 2/3 rule, so it is not dealiased, as in chebfun's ``spin``).
    """
    return (
        lambda k: reaction - diffusivity * k**2,
        lambda u, k: -reaction * jnp.fft.rfft(u**3),
    )


def kdv_terms(
    *, advection: float, dispersion: float, dealias: bool = True
) -> tuple[Linear, Nonlinear]:
    r"""KdV :math:`u_t + \alpha u u_x + \beta u_{xxx} = 0`.

    :math:`L(k) = i\beta k^3` (dispersion, integrated exactly) and
    :math:`\hat{\mathcal{N}} = -\tfrac{\alpha}{2} i k\, \widehat{u^2}`.
    """
    return (
        lambda k: 1j * dispersion * k**3,
        lambda u, k: advection * _conservative_advection(u, k, dealias),
    )


def burgers_terms(*, viscosity: float, dealias: bool = True) -> tuple[Linear, Nonlinear]:
    r"""Viscous Burgers :math:`u_t + u u_x = \nu u_{xx}`.

    :math:`L(k) = -\nu k^2` and :math:`\hat{\mathcal{N}} = -\tfrac12 i k\, \widehat{u^2}`.
    """
    return (lambda k: -viscosity * k**2, lambda u, k: _conservative_advection(u, k, dealias))
