from dataclasses import dataclass

import jax.numpy as jnp

from pdes._checks import integer, positive
from pdes._conditions import Dirichlet
from pdes._domain import Domain
from pdes._registry import register
from pdes.problems._checks import axes_from
from pdes.problems._exact import ExactProblem
from physics import residuals

_ZERO = Dirichlet()


@register
@dataclass(frozen=True)
class Wave(ExactProblem):
    r"""Wave equation :math:`u_{tt} = c^2 u_{xx}` on :math:`x, t \in [0, 1]` (PINNacle Wave1d-C).

    :math:`u = \sin(\pi x)\cos(c\pi t) + \tfrac12 \sin(4\pi x)\cos(4c\pi t)`, u = 0 at x = 0, 1,
    :math:`u_t(0, x) = 0`; PINNacle uses c = 2.
    """

    name = "wave"
    speed: float = 2.0
    nt: int = 101
    nx: int = 101

    def __post_init__(self):
        positive(self.name, speed=self.speed)
        integer(self.name, 2, nt=self.nt, nx=self.nx)

    @property
    def domain(self) -> Domain:
        return Domain(space=((0.0, 1.0),), time=(0.0, 1.0))

    @property
    def boundary(self):
        return (_ZERO,)

    def _solution(self, t, x):
        c = self.speed
        return jnp.sin(jnp.pi * x) * jnp.cos(c * jnp.pi * t) + 0.5 * jnp.sin(
            4 * jnp.pi * x
        ) * jnp.cos(4 * c * jnp.pi * t)

    @property
    def initial(self):
        return (lambda x: self._solution(0.0, x[0]), lambda x: jnp.zeros((), x.dtype))

    def residual(self, u):
        return residuals.wave(u, speed=self.speed)

    @property
    def exact(self):
        return lambda z: self._solution(z[0], z[1])

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.nx))
