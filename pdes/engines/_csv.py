"""Users' own engine measurements from CSV, validated on load.

The file has a header row and one row per sample: ``time`` (s), the commands ``n_e`` (rpm),
``u_delta`` (mg per cycle and cylinder), ``u_egr`` and ``u_vgt`` (%), and any of the measured
signals ``p_im``, ``p_em`` (Pa), ``omega_t`` (rad/s), ``W_egr``, ``W_c`` (kg/s). Every problem is
one :class:`MeasurementError` line naming the file, the column and the line: a missing or
misnamed column (with the closest known name), a value that is not a number, time that does not
increase, or a value no engine can have.
"""

import csv
import difflib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pdes.engines._commands import EngineCommands

COMMAND_COLUMNS = ("n_e", "u_delta", "u_egr", "u_vgt")
MEASURED_COLUMNS = ("p_im", "p_em", "omega_t", "W_egr", "W_c")
PHYSICAL_RANGES = {
    "n_e": (0.0, 5000.0),  # rpm: a heavy-duty diesel stays far below 5000
    "u_delta": (0.0, 500.0),  # mg per cycle and cylinder: twice the model's saturation
    "u_egr": (0.0, 100.0),  # % of valve travel
    "u_vgt": (0.0, 100.0),
    "p_im": (1e4, 5e6),  # Pa: 0.1 to 50 bar absolute
    "p_em": (1e4, 5e6),
    "omega_t": (0.0, 200_000 * np.pi / 30),  # rad/s: 0 to 200 000 rpm
    "W_egr": (0.0, 5.0),  # kg/s: flows do not reverse
    "W_c": (0.0, 5.0),
}


class MeasurementError(ValueError):
    """A measurement file that cannot be used, described in one line."""


class Measurements(NamedTuple):
    """A measured window: the command history and the measured signals at the sample times."""

    time: np.ndarray
    commands: EngineCommands
    signals: dict[str, np.ndarray]


def read_measurements(path: Path | str) -> Measurements:
    """Read and validate a measurement CSV (see the module docstring for the columns).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "window.csv")
        >>> with open(path, "w") as f:
        ...     _ = f.write("time,n_e,u_delta,u_egr,u_vgt,p_im\\n0,1500,110,80,75,149592\\n"
        ...                 "0.1,1500,110,80,75,149590\\n")
        >>> m = read_measurements(path)
        >>> sorted(m.signals), m.time.tolist()
        (['p_im'], [0.0, 0.1])
        >>> with open(path, "w") as f:
        ...     _ = f.write("time,n_e,u_delta,u_egr,vgt\\n0,1500,110,80,75\\n")
        >>> read_measurements(path)
        Traceback (most recent call last):
        ...
        pdes.engines._csv.MeasurementError: window.csv: unknown column 'vgt' (did you mean 'u_vgt'?)
    """
    path = Path(path)
    name = path.name
    try:
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
    except OSError as error:
        raise MeasurementError(f"{path}: cannot read ({error.strerror})") from error
    if not rows:
        raise MeasurementError(f"{name}: empty file")
    header = [h.strip() for h in rows[0]]
    known = ("time", *COMMAND_COLUMNS, *MEASURED_COLUMNS)
    for column in header:
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1, cutoff=0.4)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
            raise MeasurementError(f"{name}: unknown column {column!r}{hint}")
    for column in ("time", *COMMAND_COLUMNS):
        if column not in header:
            raise MeasurementError(f"{name}: missing column {column!r}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise MeasurementError(f"{name}: column {duplicated[0]!r} appears twice")
    if len(rows) < 3:
        raise MeasurementError(f"{name}: needs at least two samples, has {len(rows) - 1}")
    values = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:]):
        line = i + 2
        if len(row) != len(header):
            raise MeasurementError(
                f"{name}: line {line} has {len(row)} fields, the header has {len(header)}"
            )
        for j, text in enumerate(row):
            try:
                values[i, j] = float(text)
            except ValueError:
                raise MeasurementError(
                    f"{name}: column {header[j]!r}, line {line}: {text!r} is not a number"
                ) from None
            if not np.isfinite(values[i, j]):
                raise MeasurementError(
                    f"{name}: column {header[j]!r}, line {line}: {text.strip()} is not finite"
                )
    columns = {c: values[:, j] for j, c in enumerate(header)}
    time = columns["time"]
    steps = np.diff(time)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        raise MeasurementError(
            f"{name}: column 'time', line {i + 2}: {time[i]:g} does not increase "
            f"(previous {time[i - 1]:g})"
        )
    for column, (low, high) in PHYSICAL_RANGES.items():
        if column in columns:
            bad = (columns[column] < low) | (columns[column] > high)
            if np.any(bad):
                i = int(np.argmax(bad))
                raise MeasurementError(
                    f"{name}: column {column!r}, line {i + 2}: {columns[column][i]:g} is outside "
                    f"the physical range [{low:g}, {high:g}]"
                )
    commands = EngineCommands.piecewise(time, np.stack([columns[c] for c in COMMAND_COLUMNS], 1))
    signals = {c: columns[c] for c in MEASURED_COLUMNS if c in columns}
    return Measurements(time, commands, signals)


def write_measurements(path: Path | str, time, commands, signals: dict) -> None:
    """Write a window in the same CSV layout (time, the four commands, then measured signals)."""
    header = ["time", *COMMAND_COLUMNS, *signals]
    table = np.column_stack([time, commands, *[signals[k] for k in signals]])
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[repr(float(v)) for v in row] for row in table])
    temporary.replace(path)
