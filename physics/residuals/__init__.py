r"""PDE residuals, one definition per equation, coefficients as arguments.

Each residual accepts either a function of one point and returns the pointwise residual
``z -> r(z)`` (autodiff; batch with ``jax.vmap``, or with ``r.on_points(points)``, one Taylor-mode
pass for the whole batch), or a :class:`Grid` and returns the residual on every node (finite
differences or FFTs):

>>> import jax, jax.numpy as jnp
>>> from physics import residuals
>>> exact = lambda z: jnp.exp(-jnp.pi**2 * z[0]) * jnp.sin(jnp.pi * z[1])
>>> r = residuals.heat(exact, diffusivity=1.0)
>>> float(jnp.max(jnp.abs(jax.vmap(r)(jnp.ones((8, 2)) * 0.3)))) < 1e-5
True
>>> float(jnp.max(jnp.abs(r.on_points(jnp.ones((8, 2)) * 0.3)))) < 1e-5
True

Points are ``(t, x...)`` for time-dependent equations and ``(x...)`` otherwise.
"""

from physics.residuals._advection import advection
from physics.residuals._allen_cahn import allen_cahn
from physics.residuals._antiderivative import antiderivative
from physics.residuals._burgers import burgers
from physics.residuals._darcy import darcy
from physics.residuals._field import Field, PointField
from physics.residuals._grid import Grid
from physics.residuals._heat import heat
from physics.residuals._kdv import kdv
from physics.residuals._navier_stokes import navier_stokes_vorticity, vorticity_streamfunction
from physics.residuals._poisson import poisson
from physics.residuals._quadratic_reaction_diffusion import quadratic_reaction_diffusion
from physics.residuals._reaction_diffusion import reaction_diffusion
from physics.residuals._residual import residual
from physics.residuals._wave import wave

__all__ = [
    "Field",
    "Grid",
    "PointField",
    "advection",
    "allen_cahn",
    "antiderivative",
    "burgers",
    "darcy",
    "heat",
    "kdv",
    "navier_stokes_vorticity",
    "poisson",
    "quadratic_reaction_diffusion",
    "reaction_diffusion",
    "residual",
    "vorticity_streamfunction",
    "wave",
]
