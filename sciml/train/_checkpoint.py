"""Orbax checkpoints of the training state: the latest ones and the best one by a metric.

Orbax writes each checkpoint to a temporary directory and renames it when complete, so a run
killed at any moment leaves only whole checkpoints; it also coordinates several processes when
the state holds global ``jax.Array``\\ s.
"""

from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp

PyTree = Any


class Checkpoints:
    """``directory/latest`` keeps the ``keep`` most recent states, ``directory/best`` the one with
    the lowest (``mode="min"``) or highest value of ``best_metric``."""

    def __init__(
        self,
        directory: str | Path,
        *,
        keep: int = 2,
        best_metric: str | None = None,
        mode: str = "min",
    ):
        directory = Path(directory).absolute()
        options = dict(enable_async_checkpointing=False, create=True)
        self.latest = ocp.CheckpointManager(
            directory / "latest", options=ocp.CheckpointManagerOptions(max_to_keep=keep, **options)
        )
        self.best_metric = best_metric
        self.best = None
        if best_metric is not None:
            self.best = ocp.CheckpointManager(
                directory / "best",
                options=ocp.CheckpointManagerOptions(
                    max_to_keep=1, best_fn=lambda m: m[best_metric], best_mode=mode, **options
                ),
            )
        self.directory = directory

    def latest_step(self) -> int | None:
        return self.latest.latest_step()

    def save(self, state: PyTree, step: int, metrics: dict | None = None) -> None:
        """Save ``state`` as the latest; also as the best when ``metrics`` improve on it."""
        self.latest.save(step, args=ocp.args.StandardSave(state), force=True)
        if self.best is not None and metrics is not None and self.best_metric in metrics:
            self.best.save(
                step,
                args=ocp.args.StandardSave(state),
                metrics={self.best_metric: float(metrics[self.best_metric])},
                force=True,
            )

    def restore(self, like: PyTree, which: str = "latest") -> PyTree:
        """The saved state shaped like ``like`` (same tree, shapes, dtypes and shardings)."""
        manager = self.latest if which == "latest" else self.best
        if manager is None:
            raise ValueError("no best checkpoint is kept: pass best_metric")
        step = manager.latest_step() if which == "latest" else manager.best_step()
        if step is None:
            raise FileNotFoundError(f"no {which} checkpoint in {self.directory}")
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
        return manager.restore(step, args=ocp.args.StandardRestore(abstract))

    def path(self, which: str = "latest") -> Path | None:
        """Directory of the latest (or best) checkpoint, for messages."""
        manager = self.latest if which == "latest" else self.best
        step = (
            None
            if manager is None
            else (manager.latest_step() if which == "latest" else manager.best_step())
        )
        return None if step is None else self.directory / which / str(step)

    def close(self) -> None:
        self.latest.close()
        if self.best is not None:
            self.best.close()
