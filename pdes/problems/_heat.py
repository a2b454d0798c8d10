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
class Heat(ExactProblem):
    r"""Heat equation :math:`u_t = \kappa \Delta u` on :math:`[0,1]^d`, t in [0, 1], u = 0 on edges.

    Initial data: two sine modes, :math:`u_0 = \prod_i \sin(\pi x_i) + \tfrac12 \prod_i
    \sin(k_i \pi x_i)` with :math:`k = (3)` in 1-D and :math:`(2, 3)` in 2-D; each mode decays
    exactly as :math:`e^{-\kappa \pi^2 |k|^2 t}`.
    """

    name = "heat"
    dim: int = 1
    diffusivity: float = 0.05
    nt: int = 101
    nx: int = 101

    def __post_init__(self):
        if isinstance(self.dim, bool) or self.dim not in (1, 2) or not isinstance(self.dim, int):
            raise ValueError(f"heat: dim must be 1 or 2, got {self.dim!r}")
        positive(self.name, diffusivity=self.diffusivity)
        integer(self.name, 2, nt=self.nt, nx=self.nx)

    @property
    def domain(self) -> Domain:
        return Domain(space=((0.0, 1.0),) * self.dim, time=(0.0, 1.0))

    @property
    def boundary(self):
        return (_ZERO,) * self.dim

    def _modes(self):
        return ((1,) * self.dim, 1.0), ((3,) if self.dim == 1 else (2, 3), 0.5)

    def _solution(self, t, x):
        total = 0.0
        for k, amplitude in self._modes():
            k = jnp.asarray(k, x.dtype)
            decay = jnp.exp(-self.diffusivity * jnp.pi**2 * jnp.sum(k**2) * t)
            total = total + amplitude * decay * jnp.prod(jnp.sin(k * jnp.pi * x))
        return total

    @property
    def initial(self):
        return (lambda x: self._solution(0.0, x),)

    def residual(self, u):
        return residuals.heat(u, diffusivity=self.diffusivity)

    @property
    def exact(self):
        return lambda z: self._solution(z[0], z[1:])

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt,) + (self.nx,) * self.dim)
