r"""The diffusion–reaction operator of the DeepONet papers: source :math:`u(x) \mapsto s(x, t)`.

.. math::
    s_t = D s_{xx} + k s^2 + u(x), \quad (x, t) \in [0, 1]^2, \qquad s(x, 0) = 0,\
    s(0, t) = s(1, t) = 0,

with :math:`D = k = 0.01` and :math:`u` a squared-exponential GRF (:math:`\ell = 0.2`) on the
``resolution`` nodes of :math:`[0, 1]`, which are also the sensors and the solution's space grid
(DeepONet: :math:`N_x = N_t = 100`). Solved by the linearised Crank–Nicolson scheme of
:func:`pdes.solvers.solve_diffusion_reaction` (second order) on the same grid, or on a grid
refined ``refine`` times in space and time and subsampled, for more accurate reference data.

Stored: ``input [N, X]`` (:math:`u`), ``output [N, T, X]`` (:math:`s`), ``x-coordinate [X]``,
``t-coordinate [T]`` (time first, as everywhere in the project).
"""

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes.generators._base import Generator
from pdes.random_fields import rbf_factor, rbf_grf
from pdes.solvers import solve_diffusion_reaction


@dataclasses.dataclass(frozen=True)
class DiffusionReaction(Generator):
    """DeepONet's diffusion–reaction data (see the module docstring)."""

    name: ClassVar[str] = "diffusion_reaction"
    description: ClassVar[str] = "1-D diffusion-reaction s_t = D s_xx + k s^2 + u(x): u -> s"

    resolution: int = 100
    times: int = 100
    refine: int = 1
    diffusivity: float = 0.01
    reaction: float = 0.01
    length_scale: float = 0.2

    def __post_init__(self):
        integer("diffusion_reaction", 3, resolution=self.resolution)
        integer("diffusion_reaction", 2, times=self.times)
        integer("diffusion_reaction", 1, refine=self.refine)
        positive("diffusion_reaction", diffusivity=self.diffusivity)
        positive("diffusion_reaction", length_scale=self.length_scale)

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        r = self.refine
        x = np.linspace(0.0, 1.0, self.resolution)
        u = rbf_grf(key, rbf_factor(x, length_scale=self.length_scale), dtype=jnp.float64)[0]
        # the source on the refined nodes: linear between sensors (exact at the sensors)
        fine_x = np.linspace(0.0, 1.0, r * (self.resolution - 1) + 1)
        s = solve_diffusion_reaction(
            jnp.interp(jnp.asarray(fine_x), jnp.asarray(x), u),
            diffusivity=self.diffusivity,
            reaction=self.reaction,
            nt=r * (self.times - 1) + 1,
        )
        return {"input": u, "output": s[::r, ::r]}

    def coordinates(self) -> dict[str, np.ndarray]:
        return {
            "x-coordinate": np.linspace(0.0, 1.0, self.resolution),
            "t-coordinate": np.linspace(0.0, 1.0, self.times),
        }

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(samples)
