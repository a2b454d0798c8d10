"""Figures of a forecasting run: forecasts against the truth at a few sensors over the first two
test days, the same around an incident when the data records one in the test split, and the
training curves."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sciml import _io

HISTORY = 12
SHOWN = 3  # sensors in the forecast figure
DAYS = 2


def _save(fig: Figure, path: Path) -> None:
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _series(values: np.ndarray, sensor: int, horizon: int, offset: int):
    """Times (5-minute steps of the whole series) and values of the ``horizon``-step forecasts
    (or truths) of every test window at ``sensor``."""
    windows = values.shape[0]
    times = offset + np.arange(windows) + HISTORY + horizon - 1
    return times, values[:, sensor, horizon - 1]


def save(folder, predicted, truth, offset: int, incidents, history, evaluations) -> None:
    folder = Path(folder)
    shown = min(SHOWN, truth.shape[1])
    busy = np.argsort(truth[:, :, 0].std(axis=0))[-shown:][::-1]
    fig = Figure(figsize=(11, 2.6 * shown), layout="constrained")
    axes = np.atleast_1d(fig.subplots(shown, 1, sharex=True))
    for ax, sensor in zip(axes, busy, strict=True):
        t, y = _series(truth, sensor, 1, offset)
        keep = t < offset + DAYS * 288
        ax.plot(t[keep] / 288, y[keep], "k-", lw=1.0, label="truth")
        for horizon, style in ((3, "C0-"), (12, "C3--")):
            t, p = _series(predicted, sensor, horizon, offset)
            keep = t < offset + DAYS * 288
            ax.plot(t[keep] / 288, p[keep], style, lw=0.9, label=f"{5 * horizon} min ahead")
        ax.set_ylabel(f"sensor {sensor}\nflow / 5 min")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("day")
    _save(fig, folder / "forecast.png")
    inside = [i for i in incidents if offset + HISTORY <= i["start"] - 24 and
              i["end"] + 24 < offset + predicted.shape[0] + HISTORY]  # fmt: skip
    if inside:
        incident = max(inside, key=lambda i: truth[:, i["sensor"], 0].std())
        sensor, a, b = incident["sensor"], incident["start"] - 24, incident["end"] + 36
        fig = Figure(figsize=(8, 3.2), layout="constrained")
        ax = fig.subplots()
        t, y = _series(truth, sensor, 1, offset)
        keep = (t >= a) & (t < b)
        ax.plot(t[keep] * 5 / 60, y[keep], "k-", label="truth")
        for horizon, style in ((3, "C0-"), (12, "C3--")):
            t, p = _series(predicted, sensor, horizon, offset)
            keep = (t >= a) & (t < b)
            ax.plot(t[keep] * 5 / 60, p[keep], style, label=f"{5 * horizon} min ahead")
        ax.axvspan(incident["start"] * 5 / 60, incident["end"] * 5 / 60, color="0.85",
                   label=f"incident (capacity × {incident['capacity_factor']:.2f})")  # fmt: skip
        ax.set_xlabel("hour of the series")
        ax.set_ylabel(f"sensor {sensor}: flow / 5 min")
        ax.legend(fontsize=7)
        _save(fig, folder / "incident.png")
    if history:
        fig = Figure(figsize=(7, 3.2), layout="constrained")
        ax = fig.subplots()
        ax.semilogy([r["step"] for r in history], [r["loss"] for r in history], label="loss")
        if evaluations:
            twin = ax.twinx()
            twin.plot([r["step"] for r in evaluations], [r["val_mae"] for r in evaluations],
                      "C1o-", label="validation MAE")  # fmt: skip
            twin.set_ylabel("validation MAE")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        _save(fig, folder / "training.png")
