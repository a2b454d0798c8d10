from dataclasses import dataclass

import jax.numpy as jnp

from pdes._checks import integer
from pdes._conditions import Dirichlet
from pdes._domain import Domain
from pdes._registry import register
from pdes.problems._checks import axes_from
from pdes.problems._exact import ExactProblem
from physics import residuals

_ZERO = Dirichlet()


@register
@dataclass(frozen=True)
class Poisson(ExactProblem):
    r"""Poisson :math:`-\Delta u = f` on :math:`[0,1]^2`, u = 0 on the boundary (manufactured).

    :math:`u = \sin(a\pi x)\sin(b\pi y)`, :math:`f = (a^2 + b^2)\pi^2 u`, with integer
    frequencies ``(a, b)``.
    """

    name = "poisson"
    frequency: tuple[int, int] = (1, 2)
    n: int = 101

    def __post_init__(self):
        # integer frequencies keep u = 0 on the boundary; a tuple keeps the problem hashable
        frequency = self.frequency
        if not (isinstance(frequency, tuple) and len(frequency) == 2):
            raise ValueError(f"poisson: frequency must be a tuple (a, b), got {frequency!r}")
        integer(self.name, 1, frequency_x=frequency[0], frequency_y=frequency[1])
        integer(self.name, 2, n=self.n)

    @property
    def domain(self) -> Domain:
        return Domain(space=((0.0, 1.0), (0.0, 1.0)))

    @property
    def boundary(self):
        return (_ZERO, _ZERO)

    @property
    def initial(self):
        return ()

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
