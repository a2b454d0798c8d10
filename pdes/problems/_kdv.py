from dataclasses import dataclass

import jax.numpy as jnp

from pdes._conditions import Periodic
from pdes._domain import Domain
from pdes._problem import Problem
from pdes._registry import register
from pdes.problems._checks import axes_from, grid_sizes, positive
from pdes.problems._periodic_spectral import check_time_grid, etdrk4_reference
from pdes.solvers import kdv_terms
from physics import residuals


@register
@dataclass(frozen=True)
class KdV(Problem):
    r"""Korteweg–de Vries :math:`u_t + \alpha u u_x + \beta u_{xxx} = 0`, periodic in :math:`x`.

    Domain :math:`x \in [-1, 1]`, :math:`t \in [0, 1]`.

    JAX-PI / Zabusky–Kruskal: :math:`\alpha = 1`, :math:`\beta = 0.022^2`,
    :math:`u_0 = \cos\pi x`. Reference: ETDRK4 (dispersion in the linear part, 2/3 dealiasing)
    with :math:`\Delta t = 10^{-5}` on 512 modes in float64, 201 x 513 grid.
    """

    name = "kdv"
    variables = ("t", "x")
    advection: float = 1.0
    dispersion: float = 0.022**2
    nt: int = 201
    n_modes: int = 512
    dt: float = 1e-5

    def __post_init__(self):
        positive(self.name, advection=self.advection, dispersion=self.dispersion, dt=self.dt)
        grid_sizes(self.name, nt=self.nt, n_modes=self.n_modes)
        check_time_grid(self.name, 1.0, self.nt, self.dt)

    @property
    def domain(self) -> Domain:
        return Domain(space=((-1.0, 1.0),), time=(0.0, 1.0))

    @property
    def boundary(self):
        return (Periodic(),)

    @property
    def initial(self):
        return (lambda x: jnp.cos(jnp.pi * x[0]),)

    def residual(self, u):
        return residuals.kdv(u, advection=self.advection, dispersion=self.dispersion)

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.n_modes + 1))

    def spectral_terms(self):
        """The ``(linear, nonlinear)`` pair of :func:`pdes.solvers.etdrk4` for this equation."""
        return kdv_terms(alpha=self.advection, beta=self.dispersion)

    def solve_reference(self):
        return etdrk4_reference(
            self,
            self.initial[0],
            self.spectral_terms(),
            x_bounds=self.domain.space[0],
            t_final=1.0,
            nt=self.nt,
            n_modes=self.n_modes,
            dt=self.dt,
        )
