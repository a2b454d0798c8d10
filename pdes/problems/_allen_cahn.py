from dataclasses import dataclass

import jax.numpy as jnp

from pdes._checks import positive
from pdes._registry import register
from pdes.problems._periodic_spectral import PeriodicSpectralProblem
from pdes.solvers import allen_cahn_terms
from physics import residuals


@register
@dataclass(frozen=True)
class AllenCahn(PeriodicSpectralProblem):
    r"""Allen–Cahn :math:`u_t = \epsilon u_{xx} - \rho(u^3 - u)`, periodic in :math:`x \in [-1, 1]`.

    Time :math:`t \in [0, 1]`. JAX-PI's benchmark: :math:`\epsilon = 10^{-4}`, :math:`\rho = 5`,
    :math:`u_0 = x^2\cos\pi x` (continuous but with a derivative jump at the periodic wrap).
    Reference: ETDRK4 with :math:`\Delta t = 10^{-5}` in float64 on the 201 x 513 grid of
    JAX-PI's chebfun ``spin`` data, but solved on 2048 modes: the kink of :math:`u_0` at the
    wrap makes the Fourier series converge only as :math:`N^{-2}`, and 512 modes (as in the
    JAX-PI data) leave a relative L2 error of about 1.4e-5, too close to published PINN errors.
    """

    name = "allen_cahn"
    diffusivity: float = 1e-4
    reaction: float = 5.0
    nt: int = 201
    nx: int = 513
    n_modes: int = 2048
    dt: float = 1e-5

    def __post_init__(self):
        positive(self.name, diffusivity=self.diffusivity, reaction=self.reaction, dt=self.dt)
        self.check_grid()

    @property
    def initial(self):
        return (lambda x: x[0] ** 2 * jnp.cos(jnp.pi * x[0]),)

    def residual(self, u):
        return residuals.allen_cahn(u, diffusivity=self.diffusivity, reaction=self.reaction)

    def spectral_terms(self):
        return allen_cahn_terms(diffusivity=self.diffusivity, reaction=self.reaction)
