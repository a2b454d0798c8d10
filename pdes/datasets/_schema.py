r"""Expected array layouts and PDEBench's conventions (see :mod:`pdes.datasets`)."""

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


class DatasetError(ValueError):
    """A data set file is missing, unreadable, corrupted or not of the expected layout."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Arrays and attributes read from one file (``path`` is used in error messages)."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]
    path: str = "<memory>"


_KIND_NAMES = {"b": "boolean", "i": "integer", "u": "unsigned", "f": "floating", "c": "complex"}


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    """The expected layout of one array: ``ArraySpec("N T X")`` is a 3-axis float array.

    Axes with the same name must have the same size across the arrays of a schema.
    ``kind`` holds the allowed NumPy dtype kinds (``"f"`` float, ``"iu"`` integer, ...).
    """

    axes: str
    kind: str = "f"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.axes.split())


Schema = Mapping[str, ArraySpec]

PDEBENCH_BURGERS_1D: Schema = {
    "tensor": ArraySpec("N T X"),
    "x-coordinate": ArraySpec("X"),
    "t-coordinate": ArraySpec("T+1"),  # PDEBench writes T + 1 times; not tied to T
}
PDEBENCH_DARCY_2D: Schema = {
    "tensor": ArraySpec("N 1 X Y"),
    "nu": ArraySpec("N X Y"),
    "x-coordinate": ArraySpec("X"),
    "y-coordinate": ArraySpec("Y"),
}


def validate(dataset: Dataset, schema: Schema) -> None:
    """Checks that ``dataset`` has the arrays of ``schema`` with the right axes and dtype kind.

    Raises:
        DatasetError: e.g. ``"f.h5: tensor must have 3 axes [N, T, X], got shape (4, 5)"``.
    """
    sizes: dict[str, tuple[str, int]] = {}
    for key, spec in schema.items():
        if key not in dataset.arrays:
            present = ", ".join(sorted(dataset.arrays)) or "none"
            raise DatasetError(f"{dataset.path}: no array {key!r} (arrays present: {present})")
        array, names = dataset.arrays[key], spec.names
        if array.ndim != len(names):
            raise DatasetError(
                f"{dataset.path}: {key} must have {len(names)} "
                f"ax{'is' if len(names) == 1 else 'es'} [{', '.join(names)}], "
                f"got shape {array.shape}"
            )
        if array.dtype.kind not in spec.kind:
            kinds = " or ".join(_KIND_NAMES.get(k, k) for k in spec.kind)
            raise DatasetError(f"{dataset.path}: {key} must be {kinds}, got dtype {array.dtype}")
        for name, size in zip(names, array.shape, strict=True):
            if name.isdigit() and size != int(name):
                raise DatasetError(
                    f"{dataset.path}: {key} must have shape [{', '.join(names)}], "
                    f"got shape {array.shape}"
                )
            other = sizes.setdefault(name, (key, size))
            if other[1] != size:
                raise DatasetError(
                    f"{dataset.path}: {key} has {name}={size} but {other[0]} has {name}={other[1]}"
                )


def pdebench_to_channel_last(
    tensor: ArrayLike, spatial_ndim: int, *, stationary: bool = False
) -> np.ndarray:
    """Converts a PDEBench scalar array to this project's channel-last layout.

    ``[N, *space]`` becomes ``[N, *space, 1]`` (e.g. Darcy ``nu``); ``[N, T, *space]`` becomes
    ``[N, T, *space, 1]`` (e.g. Burgers ``tensor``), or ``[N, *space, 1]`` when ``stationary``
    (Darcy ``tensor``, whose time axis has length 1).

    >>> pdebench_to_channel_last(np.zeros((5, 1, 8, 8)), 2, stationary=True).shape
    (5, 8, 8, 1)
    """
    tensor = np.asarray(tensor)
    if tensor.ndim == spatial_ndim + 2:
        if stationary:
            if tensor.shape[1] != 1:
                raise ValueError(
                    f"stationary data need a time axis of length 1, got {tensor.shape}"
                )
            tensor = tensor[:, 0]
        return tensor[..., None]
    if tensor.ndim == spatial_ndim + 1 and not stationary:
        return tensor[..., None]
    raise ValueError(
        f"expected PDEBench layout [N, *space] or [N, T, *space] with {spatial_ndim} spatial "
        f"axes, got shape {tensor.shape}"
    )


def channel_last_to_pdebench(
    array: ArrayLike, spatial_ndim: int, *, stationary: bool = False
) -> np.ndarray:
    """Inverse of :func:`pdebench_to_channel_last`; the channel axis must have size 1.

    ``[N, *space, 1]`` becomes ``[N, *space]``, or ``[N, 1, *space]`` when ``stationary``;
    ``[N, T, *space, 1]`` becomes ``[N, T, *space]``.
    """
    array = np.asarray(array)
    if array.ndim not in (spatial_ndim + 2, spatial_ndim + 3) or array.shape[-1] != 1:
        raise ValueError(
            f"expected [N, *space, 1] or [N, T, *space, 1] with {spatial_ndim} spatial axes "
            f"and one channel, got shape {array.shape}"
        )
    if stationary and array.ndim != spatial_ndim + 2:
        raise ValueError(f"stationary data are [N, *space, 1], got shape {array.shape}")
    array = array[..., 0]
    return array[:, None] if stationary else array
