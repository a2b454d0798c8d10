r"""1-D viscous Burgers, periodic, FNO protocol: :math:`u_0 \mapsto u(\cdot, T)`.

.. math::
    u_t + (u^2/2)_x = \nu u_{xx}, \quad x \in [0, 1)\ \text{periodic}, \qquad
    u_0 \sim \mathcal{N}(0, \sigma^2(-\Delta + \tau^2 I)^{-\alpha}).

Defaults are the FNO paper's stated values (``burgers_data_R10``): :math:`\nu = 0.1`,
:math:`\sigma^2 = 625`, :math:`\tau = 5`, :math:`\alpha = 2`, :math:`T = 1` (the reference file
marks them unverified against the released data; they are recorded in every file). The initial
field is drawn on ``fine`` points (:func:`pdes.random_fields.periodic_grf`, mean-free) and
integrated by ETDRK4 (:func:`pdes.solvers.etdrk4`, 2/3-dealiased, ``steps`` steps), then both
frames are subsampled to ``resolution`` points, as FNO subsamples 8192 to 1024 ... 256.

Stored in PDEBench's 1-D Burgers layout: ``tensor [N, 2, R]`` (frames at :math:`t = 0` and
:math:`T`), ``x-coordinate [R]`` (:math:`x_j = j/R`) and ``t-coordinate [2]``.
"""

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes.generators._base import Generator
from pdes.random_fields import periodic_grf
from pdes.solvers import burgers_terms, etdrk4


@dataclasses.dataclass(frozen=True)
class Burgers(Generator):
    """FNO's Burgers data (see the module docstring)."""

    name: ClassVar[str] = "burgers"
    description: ClassVar[str] = "1-D periodic viscous Burgers, FNO protocol: u(., 0) -> u(., T)"

    resolution: int = 1024
    fine: int = 8192
    viscosity: float = 0.1
    alpha: float = 2.0
    tau: float = 5.0
    sigma: float = 25.0
    time: float = 1.0
    steps: int = 2000

    def __post_init__(self):
        integer("burgers", 4, resolution=self.resolution, fine=self.fine)
        integer("burgers", 1, steps=self.steps)
        positive("burgers", viscosity=self.viscosity, time=self.time, sigma=self.sigma)
        if self.fine % self.resolution:
            raise ValueError(
                f"burgers: fine grid of {self.fine} points cannot be subsampled to "
                f"{self.resolution} (fine must be a multiple of the resolution)"
            )

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        u0 = periodic_grf(
            key, self.fine, alpha=self.alpha, tau=self.tau, sigma=self.sigma, dtype=jnp.float64
        )[0]
        linear, nonlinear = burgers_terms(viscosity=self.viscosity)
        frames = etdrk4(
            u0,
            length=1.0,
            linear=linear,
            nonlinear=nonlinear,
            dt=self.time / self.steps,
            save_every=self.steps,
            n_saves=1,
        )
        return {"frames": frames[:, :: self.fine // self.resolution]}

    def coordinates(self) -> dict[str, np.ndarray]:
        return {
            "x-coordinate": np.arange(self.resolution) / self.resolution,
            "t-coordinate": np.array([0.0, self.time]),
        }

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"tensor": samples["frames"]}
