r"""2-D incompressible Navier–Stokes in vorticity–streamfunction form."""

from collections.abc import Sequence

import jax.numpy as jnp

from physics import spectral
from physics._types import Array, ArrayLike, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def navier_stokes_vorticity(u: Field, *, viscosity: float, source: Coefficient = 0.0) -> Array:
    r"""Vorticity transport and the streamfunction Poisson equation at points ``(t, x, y)``.

    The field has two components :math:`(\omega, \psi)`, with velocity
    :math:`(v_x, v_y) = (\psi_y, -\psi_x)`, so :math:`\omega = v_{y,x} - v_{x,y} = -\Delta\psi`.
    Returns the stacked residuals

    .. math::
        r_1 = \omega_t + v_x \omega_x + v_y \omega_y - \nu \Delta\omega - f, \qquad
        r_2 = \Delta\psi + \omega .
    """
    u.require_ndim(3, "navier_stokes_vorticity", "(t, x, y)")
    omega, psi = u.component(0), u.component(1)
    vx, vy = psi.d(2), -psi.d(1)
    transport = (
        omega.d(0)
        + vx * omega.d(1)
        + vy * omega.d(2)
        - viscosity * omega.laplacian((1, 2))
        - omega.coefficient(source)
    )
    poisson = psi.laplacian((1, 2)) + omega.value()
    return jnp.stack([transport, poisson], axis=-1)


def vorticity_streamfunction(omega: ArrayLike, spacing: Sequence[float]) -> Array:
    r"""Stack a periodic vorticity trajectory ``omega[T, nx, ny]`` with its streamfunction.

    Solves :math:`\Delta\psi = -\omega` spectrally on each frame (``spacing`` = the two grid
    steps) and returns ``[T, nx, ny, 2]``, the channel-last grid field that
    :func:`navier_stokes_vorticity` expects.
    """
    omega = jnp.asarray(omega)
    if omega.ndim != 3:
        raise ValueError(f"expected a vorticity trajectory [T, nx, ny], got shape {omega.shape}")
    frames_last = jnp.moveaxis(omega, 0, -1)
    psi = jnp.moveaxis(spectral.inverse_laplacian(-frames_last, spacing), -1, 0)
    return jnp.stack([omega, psi], axis=-1)
