"""1-D periodic problems on x in [-1, 1], t in [0, 1] whose reference is computed by ETDRK4."""

import abc

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer
from pdes._conditions import Periodic
from pdes._domain import Domain
from pdes._problem import Problem
from pdes._reference import Reference
from pdes.problems._checks import axes_from
from pdes.solvers import etdrk4

T_FINAL = 1.0
X_BOUNDS = (-1.0, 1.0)


class PeriodicSpectralProblem(Problem):
    """Shared domain, conditions and reference solve; subclasses give the equation.

    Concrete subclasses are frozen dataclasses with the fields ``nt`` (saved frames), ``nx``
    (saved points, periodic endpoint included), ``n_modes`` (Fourier modes of the solver, a
    multiple of ``nx - 1``) and ``dt`` (ETDRK4 step), and call :meth:`check_grid` in
    ``__post_init__``.
    """

    nt: int
    nx: int
    n_modes: int
    dt: float

    @abc.abstractmethod
    def spectral_terms(self):
        """The ``(linear, nonlinear)`` pair of :func:`pdes.solvers.etdrk4` for this equation."""

    def check_grid(self) -> None:
        integer(self.name, 2, nt=self.nt, nx=self.nx, n_modes=self.n_modes)
        if self.n_modes % (self.nx - 1):
            raise ValueError(
                f"{self.name}: n_modes={self.n_modes} must be a multiple of nx - 1 = {self.nx - 1}"
            )
        steps = (T_FINAL / (self.nt - 1)) / self.dt
        if not (self.dt > 0 and abs(steps - round(steps)) < 1e-9 * steps):
            raise ValueError(
                f"{self.name}: dt={self.dt} must divide the frame spacing "
                f"{T_FINAL / (self.nt - 1)} exactly"
            )

    @property
    def exact(self):
        return None

    @property
    def domain(self) -> Domain:
        return Domain(space=(X_BOUNDS,), time=(0.0, T_FINAL))

    @property
    def boundary(self):
        return (Periodic(),)

    def reference_axes(self):
        return axes_from(self.domain.bounds, (self.nt, self.nx))

    def solver_points(self) -> np.ndarray:
        """The ``n_modes`` periodic points the reference is solved on (endpoint excluded)."""
        lo, hi = X_BOUNDS
        return lo + (hi - lo) * np.arange(self.n_modes) / self.n_modes

    def solve_reference(self) -> Reference:
        """ETDRK4 on ``n_modes`` points in float64, sampled on ``nx`` points with the endpoint."""
        lo, hi = X_BOUNDS
        x = self.solver_points()
        linear, nonlinear = self.spectral_terms()
        save_every = round((T_FINAL / (self.nt - 1)) / self.dt)
        with jax.enable_x64(True):
            u0 = jax.vmap(self.initial[0])(jnp.asarray(x)[:, None])
            frames = etdrk4(
                u0,
                length=hi - lo,
                linear=linear,
                nonlinear=nonlinear,
                dt=self.dt,
                save_every=save_every,
                n_saves=self.nt - 1,
            )
            frames = np.asarray(frames, dtype=np.float64)[:, :: self.n_modes // (self.nx - 1)]
        values = np.concatenate([frames, frames[:, :1]], axis=1)
        method = f"ETDRK4 (Kassam-Trefethen), dt={self.dt:g}, {self.n_modes} Fourier modes, float64"
        return Reference(self.reference_axes(), values, self.variables, method)
