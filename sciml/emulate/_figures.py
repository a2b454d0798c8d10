"""Figures of an emulation run: one test rollout against the truth, error against rollout step,
training curves."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sciml import _io

SNAPSHOTS = 4  # rollout frames shown, from the first to the last


def _save(fig: Figure, path: Path) -> None:
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def rollout(path: Path, truth: np.ndarray, prediction: np.ndarray, times: np.ndarray) -> None:
    """Truth, prediction and |error| of channel 0 at a few frames of one rollout ``[T, *space, C]``
    (images in 2-D, lines in 1-D)."""
    shown = np.unique(np.linspace(0, len(truth) - 1, SNAPSHOTS).round().astype(int))
    fig = Figure(figsize=(3.2 * len(shown), 8.4), layout="constrained")
    axes = np.array(fig.subplots(3, len(shown), squeeze=False))
    for column, t in enumerate(shown):
        rows = (
            ("truth", truth[t, ..., 0]),
            ("prediction", prediction[t, ..., 0]),
            ("|error|", np.abs(prediction[t, ..., 0] - truth[t, ..., 0])),
        )
        low, high = truth[t, ..., 0].min(), truth[t, ..., 0].max()
        for ax, (title, values) in zip(axes[:, column], rows, strict=True):
            if values.ndim == 1:
                ax.plot(values)
            else:
                error = title == "|error|"
                image = ax.imshow(
                    values.T,
                    origin="lower",
                    cmap="magma" if error else "viridis",
                    vmin=None if error else low,
                    vmax=None if error else high,
                )
                fig.colorbar(image, ax=ax)
            ax.set_title(f"{title}, rollout frame {t + 1} (t = {times[t]:.3g})")
    _save(fig, path)


def errors(path: Path, summary: dict) -> None:
    """Scaled L2 error of the rollout against its step, per channel, with the one-step error."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    per_channel = np.asarray(summary["rollout_per_step_per_channel"])
    steps = np.arange(1, len(per_channel) + 1)
    ax.semilogy(steps, summary["rollout_per_step"], "o-", label="rollout (mean)")
    if per_channel.shape[1] > 1:
        for c in range(per_channel.shape[1]):
            ax.semilogy(steps, per_channel[:, c], "--", label=f"channel {c}")
    ax.axhline(summary["one_step_rel_l2"], color="grey", ls=":", label="one step (true history)")
    ax.set(
        xlabel="rollout step",
        ylabel="scaled L2 error",
        title=f"rollout mean {summary['rollout_rel_l2']:.3g}",
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    _save(fig, path)


def curves(path: Path, history: list[dict], evaluations: list[dict]) -> None:
    """Training loss against step; test one-step and rollout errors against wall time."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.semilogy([r["step"] for r in history], [r["loss"] for r in history])
    left.set(xlabel="step", ylabel="training loss (scaled L2, normalised)")
    for key in ("test_one_step_rel_l2", "test_rollout_rel_l2"):
        rows = [r for r in evaluations if key in r]
        right.semilogy([r["wall_time"] for r in rows], [r[key] for r in rows], "o-", label=key)
    right.set(xlabel="wall time (s)", ylabel="test scaled L2")
    right.legend()
    _save(fig, path)


def save(
    directory: Path,
    truth: np.ndarray,
    prediction: np.ndarray,
    times: np.ndarray,
    summary: dict,
    history: list[dict],
    evaluations: list[dict],
) -> None:
    rollout(directory / "rollout.png", truth, prediction, times)
    errors(directory / "errors.png", summary)
    curves(directory / "curves.png", history, evaluations)
