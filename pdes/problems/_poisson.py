from dataclasses import dataclass

import jax.numpy as jnp

from pdes._conditions import Dirichlet
from pdes._domain import Domain
from pdes._problem import Problem
from pdes._registry import register
from pdes.problems._checks import axes_from, grid_sizes, positive
from physics import residuals

_ZERO = Dirichlet(lambda z: jnp.zeros((), z.dtype))


@register
@dataclass(frozen=True)
class Poisson(Problem):
    r"""Poisson :math:`-\Delta u = f` on :math:`[0,1]^2`, u = 0 on the boundary (manufactured).

    :math:`u = \sin(a\pi x)\sin(b\pi y)`, :math:`f = (a^2 + b^2)\pi^2 u`, with integer
    frequencies ``(a, b)``.
    """

    name = "poisson"
    variables = ("x", "y")
    frequency: tuple[int, int] = (1, 2)
    n: int = 101

    def __post_init__(self):
        a, b = self.frequency
        positive(self.name, frequency_x=a, frequency_y=b)
        grid_sizes(self.name, n=self.n)

    @property
    def domain(self) -> Domain:
        return Domain(space=((0.0, 1.0), (0.0, 1.0)))

    @property
    def boundary(self):
        return (_ZERO, _ZERO)

    @property
    def exact(self):
        a, b = self.frequency
        return lambda z: jnp.sin(a * jnp.pi * z[0]) * jnp.sin(b * jnp.pi * z[1])

    def source(self, z):
        """:math:`f(z)`."""
        a, b = self.frequency
        return (a**2 + b**2) * jnp.pi**2 * self.exact(z)

    def residual(self, u):
        return residuals.poisson(u, source=self.source)

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.n, self.n))
