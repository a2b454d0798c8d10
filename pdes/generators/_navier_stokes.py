r"""2-D periodic Navier–Stokes vorticity trajectories, FNO protocol (Li et al. 2021).

.. math::
    \omega_t + \mathbf{u}\cdot\nabla\omega = \nu\Delta\omega + f, \quad
    \mathbf{u} = (\psi_y, -\psi_x),\ -\Delta\psi = \omega, \quad (x, y) \in [0, 1)^2, \qquad
    f = a\,(\sin 2\pi(x + y) + \cos 2\pi(x + y)),

with :math:`a = 0.1` and :math:`\omega_0` a mean-free periodic GRF with :math:`\alpha = 2.5`,
:math:`\tau = 7`. FNO's paper writes :math:`\mathcal{N}(0, 7^{3/2}(-\Delta + 49I)^{-2.5})`;
its ``GaussianRF`` (``sigma=None``) scales the modes by :math:`\sigma = \tau^{\alpha - 1} = 7^{3/2}`
times :math:`\sqrt 2` and draws their real and imaginary parts as independent standard normals,
so the covariance of its fields is :math:`2 \cdot 7^3(-\Delta + 49I)^{-2.5}`. The default
``sigma`` here is therefore :math:`\sqrt2 \cdot 7^{3/2}` in the convention of
:func:`pdes.random_fields.periodic_grf` (covariance :math:`\sigma^2(\cdot)^{-\alpha}`), which
draws the same distribution. The field is drawn on the ``fine`` grid, integrated by
:func:`pdes.solvers.solve_navier_stokes_2d` (2/3-rule pseudo-spectral, Crank–Nicolson/RK3) and
every frame is subsampled to ``resolution`` points per axis, as FNO subsamples 256 to 64.

**Time step.** ``dt = 2e-3`` by default. The explicit part is stable for a CFL number
:math:`\Delta t \max(|u_x| + |u_y|) k_{\max} \le \sqrt 3`, with :math:`k_{\max} = 2\pi n/3` the
largest retained wavenumber; on these flows :math:`\max(|u_x| + |u_y|) \approx 0.3` at
:math:`\nu = 10^{-3}` and :math:`0.65` at :math:`\nu = 10^{-5}` (measured to :math:`t = 20`), so
the CFL number is 0.17 on 64 points and stays below :math:`\sqrt 3` up to 512. Against
:math:`\Delta t = 5\cdot10^{-4}` on 64 points, the relative error of the frames at ``2e-3`` was
:math:`10^{-8}` at :math:`\nu = 10^{-3}` and grew to :math:`4\cdot10^{-6}` at :math:`t = 20` for
:math:`\nu = 10^{-5}` (chaotic growth), below or near the float32 rounding of the stored data (two
samples each). FNO's first-order update steps at :math:`10^{-4}`.

**Frames.** ``frames`` records at :math:`t = \Delta, 2\Delta, \dots` after the initial field, with
:math:`\Delta` = ``interval``; FNO's :math:`\nu = 10^{-5}` set is 20 records one time unit apart
(its ``a`` holds :math:`\omega_0`, its ``u`` the records). Here the initial field comes first.

Stored as ``tensor [N, frames + 1, R, R]`` (vorticity, PDEBench's flat layout for time series of
a scalar field on ``[N, T, X, Y]``, as its 2-D CFD files store each field), ``x-coordinate`` and
``y-coordinate`` (:math:`x_j = j/R`) and ``t-coordinate [frames + 1]``;
:func:`pdes.datasets.load_trajectories` reads it channel-last. The parameters, among them ``dt``,
``interval``, ``viscosity``, ``forcing`` and ``resolution``, are the file's ``params`` attribute.
"""

import dataclasses
import math
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes.generators._base import Generator
from pdes.random_fields import periodic_grf
from pdes.solvers import solve_navier_stokes_2d


@dataclasses.dataclass(frozen=True)
class NavierStokes(Generator):
    """FNO's Navier–Stokes vorticity data as trajectories (see the module docstring)."""

    name: ClassVar[str] = "navier_stokes"
    description: ClassVar[str] = (
        "2-D periodic Navier-Stokes vorticity, FNO protocol: trajectories w(t_0), ..., w(t_T)"
    )

    resolution: int = 64
    fine: int | None = None
    viscosity: float = 1e-3
    forcing: float = 0.1
    alpha: float = 2.5
    tau: float = 7.0
    sigma: float | None = None
    dt: float = 2e-3
    interval: float = 1.0
    frames: int = 20

    def __post_init__(self):
        integer("navier_stokes", 4, resolution=self.resolution)
        integer("navier_stokes", 1, frames=self.frames)
        positive("navier_stokes", viscosity=self.viscosity, dt=self.dt, interval=self.interval)
        positive("navier_stokes", alpha=self.alpha, tau=self.tau)
        if not math.isfinite(self.forcing):
            raise ValueError(f"navier_stokes: forcing must be a finite number, got {self.forcing}")
        fine = self.resolution if self.fine is None else self.fine
        integer("navier_stokes", 4, fine=fine)
        if fine % self.resolution:
            raise ValueError(
                f"navier_stokes: fine grid of {fine} points cannot be subsampled to "
                f"{self.resolution} (fine must be a multiple of the resolution)"
            )
        sigma = math.sqrt(2) * self.tau ** (self.alpha - 1) if self.sigma is None else self.sigma
        positive("navier_stokes", sigma=sigma)
        if abs(self.steps_per_frame * self.dt - self.interval) > 1e-9 * self.interval:
            raise ValueError(
                f"navier_stokes: interval {self.interval} is not a whole number of steps "
                f"dt = {self.dt}"
            )
        object.__setattr__(self, "fine", fine)
        object.__setattr__(self, "sigma", sigma)

    @property
    def steps_per_frame(self) -> int:
        return max(1, round(self.interval / self.dt))

    def forcing_field(self, n: int) -> np.ndarray:
        """:math:`f` on the ``n``-per-axis grid :math:`x_j = j/n`, ``[n, n]``."""
        x = np.arange(n) / n
        phase = 2 * np.pi * (x[:, None] + x[None, :])
        return self.forcing * (np.sin(phase) + np.cos(phase))

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        w0 = periodic_grf(
            key,
            self.fine,
            dim=2,
            alpha=self.alpha,
            tau=self.tau,
            sigma=self.sigma,
            dtype=jnp.float64,
        )[0]
        frames = solve_navier_stokes_2d(
            w0,
            viscosity=self.viscosity,
            dt=self.dt,
            record_every=self.steps_per_frame,
            n_records=self.frames,
            forcing=self.forcing_field(self.fine),
        )
        s = self.fine // self.resolution
        return {"vorticity": frames[:, ::s, ::s]}

    def coordinates(self) -> dict[str, np.ndarray]:
        x = np.arange(self.resolution) / self.resolution
        return {
            "x-coordinate": x,
            "y-coordinate": x,
            "t-coordinate": self.interval * np.arange(self.frames + 1),
        }

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"tensor": samples["vorticity"]}
