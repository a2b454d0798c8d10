r"""Physics-informed DeepONet (Wang, Wang & Perdikaris 2021): the residual of the data set's
equation at collocation points of every training function, by automatic differentiation of
:meth:`sciml.models.DeepONet.point` through :mod:`physics.residuals`.

Collocation points lie on the sensor nodes, where the input function is known exactly, as in the
PI-DeepONet notebooks: the antiderivative's :math:`ds/dy - u(y)` at :math:`y = x_j`, the
diffusion–reaction residual :math:`s_t - D s_{xx} - k s^2 - u(x)` at :math:`(t, x_j)` with
:math:`t` uniform on the data's time range. Labelled points may be restricted to the nodes where
the problem itself fixes the solution (``label_points=boundary``: :math:`s(0) = 0`; :math:`s = 0`
at :math:`t = 0`, :math:`x = 0` and :math:`x = 1`), which makes training data-free.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from pdes.datasets import OperatorData
from physics import residuals

EQUATIONS = ("antiderivative", "diffusion_reaction")


@dataclasses.dataclass(frozen=True)
class PointPhysics:
    """The residual of one data set's equation, and where its collocation points lie."""

    equation: str
    params: dict

    def residual(self, solution: Callable, source: jax.Array):
        """The pointwise residual of ``solution(z) -> s`` with the input's values ``source``
        at the collocation points (an array coefficient, one value per point)."""
        if self.equation == "antiderivative":
            return residuals.antiderivative(solution, integrand=source)
        return residuals.quadratic_reaction_diffusion(
            solution,
            diffusivity=self.params.get("diffusivity", 0.01),
            reaction=self.params.get("reaction", 0.01),
            source=source,
        )

    def collocation(
        self, key: jax.Array, sensors: np.ndarray, output_grid: np.ndarray, n: int, q: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``q`` points per function for ``n`` functions: coordinates ``[n, q, d]`` and the
        sensor index of each ``[n, q]`` (where the source is read)."""
        index_key, time_key = jax.random.split(key)
        index = np.asarray(jax.random.randint(index_key, (n, q), 0, len(sensors)))
        x = sensors[index]
        if self.equation == "antiderivative":
            return x[..., None], index
        times = output_grid[..., 0]
        t = np.asarray(jax.random.uniform(time_key, (n, q), minval=times.min(), maxval=times.max()))
        return np.stack([t, x], axis=-1), index

    def boundary(self, output_grid: np.ndarray) -> np.ndarray:
        """Nodes of the output grid where the problem fixes the solution (to zero)."""
        if self.equation == "antiderivative":
            return output_grid[..., 0] == output_grid[..., 0].min()
        t, x = output_grid[..., 0], output_grid[..., 1]
        return (t == t.min()) | (x == x.min()) | (x == x.max())


def point_physics(data: OperatorData) -> PointPhysics:
    """The physics of ``data``'s generator, or a one-line error naming those that have one."""
    generator = data.attrs.get("generator")
    if generator not in EQUATIONS:
        raise ValueError(
            f"a physics-informed DeepONet needs data with a pointwise residual "
            f"({', '.join(EQUATIONS)}); {data.path} holds {generator or data.layout}"
        )
    return PointPhysics(generator, dict(data.attrs.get("params", {})))


def residual_loss(
    physics: PointPhysics,
    point: Callable,
    branch_inputs: jax.Array,
    points: jax.Array,
    source: jax.Array,
) -> jax.Array:
    """Mean squared residual over functions ``[B, ...]`` and their points ``[B, q, d]``.

    ``point(u, z) -> [outputs]`` is the network for one function at one point.
    """

    def one(u, z, f):
        return physics.residual(lambda y: point(u, y)[0], f).on_points(z)

    return jnp.mean(jax.vmap(one)(branch_inputs, points, source) ** 2)
