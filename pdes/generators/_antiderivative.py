r"""The antiderivative operator of the DeepONet papers: :math:`s(y) = \int_0^y u`.

Equivalently the ODE :math:`ds/dy = u(y)`, :math:`s(0) = 0` on :math:`[0, 1]`. The input
:math:`u` is a squared-exponential GRF (length scale :math:`\ell = 0.2`,
:func:`pdes.random_fields.rbf_grf`) drawn on a fine grid of :math:`M = r(m - 1) + 1` nodes and
taken piecewise linear between them (the PI-DeepONet convention; the original DeepONet code
interpolates cubically). Then :math:`s` is exact on the fine nodes by the cumulative trapezoidal
rule, the exact integral of the piecewise-linear :math:`u`. The ``m`` sensors
(``resolution``) are every ``r``-th fine node, so they include both ends of the interval.

Stored: ``input [N, m]`` (:math:`u` at the sensors, on ``x-coordinate [m]``) and
``output [N, M]`` (:math:`s` at every fine node, on ``query-coordinate [M]``), from which a
trainer draws its query points (one random :math:`y` per function in the original set-up).
"""

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes.generators._base import Generator
from pdes.random_fields import rbf_factor, rbf_grf


@dataclasses.dataclass(frozen=True)
class Antiderivative(Generator):
    """DeepONet's antiderivative data (see the module docstring)."""

    name: ClassVar[str] = "antiderivative"
    description: ClassVar[str] = "antiderivative operator u -> s, s(y) = int_0^y u (DeepONet)"

    resolution: int = 100
    refine: int = 10
    length_scale: float = 0.2

    def __post_init__(self):
        integer("antiderivative", 2, resolution=self.resolution)
        integer("antiderivative", 1, refine=self.refine)
        positive("antiderivative", length_scale=self.length_scale)

    @property
    def queries(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, self.refine * (self.resolution - 1) + 1)

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        y = self.queries
        factor = rbf_factor(y, length_scale=self.length_scale)
        u = rbf_grf(key, factor, dtype=jnp.float64)[0]
        steps = 0.5 * (u[1:] + u[:-1]) * jnp.diff(jnp.asarray(y))
        s = jnp.concatenate([jnp.zeros(1), jnp.cumsum(steps)])
        return {"input": u[:: self.refine], "output": s}

    def coordinates(self) -> dict[str, np.ndarray]:
        return {"x-coordinate": self.queries[:: self.refine], "query-coordinate": self.queries}

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(samples)
