"""Figures of an operator run: input, truth, prediction and error of test samples; curves."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pdes.datasets import OperatorData
from sciml import _io

SAMPLES = 3  # test samples shown


def _save(fig: Figure, path: Path) -> None:
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def samples(path: Path, test: OperatorData, prediction: np.ndarray) -> None:
    """One row per test sample: input, truth, prediction, |error| (images in 2-D, lines in 1-D)."""
    rows = min(SAMPLES, len(test))
    fig = Figure(figsize=(13, 3.0 * rows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, 4))
    for i in range(rows):
        truth, guess = test.outputs[i, ..., 0], prediction[i, ..., 0]
        panels = (
            ("input", test.inputs[i, ..., 0], test.input_grid),
            ("truth", truth, test.output_grid),
            ("prediction", guess, test.output_grid),
            ("|error|", np.abs(guess - truth), test.output_grid),
        )
        for ax, (title, values, grid) in zip(axes[i], panels, strict=True):
            if values.ndim == 1:
                ax.plot(grid[..., 0], values)
            else:
                image = ax.imshow(
                    values.T, origin="lower", cmap="magma" if title == "|error|" else "viridis"
                )
                fig.colorbar(image, ax=ax)
            ax.set_title(f"{title} (test {i})")
    _save(fig, path)


def curves(path: Path, history: list[dict], evaluations: list[dict]) -> None:
    """Training loss against step and test relative L2 against wall time."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    for key in ("loss", "data", "physics"):
        rows = [r for r in history if key in r]
        if rows:
            left.semilogy([r["step"] for r in rows], [r[key] for r in rows], label=key)
    left.set(xlabel="step", ylabel="training loss")
    left.legend()
    if evaluations:
        right.semilogy(
            [r["wall_time"] for r in evaluations], [r["test_rel_l2"] for r in evaluations], "o-"
        )
    right.set(xlabel="wall time (s)", ylabel="test relative L2")
    _save(fig, path)


def save(
    directory: Path,
    test: OperatorData,
    prediction: np.ndarray,
    history: list[dict],
    evaluations: list[dict],
) -> None:
    samples(directory / "samples.png", test, prediction)
    curves(directory / "curves.png", history, evaluations)
