r"""HDF5 files: atomic writes, safe reads, content hashes (see :mod:`pdes.datasets`)."""

import contextlib
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

from pdes.datasets._schema import Dataset, DatasetError, Schema, validate

FORMAT_VERSION = 1
_JSON_ATTRS = "json_attrs"  # names of the attributes stored as JSON strings
_AUTO_ATTRS = ("format_version", "created", "sciml_jax_version", "sha256", _JSON_ATTRS)
_STORABLE_KINDS = "biufc"  # boolean and numeric arrays: all that HDF5 stores without conversion


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
