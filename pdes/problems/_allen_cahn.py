from dataclasses import dataclass

import jax.numpy as jnp

from pdes._conditions import Periodic
from pdes._domain import Domain
from pdes._problem import Problem
from pdes._registry import register
from pdes.problems._checks import axes_from, grid_sizes, positive
from pdes.problems._periodic_spectral import check_time_grid, etdrk4_reference
from pdes.solvers import allen_cahn_terms
from physics import residuals


@register
@dataclass(frozen=True)
class AllenCahn(Problem):
    r"""Allen–Cahn :math:`u_t = \epsilon u_{xx} - \rho(u^3 - u)`, periodic in :math:`x \in [-1, 1]`.

    Time :math:`t \in [0, 1]`.

    JAX-PI's benchmark: :math:`\epsilon = 10^{-4}`, :math:`\rho = 5`,
    :math:`u_0 = x^2\cos\pi x` (continuous but with a derivative jump at the periodic wrap).
    Reference: ETDRK4 with :math:`\Delta t = 10^{-5}` on 512 modes in float64, 201 x 513 grid,
    like JAX-PI's chebfun ``spin`` data.
    """

    name = "allen_cahn"
    variables = ("t", "x")
    diffusivity: float = 1e-4
    reaction: float = 5.0
    nt: int = 201
    n_modes: int = 512
    dt: float = 1e-5

    def __post_init__(self):
        positive(self.name, diffusivity=self.diffusivity, reaction=self.reaction, dt=self.dt)
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
        return (lambda x: x[0] ** 2 * jnp.cos(jnp.pi * x[0]),)

    def residual(self, u):
        return residuals.allen_cahn(u, diffusivity=self.diffusivity, reaction=self.reaction)

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.n_modes + 1))

    def spectral_terms(self):
        """The ``(linear, nonlinear)`` pair of :func:`pdes.solvers.etdrk4` for this equation."""
        return allen_cahn_terms(eps=self.diffusivity, rho=self.reaction)

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
