r"""2-D planar shallow-water trajectories on the periodic unit square (flat bottom, no rotation).

A still layer of depth ``depth`` is released from a smooth random surface:
:math:`h_0 = d + a\, w / \max|w|` with :math:`w` a mean-free periodic GRF
(:math:`\mathcal N(0, (-\Delta + \tau^2 I)^{-\alpha})`, drawn on the fine grid), so
:math:`h_0 \in [d - a, d + a]`, and :math:`u_0 = v_0 = 0`. Gravity waves (speed
:math:`\sqrt{g d} = 1` by default, one domain length per time unit) cross, steepen and form bores.
:func:`pdes.solvers.solve_shallow_water_2d` integrates the conservative form (MUSCL–Rusanov
finite volumes, SSP-RK3): total mass and momentum are conserved to rounding, energy falls.

**Time step.** ``dt = cfl / (n \sqrt{g (d + a)})`` rounded down to a whole number of steps per
frame; the CFL number :math:`\Delta t \max(|u| + |v| + 2\sqrt{gh})/\Delta x` is then about
``2 cfl`` (0.5 by default, stable up to 1) and each sample's largest is kept in
``max_cfl [N]``. **Frames** are ``frames`` records ``interval`` apart after the initial state.
The fine grid's cell averages are averaged over blocks of ``fine / resolution`` cells, which
is the finite-volume restriction.

Stored as ``tensor [N, frames + 1, R, R, 3]`` with channels ``h, u, v`` (the file attribute
``channels``), ``x-`` and ``y-coordinate`` at the cell centres :math:`(j + 1/2)/R` and
``t-coordinate``; :func:`pdes.datasets.load_trajectories` reads it.
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
from pdes.solvers import solve_shallow_water_2d


@dataclasses.dataclass(frozen=True)
class ShallowWater(Generator):
    """Planar shallow-water trajectories (see the module docstring)."""

    name: ClassVar[str] = "shallow_water"
    description: ClassVar[str] = (
        "2-D periodic shallow water (finite volume): trajectories of h, u, v from a still, "
        "randomly displaced surface"
    )
    channels: ClassVar[tuple[str, ...]] = ("h", "u", "v")

    resolution: int = 64
    fine: int | None = None
    gravity: float = 1.0
    depth: float = 1.0
    amplitude: float = 0.1
    alpha: float = 2.5
    tau: float = 7.0
    cfl: float = 0.25
    interval: float = 0.1
    frames: int = 20

    def __post_init__(self):
        integer("shallow_water", 4, resolution=self.resolution)
        integer("shallow_water", 1, frames=self.frames)
        positive("shallow_water", gravity=self.gravity, depth=self.depth, interval=self.interval)
        positive("shallow_water", alpha=self.alpha, tau=self.tau, cfl=self.cfl)
        if not 0 <= self.amplitude < self.depth:
            raise ValueError(
                f"shallow_water: amplitude must be in [0, depth = {self.depth}) so that the "
                f"layer stays wet, got {self.amplitude}"
            )
        if self.cfl > 0.5:
            raise ValueError(
                f"shallow_water: cfl must be <= 0.5 (CFL number ~2 cfl), got {self.cfl}"
            )
        fine = self.resolution if self.fine is None else self.fine
        integer("shallow_water", 4, fine=fine)
        if fine % self.resolution:
            raise ValueError(
                f"shallow_water: fine grid of {fine} cells cannot be averaged to "
                f"{self.resolution} (fine must be a multiple of the resolution)"
            )
        object.__setattr__(self, "fine", fine)

    @property
    def steps_per_frame(self) -> int:
        dt_max = self.cfl / (self.fine * math.sqrt(self.gravity * (self.depth + self.amplitude)))
        return math.ceil(self.interval / dt_max - 1e-9)

    @property
    def dt(self) -> float:
        return self.interval / self.steps_per_frame

    def params(self) -> dict:
        return super().params() | {"dt": self.dt, "steps_per_frame": self.steps_per_frame}

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        w = periodic_grf(
            key, self.fine, dim=2, alpha=self.alpha, tau=self.tau, sigma=1.0, dtype=jnp.float64
        )[0]
        h = self.depth + self.amplitude * w / jnp.max(jnp.abs(w))
        q0 = jnp.stack([h, jnp.zeros_like(h), jnp.zeros_like(h)])
        states, cfls = solve_shallow_water_2d(
            q0,
            gravity=self.gravity,
            dt=self.dt,
            record_every=self.steps_per_frame,
            n_records=self.frames,
        )
        s, r = self.fine // self.resolution, self.resolution
        coarse = states.reshape(-1, 3, r, s, r, s).mean(axis=(3, 5))  # block cell averages
        h, mx, my = coarse[:, 0], coarse[:, 1], coarse[:, 2]
        return {"fields": jnp.stack([h, mx / h, my / h], axis=-1), "max_cfl": jnp.max(cfls)}

    def coordinates(self) -> dict[str, np.ndarray]:
        x = (np.arange(self.resolution) + 0.5) / self.resolution
        return {
            "x-coordinate": x,
            "y-coordinate": x,
            "t-coordinate": self.interval * np.arange(self.frames + 1),
        }

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"tensor": samples["fields"], "max_cfl": samples["max_cfl"]}
