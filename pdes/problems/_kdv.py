from dataclasses import dataclass

import jax.numpy as jnp

from pdes._checks import positive
from pdes._registry import register
from pdes.problems._periodic_spectral import PeriodicSpectralProblem
from pdes.solvers import kdv_terms
from physics import residuals


@register
@dataclass(frozen=True)
class KdV(PeriodicSpectralProblem):
    r"""Korteweg–de Vries :math:`u_t + \alpha u u_x + \beta u_{xxx} = 0`, periodic in :math:`x`.

    Domain :math:`x \in [-1, 1]`, :math:`t \in [0, 1]`. JAX-PI / Zabusky–Kruskal:
    :math:`\alpha = 1`, :math:`\beta = 0.022^2`, :math:`u_0 = \cos\pi x`. Reference: ETDRK4
    (dispersion in the linear part, 2/3 dealiasing) with :math:`\Delta t = 10^{-5}` on 512 modes
    in float64, 201 x 513 grid.
    """

    name = "kdv"
    advection: float = 1.0
    dispersion: float = 0.022**2
    nt: int = 201
    nx: int = 513
    n_modes: int = 512
    dt: float = 1e-5

    def __post_init__(self):
        positive(self.name, advection=self.advection, dispersion=self.dispersion, dt=self.dt)
        self.check_grid()

    @property
    def initial(self):
        return (lambda x: jnp.cos(jnp.pi * x[0]),)

    def residual(self, u):
        return residuals.kdv(u, advection=self.advection, dispersion=self.dispersion)

    def spectral_terms(self):
        return kdv_terms(advection=self.advection, dispersion=self.dispersion)
