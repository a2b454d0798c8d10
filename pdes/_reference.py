"""A reference solution sampled on a tensor grid (time first), held as float64 NumPy arrays."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Reference:
    """Values of a solution on the tensor grid ``axes[0] x axes[1] x ...``.

    Attributes:
        axes: 1-D coordinates of each coordinate axis (time first), closed intervals: periodic
            axes include the endpoint, whose values repeat the first ones.
        values: ``[*grid]`` for a scalar solution, ``[*grid, m]`` for ``m`` components.
        names: axis names, e.g. ``("t", "x")``.
        method: how the values were obtained (e.g. "exact", "ETDRK4 dt=1e-05, 512 modes").
    """

    axes: tuple[np.ndarray, ...]
    values: np.ndarray
    names: tuple[str, ...]
    method: str

    def __post_init__(self):
        grid = tuple(len(a) for a in self.axes)
        if self.values.shape[: len(grid)] != grid:
            raise ValueError(
                f"reference values of shape {self.values.shape} do not match grid {grid}"
            )

    def points(self) -> np.ndarray:
        """Every grid point, shape ``[*grid, d]``."""
        return np.stack(np.meshgrid(*self.axes, indexing="ij"), axis=-1)


def _frozen(array) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array
