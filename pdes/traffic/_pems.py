r"""Traffic data in the PEMS layout: read, write, split, window and normalise.

The layout of PEMS03/04/07/08 (and of :func:`pdes.traffic.simulate_traffic`): an ``.npz`` whose
key ``data`` holds ``[T, N, F]`` readings at 5-minute steps (feature 0 is flow, vehicles per 5
minutes), and a distance CSV with a header row and rows ``from,to,cost`` (sensor indices
0…N−1, or sensor ids listed one per line in an id file, as PEMS03 ships them; road distance).
Every problem is one :class:`TrafficFormatError` line naming the file, and the line or index.

Samples follow STGODE and GRAM-ODE: window start i gives ``x = data[i : i+12]`` and
``y = data[i+12 : i+24, :, 0]``. The series is split in time 6:2:2 *before* windowing, so no
window crosses a split. Normalisation statistics (mean and std per feature) come from the
training split only: the official GRAM-ODE code z-scores each split with its own statistics and
de-normalises test predictions with test statistics, a leak not repeated here.
"""

import csv
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

STEP_MINUTES = 5.0
STEPS_PER_DAY = 288
HISTORY = HORIZON = 12
SPLIT = (0.6, 0.2, 0.2)


class TrafficFormatError(ValueError):
    """A traffic data file that cannot be used, described in one line."""


class TrafficData(NamedTuple):
    """Readings ``data [T, N, F]`` and road distances ``[N, N]`` (``inf`` where the CSV gives
    none; symmetric, as STGODE builds it)."""

    data: np.ndarray
    distances: np.ndarray


class Normaliser(NamedTuple):
    """Per-feature mean and std ``[F]`` of the training split."""

    mean: np.ndarray
    std: np.ndarray

    def normalise(self, x):
        """``(x - mean) / std`` over the last (feature) axis."""
        return (x - self.mean) / self.std

    def flow(self, y):
        """Normalised flow (feature 0) back to vehicles per 5 minutes."""
        return y * self.std[0] + self.mean[0]


def read_pems(data_path: Path | str, distance_path: Path | str, ids_path=None) -> TrafficData:
    """Read and check a PEMS-style ``.npz`` and its distance CSV.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> data = np.ones((40, 3, 1))
        >>> write_pems(folder, "toy", data, np.array([[0, 1, 2.5], [1, 2, 4.0]]))
        >>> road = read_pems(os.path.join(folder, "toy.npz"), os.path.join(folder, "toy.csv"))
        >>> road.data.shape, road.distances[1, 0], road.distances[0, 2]
        ((40, 3, 1), np.float64(2.5), np.float64(inf))
    """
    data_path, distance_path = Path(data_path), Path(distance_path)
    try:
        archive = np.load(data_path)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise TrafficFormatError(f"{data_path.name}: not an .npz archive (holds one array)")
        with archive:
            if "data" not in archive.files:
                raise TrafficFormatError(
                    f"{data_path.name}: no array 'data' (has {', '.join(archive.files) or 'none'})"
                )
            data = np.asarray(archive["data"])
    except (OSError, ValueError) as error:
        if isinstance(error, TrafficFormatError):
            raise
        raise TrafficFormatError(f"{data_path}: cannot read as .npz ({error})") from error
    if data.ndim == 2:  # PEMSD7-style files store [T, N]: one feature
        data = data[:, :, None]
    if data.ndim != 3:
        raise TrafficFormatError(
            f"{data_path.name}: 'data' must be [T, N, F] (time, sensors, features), "
            f"got shape {data.shape}"
        )
    if not np.issubdtype(data.dtype, np.number):
        raise TrafficFormatError(f"{data_path.name}: 'data' is {data.dtype}, not numbers")
    data = data.astype(np.float64)
    bad = ~np.isfinite(data)
    if bad.any():
        t, n, f = (int(i[0]) for i in np.nonzero(bad))
        raise TrafficFormatError(
            f"{data_path.name}: data[{t}, {n}, {f}] is {data[t, n, f]} (step {t}, sensor {n})"
        )
    ids = None if ids_path is None else _read_ids(Path(ids_path))
    if ids is not None and len(ids) != data.shape[1]:
        raise TrafficFormatError(
            f"{Path(ids_path).name}: lists {len(ids)} sensors, the data has {data.shape[1]}"
        )
    return TrafficData(data, _read_distances(distance_path, data.shape[1], ids))


def _read_ids(path: Path) -> dict[str, int]:
    try:
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as error:
        raise TrafficFormatError(f"{path}: cannot read ({error.strerror})") from error
    return {sensor: i for i, sensor in enumerate(lines)}


def _read_distances(path: Path, sensors: int, ids: dict[str, int] | None) -> np.ndarray:
    try:
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
    except OSError as error:
        raise TrafficFormatError(f"{path}: cannot read ({error.strerror})") from error
    if not rows:
        raise TrafficFormatError(f"{path.name}: empty file (expected a header 'from,to,cost')")
    distances = np.full((sensors, sensors), np.inf)
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3:
            raise TrafficFormatError(
                f"{path.name}: line {line} has {len(row)} fields, expected from,to,cost"
            )
        ends = [_sensor(text.strip(), sensors, ids, path.name, line) for text in row[:2]]
        try:
            cost = float(row[2])
        except ValueError:
            raise TrafficFormatError(
                f"{path.name}: line {line}: cost {row[2]!r} is not a number"
            ) from None
        if not np.isfinite(cost) or cost < 0:
            raise TrafficFormatError(f"{path.name}: line {line}: cost {cost} is not a distance")
        distances[ends[0], ends[1]] = distances[ends[1], ends[0]] = cost
    return distances


def _sensor(text: str, sensors: int, ids: dict[str, int] | None, name: str, line: int) -> int:
    if ids is not None:
        if text not in ids:
            raise TrafficFormatError(f"{name}: line {line}: sensor {text!r} is not in the id list")
        return ids[text]
    try:
        index = int(float(text))
    except (ValueError, OverflowError):
        raise TrafficFormatError(f"{name}: line {line}: sensor {text!r} is not an index") from None
    if not 0 <= index < sensors or index != float(text):
        raise TrafficFormatError(
            f"{name}: line {line}: sensor {text} is unknown (the data has sensors 0-{sensors - 1})"
        )
    return index


def write_pems(folder: Path | str, name: str, data, edges) -> None:
    """``folder/name.npz`` (key ``data``) and ``folder/name.csv`` (``from,to,cost`` rows of
    ``edges [E, 3]``), each written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def atomic(path: Path, write) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    atomic(folder / f"{name}.npz", lambda f: np.savez(f, data=np.asarray(data)))
    lines = ["from,to,cost"] + [f"{int(a)},{int(b)},{c:.6g}" for a, b, c in np.asarray(edges)]
    atomic(folder / f"{name}.csv", lambda f: f.write(("\n".join(lines) + "\n").encode()))


def split(data: np.ndarray, fractions=SPLIT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chronological train / validation / test parts of ``data [T, ...]`` (6:2:2)."""
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) <= 0:
        raise ValueError(
            f"split fractions must be three positive numbers summing to 1: {fractions}"
        )
    steps = data.shape[0]
    first = int(steps * fractions[0])
    second = int(steps * (fractions[0] + fractions[1]))
    parts = (data[:first], data[first:second], data[second:])
    for part, label in zip(parts, ("training", "validation", "test"), strict=True):
        check_windows(part.shape[0], label)
    return parts


def check_windows(steps: int, label: str = "series", history=HISTORY, horizon=HORIZON) -> int:
    """The number of windows in ``steps`` time steps; an error if not even one fits."""
    count = steps - history - horizon + 1
    if count < 1:
        raise TrafficFormatError(
            f"the {label} has {steps} time steps, fewer than one window of "
            f"{history} in + {horizon} out"
        )
    return count


def fit_normaliser(train: np.ndarray) -> Normaliser:
    """Per-feature mean and std of the training split ``[T, N, F]`` (std floored at 1e-8 for a
    constant feature)."""
    mean = train.mean(axis=(0, 1))
    std = np.maximum(train.std(axis=(0, 1)), 1e-8)
    return Normaliser(mean, std)


def windows(series: np.ndarray, history=HISTORY, horizon=HORIZON):
    """All samples of one split, materialised: ``x [S, N, history, F]``, ``y [S, N, horizon]``
    (flow). Training code gathers windows by start index instead (:func:`window_starts`)."""
    starts = window_starts(series.shape[0], history, horizon)
    x = np.stack([series[s : s + history] for s in starts]).transpose(0, 2, 1, 3)
    y = np.stack([series[s + history : s + history + horizon, :, 0] for s in starts])
    return x, y.transpose(0, 2, 1)


def window_starts(steps: int, history=HISTORY, horizon=HORIZON) -> np.ndarray:
    """Start indices of every window of a split of ``steps`` steps."""
    return np.arange(check_windows(steps, "series", history, horizon))
