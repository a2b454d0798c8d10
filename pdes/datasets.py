r"""HDF5 data sets: atomic writes, safe reads, schema checks and PDEBench layouts.

A data set file holds named arrays at its top level and attributes, with PDEBench's names where
PDEBench has them (``tensor``, ``nu``, ``x-coordinate``, ``y-coordinate``, ``t-coordinate``), so
real PDEBench files of the same layout load with the same code. PDEBench stores scalar fields
without a channel axis, this project channel-last (DESIGN.md section 3):

=====================  ======================  ============================================
data                   PDEBench                here
=====================  ======================  ============================================
1-D Burgers            ``tensor [N, T, X]``    ``[N, T, X, 1]``
2-D Darcy solution     ``tensor [N, 1, X, Y]`` ``[N, X, Y, 1]`` (``stationary=True``)
2-D Darcy coefficient  ``nu [N, X, Y]``        ``[N, X, Y, 1]``
=====================  ======================  ============================================

PDEBench's 1-D ``t-coordinate`` has one entry more than ``tensor`` has time steps; the schemas
below do not tie the two lengths together.

:func:`write` is atomic: it writes a temporary file in the target directory, flushes and syncs it,
then renames it over the target; on any error the temporary file is removed and the target is
left as it was. It adds the attributes ``format_version``, ``created`` (UTC, ISO 8601),
``sciml_jax_version`` and ``sha256``, a hash of the arrays that ``read(..., verify=True)``
checks. Attributes that are not strings or scalars are stored as JSON strings and decoded on
read. Nothing is ever unpickled. Every problem with a file is a :class:`DatasetError`, one line
that names the file.

>>> import os, tempfile
>>> import numpy as np
>>> from pdes import datasets
>>> path = os.path.join(tempfile.mkdtemp(), "burgers.h5")
>>> u = np.zeros((2, 3, 8), np.float32)  # [N, T, X]
>>> datasets.write(path, {"tensor": u, "x-coordinate": np.linspace(0, 1, 8),
...                       "t-coordinate": np.linspace(0, 1, 4)}, {"params": {"nu": 0.01}})
>>> ds = datasets.read(path, schema=datasets.PDEBENCH_BURGERS_1D, verify=True)
>>> ds.attrs["params"], datasets.pdebench_to_channel_last(ds.arrays["tensor"], 1).shape
({'nu': 0.01}, (2, 3, 8, 1))
"""

import contextlib
import dataclasses
import datetime
import hashlib
import importlib.metadata
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import ArrayLike

FORMAT_VERSION = 1
_JSON_ATTRS = "json_attrs"  # names of the attributes stored as JSON strings
_AUTO_ATTRS = ("format_version", "created", "sciml_jax_version", "sha256", _JSON_ATTRS)
_STORABLE_KINDS = "biufc"  # boolean and numeric arrays: all that HDF5 stores without conversion
_KIND_NAMES = {"b": "boolean", "i": "integer", "u": "unsigned", "f": "floating", "c": "complex"}


class DatasetError(ValueError):
    """A data set file is missing, unreadable, corrupted or not of the expected layout."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Arrays and attributes read from one file (``path`` is used in error messages)."""

    arrays: dict[str, np.ndarray]
    attrs: dict[str, Any]
    path: str = "<memory>"


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


def _library_version() -> str:
    try:
        return importlib.metadata.version("sciml-jax")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def content_hash(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the arrays in sorted name order: name, dtype, shape, then C-order bytes."""
    hasher = hashlib.sha256()
    for name in sorted(arrays):
        a = np.asarray(arrays[name], order="C")
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)  # the same hash on any machine
        hasher.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        hasher.update(a.data)
    return hasher.hexdigest()


def _prepare_array(name: Any, value: ArrayLike) -> np.ndarray:
    if not isinstance(name, str) or not name or "/" in name or name == ".":
        raise ValueError(f"array name {name!r} must be a non-empty string without '/'")
    array = np.asarray(value)
    if array.dtype.kind not in _STORABLE_KINDS:
        raise TypeError(f"array {name!r} has dtype {array.dtype}; only numeric arrays are stored")
    return array


def _encode_attr(name: str, value: Any) -> tuple[Any, bool]:
    """Returns the value as stored and whether it was JSON-encoded."""
    if isinstance(value, str | bool | int | float | np.bool_ | np.number):
        return value, False

    def default(x: Any) -> Any:
        if isinstance(x, np.generic | np.ndarray) or hasattr(x, "__array__"):
            return np.asarray(x).tolist()
        raise TypeError(f"attribute {name!r} holds a {type(x).__name__}, which JSON cannot store")

    return json.dumps(value, default=default, sort_keys=True), True


def write(
    path: str | os.PathLike, arrays: Mapping[str, ArrayLike], attrs: Mapping[str, Any]
) -> None:
    """Writes named arrays and attributes to an HDF5 file, atomically.

    Args:
        path: The target file; it is replaced if it exists. Its directory must exist.
        arrays: Numeric arrays (NumPy, JAX or nested lists) by name, e.g. ``tensor``.
        attrs: Generator, parameters, seed and so on. Strings and scalars are stored as HDF5
            attributes; lists, dicts and ``None`` as JSON strings. ``format_version``,
            ``created``, ``sciml_jax_version``, ``sha256`` and ``json_attrs`` are set here.

    Raises:
        ValueError, TypeError: An array or attribute cannot be stored; nothing is written.
        OSError: The file system failed; the target is unchanged and no temporary file remains.

    >>> import tempfile
    >>> write(os.path.join(tempfile.mkdtemp(), "d.h5"), {"nu": np.ones((4, 8, 8))}, {"seed": 0})
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: directory {path.parent} does not exist")
    prepared = {name: _prepare_array(name, value) for name, value in arrays.items()}
    encoded, json_names = {}, []
    for name, value in attrs.items():
        if not isinstance(name, str) or name in _AUTO_ATTRS:
            raise ValueError(f"attribute name {name!r} is reserved or not a string")
        encoded[name], is_json = _encode_attr(name, value)
        if is_json:
            json_names.append(name)
    encoded |= {
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "sciml_jax_version": _library_version(),
        "sha256": content_hash(prepared),
        _JSON_ATTRS: json.dumps(sorted(json_names)),
    }
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with h5py.File(tmp, "x") as f:
            for name, array in prepared.items():
                f.create_dataset(name, data=array)
            f.attrs.update(encoded)
            f.flush()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _decode_attr(value: Any, is_json: bool) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if is_json:
        return json.loads(value)
    return value.item() if isinstance(value, np.generic) else value


def _read_file(f: h5py.File, path: Path, keys: Iterable[str] | None, verify: bool) -> Dataset:
    present = sorted(k for k in f if isinstance(f[k], h5py.Dataset))
    wanted = present if keys is None else list(keys)
    for key in wanted:
        if key not in f or not isinstance(f[key], h5py.Dataset):
            raise DatasetError(
                f"{path}: no array {key!r} (arrays present: {', '.join(present) or 'none'})"
            )
    raw = dict(f.attrs)
    try:
        json_names = set(json.loads(_decode_attr(raw.pop(_JSON_ATTRS, "[]"), False)))
        attrs = {name: _decode_attr(value, name in json_names) for name, value in raw.items()}
    except (json.JSONDecodeError, TypeError) as error:
        raise DatasetError(f"{path}: an attribute is not valid JSON ({error})") from error
    arrays = {key: np.asarray(f[key][()]) for key in (present if verify else wanted)}
    if verify:
        if "sha256" not in attrs:
            raise DatasetError(f"{path}: no sha256 attribute to verify (not written by write())")
        computed = content_hash(arrays)
        if computed != attrs["sha256"]:
            raise DatasetError(
                f"{path}: content hash mismatch (stored {attrs['sha256'][:12]}..., computed "
                f"{computed[:12]}...): the file is corrupted or was modified"
            )
    return Dataset({key: arrays[key] for key in wanted}, attrs, str(path))


def read(
    path: str | os.PathLike,
    keys: Iterable[str] | None = None,
    *,
    schema: Schema | None = None,
    verify: bool = False,
) -> Dataset:
    """Reads arrays and attributes from an HDF5 file (a PDEBench file or one from :func:`write`).

    Args:
        path: The file.
        keys: Arrays to load; ``None`` loads every array at the top level.
        schema: If given, its arrays are loaded too and the result is checked with
            :func:`validate`.
        verify: Recompute the ``sha256`` content hash and compare it with the stored one.

    Raises:
        DatasetError: The file is missing, not HDF5, truncated, lacks a key, fails the hash
            check or does not match ``schema``; the message names the file and the problem.
    """
    path = Path(path)
    if schema is not None and keys is not None:
        keys = list(dict.fromkeys([*keys, *schema]))
    if not path.is_file():
        raise DatasetError(
            f"{path}: " + ("a directory, not a file" if path.is_dir() else "no such file")
        )
    try:
        if not h5py.is_hdf5(path):
            raise DatasetError(f"{path}: not an HDF5 file")
        with h5py.File(path, "r") as f:
            dataset = _read_file(f, path, keys, verify)
    except (OSError, RuntimeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatasetError(
            f"{path}: unreadable HDF5 file, truncated or corrupted ({detail})"
        ) from error
    if schema is not None:
        validate(dataset, schema)
    return dataset


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


__all__ = [
    "PDEBENCH_BURGERS_1D",
    "PDEBENCH_DARCY_2D",
    "ArraySpec",
    "Dataset",
    "DatasetError",
    "Schema",
    "channel_last_to_pdebench",
    "content_hash",
    "pdebench_to_channel_last",
    "read",
    "validate",
    "write",
]
