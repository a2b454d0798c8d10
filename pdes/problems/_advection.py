from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes._conditions import Periodic
from pdes._domain import Domain
from pdes._registry import register
from pdes.problems._checks import axes_from
from pdes.problems._exact import ExactProblem
from physics import residuals


@register
@dataclass(frozen=True)
class Advection(ExactProblem):
    r"""Periodic advection :math:`u_t + c u_x = 0`, :math:`(t, x) \in [0,1] \times [0, 2\pi]`.

    :math:`u_0 = \sin x`, exact :math:`u = \sin(x - ct)`. JAX-PI's README (rel. L2 6.88e-4)
    states c = 100; its scripts use 80 and 50, so c is a parameter with the README value.
    """

    name = "advection"
    velocity: float = 100.0
    nt: int = 201
    nx: int = 128

    def __post_init__(self):
        positive(self.name, velocity=self.velocity)
        integer(self.name, 2, nt=self.nt, nx=self.nx)

    @property
    def domain(self) -> Domain:
        return Domain(space=((0.0, 2 * np.pi),), time=(0.0, 1.0))

    @property
    def boundary(self):
        return (Periodic(),)

    @property
    def initial(self):
        return (lambda x: jnp.sin(x[0]),)

    def residual(self, u):
        return residuals.advection(u, velocity=self.velocity)

    @property
    def exact(self):
        return lambda z: jnp.sin(z[1] - self.velocity * z[0])

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.nx))
