r"""Trajectories of fields for autoregressive emulation, channel-last.

:func:`load_trajectories` reads the flat PDEBench layout of time series (the
:mod:`pdes.generators` ``navier_stokes`` files, PDEBench's 1-D files) and its channel-last
extension for several fields (``shallow_water``):

================================  ==========================================================
array                             content
================================  ==========================================================
``tensor [N, T, *space]``         one field; 1 to 3 periodic or bounded space axes
``tensor [N, T, *space, C]``      C fields, when the file attribute ``channels`` names them
``x-``, ``y-``, ``z-coordinate``  the node coordinates of each space axis, in that order
``t-coordinate [T]``              the frame times (PDEBench's 1-D files hold ``T + 1``; the
                                  first ``T`` are used)
================================  ==========================================================

and returns :class:`TrajectoryData` with frames ``[N, T, *space, C]`` in float32 (C = 1 for
one field). Every problem is
a one-line :class:`DatasetError` naming the file: a missing array, fewer than two frames,
non-finite values (naming the first bad trajectory). :func:`check_history` checks that the
trajectories are long enough for a model's history and future. Nothing is unpickled.

>>> import os, tempfile, numpy as np
>>> from pdes import datasets
>>> path = os.path.join(tempfile.mkdtemp(), "ns.h5")
>>> x = np.arange(8) / 8
>>> datasets.write(path, {"tensor": np.zeros((3, 5, 8, 8)), "x-coordinate": x,
...                       "y-coordinate": x, "t-coordinate": np.arange(5.0)}, {})
>>> data = datasets.load_trajectories(path)
>>> data.frames.shape, data.grid.shape, data.times.shape
((3, 5, 8, 8, 1), (8, 8, 2), (5,))
>>> datasets.check_history(data, history=4, future=2)
Traceback (most recent call last):
...
pdes.datasets._schema.DatasetError: ...: trajectories have 5 frames, fewer than history 4 + future 2
"""

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from pdes.datasets._hdf5 import read
from pdes.datasets._schema import DatasetError

SPACE_COORDINATES = ("x-coordinate", "y-coordinate", "z-coordinate")


@dataclasses.dataclass(frozen=True)
class TrajectoryData:
    """Trajectories of one data set, channel-last, with their grid and times.

    Attributes:
        frames: ``[N, T, *space, C]`` float32.
        grid: node coordinates ``[*space, d]`` float32.
        times: frame times ``[T]``.
        attrs: the file's attributes (generator, parameters, seed, ...).
        path: the file, for messages.
    """

    frames: np.ndarray
    grid: np.ndarray
    times: np.ndarray
    attrs: dict[str, Any]
    path: str

    def __len__(self) -> int:
        return self.frames.shape[0]

    @property
    def n_frames(self) -> int:
        return self.frames.shape[1]

    def split(self, train: int, test: int) -> tuple["TrajectoryData", "TrajectoryData"]:
        """The first ``train`` trajectories and the last ``test`` ones (fixed, disjoint ranges)."""
        if train < 1 or test < 1 or train + test > len(self):
            raise DatasetError(
                f"{self.path}: cannot take {train} training and {test} test trajectories from "
                f"{len(self)} (need 1 <= each and train + test <= {len(self)})"
            )
        pick = lambda s: dataclasses.replace(self, frames=self.frames[s])
        return pick(slice(0, train)), pick(slice(len(self) - test, len(self)))


def check_history(data: TrajectoryData, history: int, future: int = 1) -> None:
    """Raise :class:`DatasetError` unless each trajectory holds ``history + future`` frames."""
    if history < 1 or future < 1:
        raise ValueError(f"history and future must be >= 1, got {history} and {future}")
    if data.n_frames < history + future:
        raise DatasetError(
            f"{data.path}: trajectories have {data.n_frames} frames, fewer than history "
            f"{history} + future {future}"
        )


def _array(arrays: dict[str, np.ndarray], path: str, name: str) -> np.ndarray:
    if name not in arrays:
        present = ", ".join(sorted(arrays)) or "none"
        raise DatasetError(f"{path}: no array {name!r} (arrays present: {present})")
    return arrays[name]


def _coordinate(arrays: dict[str, np.ndarray], path: str, name: str, size: int) -> np.ndarray:
    values = np.asarray(_array(arrays, path, name), np.float64).reshape(-1)
    if values.size < size:
        raise DatasetError(f"{path}: {name} has {values.size} entries, need {size}")
    return values[:size]


def load_trajectories(path: str | Path) -> TrajectoryData:
    """Read a trajectory file (layout in the module docstring).

    Raises:
        DatasetError: unreadable file, a missing or inconsistent array, fewer than two frames or
            non-finite values; one line naming the file.
    """
    ds = read(path)
    arrays = ds.arrays
    tensor = _array(arrays, ds.path, "tensor")
    stored = tensor.shape
    channels = ds.attrs.get("channels")
    if channels is not None and (tensor.ndim < 4 or tensor.shape[-1] != len(channels)):
        raise DatasetError(
            f"{ds.path}: the attribute channels names {len(channels)} fields {list(channels)} "
            f"but tensor has shape {tensor.shape} (need [N, T, *space, {len(channels)}])"
        )
    if channels is None:
        tensor = tensor[..., None]
    space = tensor.ndim - 3
    if not 1 <= space <= len(SPACE_COORDINATES):
        raise DatasetError(
            f"{ds.path}: trajectories need tensor [N, T, *space] with 1 to 3 space axes, got "
            f"{space} in shape {stored}"
        )
    if tensor.dtype.kind != "f":
        raise DatasetError(f"{ds.path}: tensor must be floating point, got {tensor.dtype}")
    if tensor.shape[0] < 1:
        raise DatasetError(f"{ds.path}: tensor {tensor.shape} holds no trajectory")
    if tensor.shape[1] < 2:
        raise DatasetError(
            f"{ds.path}: tensor {tensor.shape} has {tensor.shape[1]} frame(s) per trajectory; "
            "a trajectory needs at least 2"
        )
    axes = [
        _coordinate(arrays, ds.path, name, size)
        for name, size in zip(SPACE_COORDINATES, tensor.shape[2:-1], strict=False)
    ]
    times = _coordinate(arrays, ds.path, "t-coordinate", tensor.shape[1])
    bad = ~np.isfinite(tensor.reshape(tensor.shape[0], -1)).all(axis=1)
    if bad.any():
        raise DatasetError(
            f"{ds.path}: tensor has non-finite values (NaN or Inf) in {int(bad.sum())} "
            f"trajectories, the first is trajectory {int(np.argmax(bad))}"
        )
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).astype(np.float32)
    return TrajectoryData(
        frames=tensor.astype(np.float32),
        grid=grid,
        times=times,
        attrs=ds.attrs,
        path=ds.path,
    )
