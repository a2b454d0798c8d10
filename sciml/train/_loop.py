"""The training loop: steps, metrics, evaluation, checkpoints, resumption and a divergence guard.

The host touches device values only at logging, evaluation and checkpoint boundaries: between
them the compiled step runs back to back and its per-step metrics stay on the device.
"""

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import optax
from tqdm.auto import tqdm

from sciml.train._checkpoint import Checkpoints
from sciml.train._metrics_log import MetricsLog
from sciml.train._state import TrainState

PyTree = Any


class TrainingDiverged(RuntimeError):
    """The loss or the parameters stopped being finite."""


@dataclasses.dataclass
class FitResult:
    """What :func:`fit` returns: the final state and what was logged."""

    state: TrainState
    history: list[dict]
    evaluations: list[dict]
    wall_seconds: float
    resumed_from: int | None


def _every(name: str, value: int | None, steps_per_call: int, default: int) -> int:
    value = default if value is None else value
    if not isinstance(value, int) or value < 1 or value % steps_per_call:
        raise ValueError(
            f"{name} must be a positive multiple of steps_per_call={steps_per_call}, got {value!r}"
        )
    return value


def _rows(pending: list[tuple[int, dict]]) -> list[dict]:
    """Per-step rows from the device metrics of several calls, with one host transfer."""
    host = jax.device_get(pending)
    rows = []
    for first_step, metrics in host:
        count = len(next(iter(metrics.values())))
        for i in range(count):
            rows.append(
                {"step": first_step + i + 1, **{k: float(v[i]) for k, v in metrics.items()}}
            )
    return rows


def fit(
    state: TrainState,
    step_fn: Callable[[TrainState, PyTree], tuple[TrainState, dict]],
    *,
    steps: int,
    steps_per_call: int = 1,
    run_dir: str | Path | None = None,
    data: Callable[[int], PyTree] | None = None,
    evaluate: Callable[[TrainState], dict[str, float]] | None = None,
    eval_every: int | None = None,
    log_every: int | None = None,
    checkpoint_every: int | None = None,
    best_metric: str | None = None,
    progress: bool = True,
    stage: str | None = None,
    max_seconds: float | None = None,
) -> FitResult:
    """Train ``state`` with ``step_fn`` (from :func:`make_train_step`) until ``steps`` steps.

    Args:
        state: the initial state; if ``run_dir`` holds a checkpoint, training resumes from it
            instead and ends with the same parameters as an uninterrupted run.
        step_fn: ``step(state, batches) -> (state, metrics)`` running ``steps_per_call`` steps.
        steps: total optimiser steps (a multiple of ``steps_per_call``).
        run_dir: where ``metrics.jsonl`` and ``checkpoints/`` go (``None``: nothing written).
        data: ``first_step -> batches`` for the next call (``None`` when the loss samples itself).
        evaluate: ``state -> {metric: value}`` on held-out data (e.g. the reference solution).
        eval_every, log_every, checkpoint_every: periods in steps (multiples of
            ``steps_per_call``); evaluation and a checkpoint also happen at the end.
        best_metric: evaluation metric whose minimum marks the best checkpoint.
        progress: show a progress bar.
        stage: name of this training stage (e.g. "adam", "lbfgs"): its checkpoints go to
            ``checkpoints/STAGE`` and its rows carry ``"stage"``, so stages share a run directory.
        max_seconds: a training-time budget: once spent (resumed runs count their earlier
            time), training stops at the next checkpoint step, evaluated and saved as at the
            end; ``state.step`` tells how far it got.

    With several processes (:func:`~sciml.train.initialize`), every process calls ``fit`` with
    the same arguments and ``run_dir``: all of them take part in each checkpoint, only process 0
    writes ``metrics.jsonl`` and shows the progress bar.

    Raises:
        TrainingDiverged: the loss or the parameters became NaN or infinite; the message names
            the step and the last good checkpoint, which is left intact.
    """
    if not isinstance(steps, int) or steps < 0 or steps % steps_per_call:
        raise ValueError(
            f"steps must be a non-negative multiple of steps_per_call={steps_per_call}, "
            f"got {steps!r}"
        )
    log_every = _every("log_every", log_every, steps_per_call, max(steps_per_call, 100))
    eval_every = _every("eval_every", eval_every, steps_per_call, max(steps, steps_per_call))
    checkpoint_every = _every(
        "checkpoint_every", checkpoint_every, steps_per_call, max(steps, steps_per_call)
    )
    writer = jax.process_index() == 0
    run_dir = None if run_dir is None else Path(run_dir)
    checkpoints = None
    if run_dir is not None:
        directory = run_dir / "checkpoints" / (stage or "")
        checkpoints = Checkpoints(directory, best_metric=best_metric)
    log = MetricsLog(
        run_dir / "metrics.jsonl" if run_dir else Path("."), enabled=bool(run_dir and writer)
    )

    resumed_from, wall_offset, history = None, 0.0, []
    if checkpoints is not None and checkpoints.latest_step() is not None:
        state = checkpoints.restore(state)
        resumed_from = int(state.step)
    if run_dir is not None:
        # rows past the starting step come from a run killed before its next checkpoint (or
        # before its first one): they are logged again
        history = log.truncate_after(int(state.step), stage)
        wall_offset = float(history[-1]["wall_time"]) if history else 0.0
    step = int(state.step)
    evaluations: list[dict] = [row for row in history if "eval" in row]
    history = [row for row in history if "eval" not in row]
    start = time.perf_counter()
    bar = tqdm(total=steps, initial=step, unit="step", disable=not (progress and writer))
    pending: list[tuple[int, dict]] = []

    def wall() -> float:
        return wall_offset + time.perf_counter() - start

    def flush() -> None:
        if not pending:
            return
        rows = _rows(pending)
        pending.clear()
        for row in rows:
            if not math.isfinite(row["loss"]):
                last = checkpoints.path() if checkpoints else None
                raise TrainingDiverged(
                    f"training diverged: the loss is {row['loss']} at step {row['step']}; "
                    + (f"the last good checkpoint is {last}" if last else "no checkpoint was saved")
                )
        now = wall()
        tag = {} if stage is None else {"stage": stage}
        logged = [
            row | tag | {"wall_time": now}
            for row in rows
            if row["step"] % log_every == 0 or row["step"] == steps
        ]
        history.extend(logged)
        log.append(logged)
        bar.update(rows[-1]["step"] - bar.n)
        bar.set_postfix(loss=f"{rows[-1]['loss']:.3e}")

    def checkpoint(metrics: dict | None) -> None:
        if checkpoints is None:
            return
        if not bool(jnp.isfinite(optax.tree.norm(state.params))):
            last = checkpoints.path()
            raise TrainingDiverged(
                f"training diverged: the parameters are not finite at step {step}; "
                f"the last good checkpoint is {last}"
            )
        checkpoints.save(state, step, metrics)

    try:
        while step < steps:
            batches = None if data is None else data(step)
            state, metrics = step_fn(state, batches)
            pending.append((step, metrics))
            step += steps_per_call
            out_of_time = max_seconds is not None and wall() >= max_seconds
            done = step == steps or (out_of_time and step % checkpoint_every == 0)
            if step % log_every == 0 or done:
                flush()
            result = None
            if evaluate is not None and (step % eval_every == 0 or done):
                flush()
                result = {k: float(v) for k, v in evaluate(state).items()}
                row = {"step": step, "eval": True, **result, "wall_time": wall()}
                row |= {} if stage is None else {"stage": stage}
                evaluations.append(row)
                log.append([row])
            if step % checkpoint_every == 0 or done:
                flush()
                checkpoint(result)
            if done:
                break
        flush()
    finally:
        bar.close()
        if checkpoints is not None:
            checkpoints.close()
    return FitResult(state, history, evaluations, wall(), resumed_from)
