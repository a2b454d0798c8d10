r"""Node coordinates of a uniform grid on :math:`[0, 1]^d`, appended to fields by grid models.

Axis :math:`i` of ``shape = (N_1, ..., N_d)`` carries the nodes
:math:`x_{i,j} = j / (N_i - 1)`, :math:`j = 0, \dots, N_i - 1` (both ends included, a single node
sits at 0), exactly as the official FNO code's ``get_grid`` (``np.linspace(0, 1, N)``), so
weights and data move between the two without a shift. Channel :math:`i` of the result is the
coordinate along axis :math:`i` (``indexing="ij"``). Note that these nodes are not nested under
refinement by 2 (:math:`j/31 \ne 2j/63`): a model fed them sees a slightly different input at 32
and 64 points.

>>> import jax.numpy as jnp
>>> from sciml.models._grid import grid_coordinates
>>> g = grid_coordinates((3, 2))
>>> g.shape
(3, 2, 2)
>>> g[..., 0].tolist(), g[..., 1].tolist()
([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]], [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
"""

from collections.abc import Sequence

import jax.numpy as jnp
from jaxtyping import Array, Float


def grid_coordinates(shape: Sequence[int], dtype=jnp.float32) -> Float[Array, "*space d"]:
    """``[*shape, d]`` node coordinates in :math:`[0, 1]`; channel ``i`` varies along axis ``i``."""
    if not shape or any(n < 1 for n in shape):
        raise ValueError(f"grid_coordinates needs a non-empty shape of positive sizes, got {shape}")
    axes = [jnp.linspace(0.0, 1.0, n, dtype=dtype) for n in shape]
    return jnp.stack(jnp.meshgrid(*axes, indexing="ij"), axis=-1)
