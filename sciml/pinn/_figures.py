"""Figures of a PINN run: prediction, reference and error; loss and error curves."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pdes import Reference
from sciml import _io


def _save(fig: Figure, path: Path) -> None:
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def fields(path: Path, reference: Reference, prediction: np.ndarray) -> None:
    """Prediction, reference and |error| on the reference grid (2-D: image; 3-D: last time)."""
    values, predicted, axes = reference.values, prediction, reference.axes
    names = reference.names
    if values.ndim == 3:  # (t, x, y): show the final time
        values, predicted, axes, names = values[-1], predicted[-1], axes[1:], names[1:]
    fig = Figure(figsize=(13, 3.4), layout="constrained")
    panels = (
        ("prediction", predicted),
        ("reference", values),
        ("|error|", abs(predicted - values)),
    )
    for ax, (title, data) in zip(fig.subplots(1, 3), panels, strict=True):
        if data.ndim == 1:
            ax.plot(axes[0], data)
            ax.set(title=title, xlabel=names[0])
            continue
        image = ax.pcolormesh(
            axes[0],
            axes[1],
            data.T,
            shading="auto",
            cmap="magma" if title == "|error|" else "RdBu_r",
        )
        fig.colorbar(image, ax=ax)
        ax.set(title=title, xlabel=names[0], ylabel=names[1])
    _save(fig, path)


def curves(path: Path, history: list[dict], evaluations: list[dict]) -> None:
    """Loss terms against step, and relative L2 error against wall time."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    offset, last_stage = 0, None
    steps, keys = (
        [],
        sorted(
            {
                k
                for row in history
                for k in row
                if k in ("loss", "residual", "initial", "initial_rate") or k.startswith("boundary_")
            }
        ),
    )
    for row in history:
        if row.get("stage") != last_stage:
            offset, last_stage = (steps[-1] if steps else 0), row.get("stage")
        steps.append(offset + row["step"])
    for key in keys:
        left.semilogy(steps, [row.get(key, np.nan) for row in history], label=key)
    left.set(xlabel="step (all stages)", ylabel="loss", title="training loss")
    left.legend(fontsize=7)
    if evaluations:
        right.semilogy(
            [r["wall_time"] for r in evaluations], [r["rel_l2"] for r in evaluations], "o-"
        )
    right.set(xlabel="wall time [s]", ylabel="relative L2", title="error against the reference")
    _save(fig, path)


def save(directory: Path, reference, prediction, history, evaluations) -> None:
    fields(directory / "solution.png", reference, prediction)
    curves(directory / "training.png", history, evaluations)
