r"""Operator-learning pairs from a data-set file: inputs, outputs and their grids, channel-last.

:func:`load_operator` recognises three layouts (see :mod:`pdes.datasets` for PDEBench's):

==================  =================================  =========================================
layout              arrays                             pairs
==================  =================================  =========================================
Darcy (PDEBench)    ``nu [N,X,Y]``, ``tensor           ``a -> u``: ``[N,X,Y,1] -> [N,X,Y,1]``
                    [N,1,X,Y]``, ``x-/y-coordinate``
1-D time series     ``tensor [N,T,X]``,                ``u(t_0) -> u(t)`` with :math:`t` the
(PDEBench Burgers)  ``x-coordinate``, ``t-coordinate``  time nearest ``target_time``
generic             ``input [N,*A]``,                  ``[N,*A,1] -> [N,*B,1]``; the grids from
                    ``output [N,*B]``                  ``x-``, ``query-``, ``t-coordinate``
==================  =================================  =========================================

Grids are returned as node coordinates ``[*space, d]`` (time first for an output on
``(t, x)``). Every value must be finite: the first bad sample is named. Nothing is unpickled.

>>> import os, tempfile, numpy as np
>>> from pdes import datasets
>>> path = os.path.join(tempfile.mkdtemp(), "d.h5")
>>> x = np.linspace(0, 1, 5)
>>> datasets.write(path, {"nu": np.ones((3, 5, 5)), "tensor": np.zeros((3, 1, 5, 5)),
...                       "x-coordinate": x, "y-coordinate": x}, {})
>>> data = datasets.load_operator(path)
>>> data.layout, data.inputs.shape, data.outputs.shape, data.output_grid.shape
('darcy', (3, 5, 5, 1), (3, 5, 5, 1), (5, 5, 2))
"""

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from pdes.datasets._hdf5 import read
from pdes.datasets._schema import Dataset, DatasetError


@dataclasses.dataclass(frozen=True)
class OperatorData:
    """Input and output functions of one data set, channel-last, with their grids.

    Attributes:
        inputs: ``[N, *A, C_in]``.
        outputs: ``[N, *B, C_out]``.
        input_grid: node coordinates ``[*A, d_in]``.
        output_grid: node coordinates ``[*B, d_out]``.
        layout: ``"darcy"``, ``"time-series"`` or ``"generic"``.
        attrs: the file's attributes (generator, parameters, seed, ...).
        path: the file, for messages.
    """

    inputs: np.ndarray
    outputs: np.ndarray
    input_grid: np.ndarray
    output_grid: np.ndarray
    layout: str
    attrs: dict[str, Any]
    path: str

    @property
    def same_grid(self) -> bool:
        """Inputs and outputs live on one grid (what grid models such as FNO need)."""
        return self.input_grid.shape == self.output_grid.shape and np.allclose(
            self.input_grid, self.output_grid
        )

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def split(self, train: int, test: int) -> tuple["OperatorData", "OperatorData"]:
        """The first ``train`` samples and the last ``test`` ones (fixed, disjoint ranges)."""
        if train < 1 or test < 1 or train + test > len(self):
            raise DatasetError(
                f"{self.path}: cannot take {train} training and {test} test samples from "
                f"{len(self)} (need 1 <= each and train + test <= {len(self)})"
            )
        pick = lambda s: dataclasses.replace(self, inputs=self.inputs[s], outputs=self.outputs[s])
        return pick(slice(0, train)), pick(slice(len(self) - test, len(self)))


def _mesh(*axes: np.ndarray) -> np.ndarray:
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).astype(np.float32)


def _axis(ds: Dataset, name: str, size: int) -> np.ndarray:
    if name not in ds.arrays:
        return np.linspace(0.0, 1.0, size)
    values = np.asarray(ds.arrays[name], np.float64).reshape(-1)
    if values.size < size:
        raise DatasetError(f"{ds.path}: {name} has {values.size} entries, need {size}")
    return values[:size]


def _darcy(ds: Dataset) -> tuple[np.ndarray, ...]:
    nu, tensor = ds.arrays["nu"], ds.arrays["tensor"]
    if nu.ndim != 3 or tensor.ndim != 4 or tensor.shape[1] != 1 or tensor.shape[0] != nu.shape[0]:
        raise DatasetError(
            f"{ds.path}: Darcy layout needs nu [N, X, Y] and tensor [N, 1, X, Y], got "
            f"nu {nu.shape} and tensor {tensor.shape}"
        )
    if tensor.shape[2:] != nu.shape[1:]:
        raise DatasetError(f"{ds.path}: nu {nu.shape} and tensor {tensor.shape} grids differ")
    grid = _mesh(_axis(ds, "x-coordinate", nu.shape[1]), _axis(ds, "y-coordinate", nu.shape[2]))
    return nu[..., None], tensor[:, 0, ..., None], grid, grid


def _time_series(ds: Dataset, target_time: float) -> tuple[np.ndarray, ...]:
    tensor = ds.arrays["tensor"]
    if tensor.ndim != 3 or tensor.shape[1] < 2:
        raise DatasetError(
            f"{ds.path}: a 1-D time series needs tensor [N, T, X] with T >= 2, got {tensor.shape}"
        )
    times = _axis(ds, "t-coordinate", tensor.shape[1])  # PDEBench stores T + 1 entries
    index = int(np.argmin(np.abs(times - target_time)))
    spacing = np.min(np.diff(times)) if times.size > 1 else np.inf
    if index == 0 or abs(times[index] - target_time) > 0.5 * spacing:
        raise DatasetError(
            f"{ds.path}: no frame at t = {target_time} (times {times[0]:g} .. {times[-1]:g})"
        )
    grid = _mesh(_axis(ds, "x-coordinate", tensor.shape[2]))
    return tensor[:, 0, :, None], tensor[:, index, :, None], grid, grid


def _generic(ds: Dataset) -> tuple[np.ndarray, ...]:
    inputs, outputs = ds.arrays["input"], ds.arrays["output"]
    if inputs.ndim < 2 or outputs.ndim < 2 or inputs.shape[0] != outputs.shape[0]:
        raise DatasetError(
            f"{ds.path}: input and output must be [N, ...] with the same N, got "
            f"{inputs.shape} and {outputs.shape}"
        )
    if inputs.ndim != 2:
        raise DatasetError(f"{ds.path}: generic input must be [N, X], got {inputs.shape}")
    input_grid = _mesh(_axis(ds, "x-coordinate", inputs.shape[1]))
    if outputs.ndim == 2:
        name = "query-coordinate" if "query-coordinate" in ds.arrays else "x-coordinate"
        output_grid = _mesh(_axis(ds, name, outputs.shape[1]))
    elif outputs.ndim == 3:  # (t, x)
        output_grid = _mesh(
            _axis(ds, "t-coordinate", outputs.shape[1]), _axis(ds, "x-coordinate", outputs.shape[2])
        )
    else:
        raise DatasetError(f"{ds.path}: generic output must be [N, X] or [N, T, X]")
    return inputs[..., None], outputs[..., None], input_grid, output_grid


def _check_finite(path: str, name: str, array: np.ndarray) -> None:
    bad = ~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)
    if bad.any():
        raise DatasetError(
            f"{path}: {name} has non-finite values (NaN or Inf) in {int(bad.sum())} samples, "
            f"the first is sample {int(np.argmax(bad))}"
        )


def load_operator(path: str | Path, *, target_time: float = 1.0) -> OperatorData:
    """Read a data-set file as operator-learning pairs (layouts in the module docstring).

    Raises:
        DatasetError: unreadable file, unknown or inconsistent layout, non-finite values, or no
            frame at ``target_time``; one line naming the file.
    """
    ds = read(path)
    arrays = ds.arrays
    if "nu" in arrays and "tensor" in arrays:
        layout, parts = "darcy", _darcy(ds)
    elif "input" in arrays and "output" in arrays:
        layout, parts = "generic", _generic(ds)
    elif "tensor" in arrays:
        layout, parts = "time-series", _time_series(ds, target_time)
    else:
        present = ", ".join(sorted(arrays)) or "none"
        raise DatasetError(
            f"{ds.path}: not an operator data set (need nu + tensor, tensor [N, T, X], or "
            f"input + output; arrays present: {present})"
        )
    inputs, outputs, input_grid, output_grid = parts
    for name, array in (("input", inputs), ("output", outputs)):
        if array.dtype.kind != "f":
            raise DatasetError(f"{ds.path}: {name} must be floating point, got {array.dtype}")
        _check_finite(ds.path, name, array)
    return OperatorData(
        inputs=inputs.astype(np.float32),
        outputs=outputs.astype(np.float32),
        input_grid=input_grid,
        output_grid=output_grid,
        layout=layout,
        attrs=ds.attrs,
        path=ds.path,
    )
