from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes._conditions import Dirichlet
from pdes._domain import Domain
from pdes._registry import register
from pdes.problems._checks import axes_from
from pdes.problems._exact import ExactProblem
from pdes.solvers import burgers_cole_hopf
from physics import residuals


@register
@dataclass(frozen=True)
class Burgers(ExactProblem):
    r"""Viscous Burgers :math:`u_t + u u_x = \nu u_{xx}` on :math:`[0, 1] \times [-1, 1]`.

    :math:`u_0 = -\sin\pi x`, u = 0 at x = ±1 (the solution is also 2-periodic), default
    :math:`\nu = 0.01/\pi` (Raissi et al. 2019). The exact solution is the Cole–Hopf integral,
    evaluated pointwise by quadrature (:func:`pdes.solvers.burgers_cole_hopf`), so any point can
    be scored; the reference grid is 201 x 513 as in JAX-PI (512 intervals, endpoints included).
    """

    name = "burgers"
    viscosity: float = 0.01 / np.pi
    nt: int = 201
    nx: int = 513

    def __post_init__(self):
        positive(self.name, viscosity=self.viscosity)
        integer(self.name, 2, nt=self.nt, nx=self.nx)

    @property
    def domain(self) -> Domain:
        return Domain(space=((-1.0, 1.0),), time=(0.0, 1.0))

    @property
    def boundary(self):
        return (Dirichlet(),)

    @property
    def initial(self):
        return (lambda x: -jnp.sin(jnp.pi * x[0]),)

    def residual(self, u):
        return residuals.burgers(u, viscosity=self.viscosity)

    @property
    def exact(self):
        return lambda z: burgers_cole_hopf(z[0], z[1], viscosity=self.viscosity)

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.nx))
