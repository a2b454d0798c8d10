"""HDF5 I/O: round trips, atomic writes, clear errors on bad files, PDEBench layouts."""

import datetime
import os
import re

import h5py
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets
from pdes.datasets import DatasetError


def rng_arrays():
    rng = np.random.default_rng(0)
    return {
        "tensor": rng.standard_normal((2, 3, 4)).astype(np.float32),
        "x-coordinate": np.linspace(0.0, 1.0, 4),
        "seeds": np.arange(2, dtype=np.int64),
        "mask": np.array([True, False]),
        "scale": np.float64(2.5),  # a 0-d array
    }


ATTRS = {
    "generator": "burgers_fv",
    "seed": 7,
    "nu": 0.01,
    "periodic": True,
    "params": {"nu": 0.01, "grid": {"nx": 4, "bounds": [0.0, 1.0]}},
    "times": [0.0, 0.5, 1.0],
    "note": None,
}


def only_file(tmp_path, name):
    """Asserts the directory holds exactly ``name`` (no temporary leftovers)."""
    assert sorted(os.listdir(tmp_path)) == [name]


def test_round_trip_arrays_and_attrs(tmp_path):
    path = tmp_path / "data.h5"
    arrays = rng_arrays()
    datasets.write(path, arrays, ATTRS)
    only_file(tmp_path, "data.h5")

    ds = datasets.read(path, verify=True)
    assert set(ds.arrays) == set(arrays)
    for name, array in arrays.items():
        assert ds.arrays[name].dtype == array.dtype
        np.testing.assert_array_equal(ds.arrays[name], array)
    for name, value in ATTRS.items():
        assert ds.attrs[name] == value
        assert type(ds.attrs[name]) is type(value)
    assert ds.path == str(path)

    assert ds.attrs["format_version"] == datasets.FORMAT_VERSION
    created = datetime.datetime.fromisoformat(ds.attrs["created"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert re.fullmatch("[0-9a-f]{64}", ds.attrs["sha256"])
    assert ds.attrs["sha256"] == datasets.content_hash(arrays)
    assert ds.attrs["sciml_jax_version"]


def test_read_selected_keys_and_jax_input(tmp_path):
    path = tmp_path / "data.h5"
    datasets.write(path, {"a": jnp.arange(3.0), "b": np.zeros(2)}, {})
    ds = datasets.read(path, keys=["a"], verify=True)
    assert list(ds.arrays) == ["a"]
    np.testing.assert_array_equal(ds.arrays["a"], [0.0, 1.0, 2.0])


def test_hash_is_deterministic_and_content_sensitive():
    arrays = rng_arrays()
    reordered = dict(reversed(list(arrays.items())))
    assert datasets.content_hash(arrays) == datasets.content_hash(reordered)
    # Same bytes, different shape or dtype: different hash.
    a = np.zeros(4, np.float32)
    assert datasets.content_hash({"a": a}) != datasets.content_hash({"a": a.reshape(2, 2)})
    assert datasets.content_hash({"a": a}) != datasets.content_hash({"a": a.view(np.int32)})


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "data.h5"
    datasets.write(path, {"a": np.zeros(2)}, {"run": 1})
    datasets.write(path, {"b": np.ones(3)}, {"run": 2})
    ds = datasets.read(path)
    assert list(ds.arrays) == ["b"]
    assert ds.attrs["run"] == 2
    only_file(tmp_path, "data.h5")


@pytest.mark.parametrize(
    ("arrays", "attrs", "match"),
    [
        ({"a": np.array([object()])}, {}, "only numeric arrays"),
        ({"a": [[1.0, 2.0], [3.0]]}, {}, "inhomogeneous"),  # ragged: NumPy cannot convert
        ({"a/b": np.zeros(2)}, {}, "without '/'"),
        ({"a": np.zeros(2)}, {"sha256": "0"}, "reserved"),
        ({"a": np.zeros(2)}, {"f": lambda: 0}, "JSON cannot store"),
    ],
)
def test_unstorable_input_writes_nothing(tmp_path, arrays, attrs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        datasets.write(tmp_path / "data.h5", arrays, attrs)
    assert os.listdir(tmp_path) == []


def test_failure_mid_write_leaves_no_file(tmp_path, monkeypatch):
    """A failure after the first array is written: no target, no temporary file."""
    create = h5py.Group.create_dataset
    calls = []

    def failing_create(self, name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return create(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing_create)
    with pytest.raises(OSError, match="simulated"):
        datasets.write(tmp_path / "data.h5", {"a": np.zeros(2), "b": np.ones(2)}, {})
    assert len(calls) == 2
    assert os.listdir(tmp_path) == []


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "data.h5"
    datasets.write(path, {"a": np.zeros(2)}, {"run": 1})

    def failing_replace(src, dst):
        raise OSError("rename failed (simulated)")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        datasets.write(path, {"a": np.ones(2)}, {"run": 2})
    only_file(tmp_path, "data.h5")
    ds = datasets.read(path, verify=True)
    assert ds.attrs["run"] == 1
    np.testing.assert_array_equal(ds.arrays["a"], [0.0, 0.0])


def test_write_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.write(tmp_path / "nope" / "data.h5", {"a": np.zeros(2)}, {})


def assert_error(path, match, **kwargs):
    """read() raises one DatasetError line that names the file and matches ``match``."""
    with pytest.raises(DatasetError) as info:
        datasets.read(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert re.search(match, message), message
    return message


def test_missing_file_and_directory(tmp_path):
    assert_error(tmp_path / "absent.h5", "no such file")
    assert_error(tmp_path, "a directory")


def test_text_file_with_h5_name(tmp_path):
    path = tmp_path / "fake.h5"
    path.write_text("tensor,x\n1,2\n")
    assert_error(path, "not an HDF5 file")


def test_truncated_file(tmp_path):
    path = tmp_path / "data.h5"
    datasets.write(path, {"tensor": np.zeros((64, 64))}, {})
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    assert_error(path, "truncated")


def test_missing_key_lists_the_keys_present(tmp_path):
    path = tmp_path / "data.h5"
    datasets.write(path, {"tensor": np.zeros(2), "x-coordinate": np.zeros(2)}, {})
    assert_error(path, r"no array 'nu' \(arrays present: tensor, x-coordinate\)", keys=["nu"])


def test_verify_catches_a_modified_file(tmp_path):
    path = tmp_path / "data.h5"
    datasets.write(path, {"tensor": np.zeros((3, 4), np.float32)}, {})
    with h5py.File(path, "r+") as f:
        f["tensor"][1, 2] = 1e-3
    datasets.read(path)  # without verify the change goes unnoticed
    assert_error(path, "content hash mismatch .* corrupted or was modified", verify=True)


def test_verify_needs_a_stored_hash(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["tensor"] = np.zeros(3)
    assert_error(path, "no sha256 attribute", verify=True)


# PDEBench files, written the way its generation scripts write them: plain h5py, float32 fields,
# its own few attributes (Nu for Burgers, beta for Darcy), none of ours.
N, T, X, Y = 3, 4, 8, 6


def write_pdebench_burgers(path, u):
    with h5py.File(path, "w") as f:
        f.create_dataset("tensor", data=u)
        f.create_dataset("x-coordinate", data=(np.arange(X) + 0.5) / X)  # cell centres
        f.create_dataset("t-coordinate", data=np.arange(T + 1) * 0.05)  # one more than T
        f.attrs["Nu"] = 0.01


def write_pdebench_darcy(path, u, nu):
    with h5py.File(path, "w") as f:
        f.create_dataset("tensor", data=u)
        f.create_dataset("nu", data=nu)
        f.create_dataset("x-coordinate", data=np.linspace(0.0, 1.0, X))
        f.create_dataset("y-coordinate", data=np.linspace(0.0, 1.0, Y))
        f.attrs["beta"] = 1.0


def test_pdebench_burgers_layout(tmp_path):
    path = tmp_path / "1D_Burgers_Sols_Nu0.01.hdf5"
    u = np.random.default_rng(1).standard_normal((N, T, X)).astype(np.float32)
    write_pdebench_burgers(path, u)
    ds = datasets.read(path, schema=datasets.PDEBENCH_BURGERS_1D)
    assert ds.attrs == {"Nu": 0.01}
    fields = datasets.pdebench_to_channel_last(ds.arrays["tensor"], spatial_ndim=1)
    assert fields.shape == (N, T, X, 1)  # [B, T, *space, C]
    np.testing.assert_array_equal(fields[..., 0], u)
    np.testing.assert_array_equal(datasets.channel_last_to_pdebench(fields, 1), u)


def test_pdebench_darcy_layout(tmp_path):
    path = tmp_path / "2D_DarcyFlow_beta1.0_Train.hdf5"
    rng = np.random.default_rng(2)
    u = rng.standard_normal((N, 1, X, Y)).astype(np.float32)
    nu = rng.standard_normal((N, X, Y)).astype(np.float32)
    write_pdebench_darcy(path, u, nu)
    ds = datasets.read(path, schema=datasets.PDEBENCH_DARCY_2D)
    assert ds.attrs == {"beta": 1.0}

    solution = datasets.pdebench_to_channel_last(ds.arrays["tensor"], 2, stationary=True)
    coefficient = datasets.pdebench_to_channel_last(ds.arrays["nu"], 2)
    assert solution.shape == coefficient.shape == (N, X, Y, 1)  # [B, *space, C]
    np.testing.assert_array_equal(solution[2, 5, 3, 0], u[2, 0, 5, 3])
    np.testing.assert_array_equal(coefficient[..., 0], nu)
    np.testing.assert_array_equal(
        datasets.channel_last_to_pdebench(solution, 2, stationary=True), u
    )
    np.testing.assert_array_equal(datasets.channel_last_to_pdebench(coefficient, 2), nu)


def test_our_files_in_pdebench_layout_pass_the_schema(tmp_path):
    path = tmp_path / "darcy.h5"
    fields = np.zeros((N, X, Y, 1), np.float32)
    arrays = {
        "tensor": datasets.channel_last_to_pdebench(fields, 2, stationary=True),
        "nu": datasets.channel_last_to_pdebench(fields, 2),
        "x-coordinate": np.linspace(0.0, 1.0, X),
        "y-coordinate": np.linspace(0.0, 1.0, Y),
    }
    datasets.write(path, arrays, {"generator": "darcy"})
    datasets.read(path, schema=datasets.PDEBENCH_DARCY_2D, verify=True)


@pytest.mark.parametrize(
    ("tensor", "match"),
    [
        (np.zeros((N, X)), r"tensor must have 3 axes \[N, T, X\], got shape \(3, 8\)"),
        (np.zeros((N, T, X), np.int32), "tensor must be floating, got dtype int32"),
        (np.zeros((N, T, X + 1)), "x-coordinate has X=8 but tensor has X=9"),
    ],
)
def test_schema_errors_name_file_and_issue(tmp_path, tensor, match):
    path = tmp_path / "bad.h5"
    write_pdebench_burgers(path, tensor)
    assert_error(path, match, schema=datasets.PDEBENCH_BURGERS_1D)


def test_schema_missing_array_and_fixed_axis(tmp_path):
    path = tmp_path / "darcy.h5"
    write_pdebench_darcy(path, np.zeros((N, 2, X, Y), np.float32), np.zeros((N, X, Y)))
    assert_error(path, r"tensor must have shape \[N, 1, X, Y\]", schema=datasets.PDEBENCH_DARCY_2D)
    # The schema's arrays are required even when other keys are requested.
    path = tmp_path / "darcy_without_nu.h5"
    datasets.write(path, {"tensor": np.zeros((N, 1, X, Y)), "x-coordinate": np.zeros(X)}, {})
    message = assert_error(
        path, "no array 'nu'", keys=["tensor"], schema=datasets.PDEBENCH_DARCY_2D
    )
    assert "arrays present: tensor, x-coordinate" in message


def test_conversion_errors():
    with pytest.raises(ValueError, match=r"2 spatial axes, got shape \(3, 8\)"):
        datasets.pdebench_to_channel_last(np.zeros((N, X)), 2)
    with pytest.raises(ValueError, match="time axis of length 1"):
        datasets.pdebench_to_channel_last(np.zeros((N, 2, X, Y)), 2, stationary=True)
    with pytest.raises(ValueError, match="one channel"):
        datasets.channel_last_to_pdebench(np.zeros((N, X, Y, 2)), 2)
    with pytest.raises(ValueError, match="stationary data are"):
        datasets.channel_last_to_pdebench(np.zeros((N, T, X, Y, 1)), 2, stationary=True)
