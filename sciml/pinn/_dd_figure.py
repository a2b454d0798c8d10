"""The figure of one multi-domain PINN: composite solution with the interfaces drawn, its error
against the reference, and the jump u_{k+1} − u_k along each interface."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sciml import _io


def save(path: Path, trainer, stage, jumps: np.ndarray, title: str) -> None:
    """``stage`` holds one arm; the grid is the family's 101 × 101 reference grid."""
    d = trainer.decomposition
    shape = (101, 101)
    grid = np.asarray(trainer.grid).reshape(*shape, 2)
    predicted = stage.predicted[0].reshape(shape)
    error = np.abs(predicted - stage.reference.reshape(shape))
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, values, label in ((axes[0], predicted, "composite u"), (axes[1], error, "|u − ref|")):
        image = ax.pcolormesh(grid[..., 1], grid[..., 0], values, shading="auto", cmap="viridis")
        fig.colorbar(image, ax=ax)
        for edge in d.edges[1:-1]:
            (ax.axhline if d.axis == 0 else ax.axvline)(edge, color="w", ls="--", lw=1)
        ax.set(xlabel=trainer.axis_names[1], ylabel=trainer.axis_names[0], title=label)
    other = 1 - d.axis
    line = np.linspace(*d.bounds[other], jumps.shape[1]) if jumps.size else []
    for k, jump in enumerate(jumps):
        axes[2].plot(
            line,
            jump,
            label=f"interface {k + 1} ({trainer.axis_names[d.axis]} = {d.edges[k + 1]:g})",
        )
    axes[2].set(
        xlabel=trainer.axis_names[other],
        ylabel="u_{k+1} − u_k",
        title="jump across the interfaces",
    )
    if jumps.size:
        axes[2].legend()
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
