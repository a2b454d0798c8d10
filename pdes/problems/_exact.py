"""Problems with a closed-form (or pointwise-evaluable) exact solution."""

import jax
import numpy as np

from pdes._problem import Problem
from pdes._reference import Reference

CHUNK = 4096
"""Points per batch when sampling the exact solution, so memory stays bounded (Cole–Hopf holds
a quadrature rule per point)."""


class ExactProblem(Problem):
    """The reference is the exact solution sampled on :meth:`reference_axes`, in float64."""

    def solve_reference(self) -> Reference:
        axes = self.reference_axes()
        points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
        with jax.enable_x64(True):
            flat = jax.lax.map(self.exact, points.reshape(-1, points.shape[-1]), batch_size=CHUNK)
            values = np.asarray(flat, dtype=np.float64)
        values = values.reshape(points.shape[:-1] + values.shape[1:])
        return Reference(axes, values, self.variables, "exact")
