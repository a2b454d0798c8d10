"""The training core shared by every model family: state, jitted multi-step updates, the fit
loop with metrics, evaluation, orbax checkpoints, resumption and a divergence guard, and data
parallelism over a device mesh, on one process or several (``jax.distributed``)."""

from sciml.train._bfgs import bfgs, scale_by_bfgs, warm_start
from sciml.train._checkpoint import Checkpoints
from sciml.train._distributed import initialize, process_share
from sciml.train._lbfgs import lbfgs, lbfgs_iteration, make_lbfgs_step, minimize_lbfgs
from sciml.train._levenberg_marquardt import blocked_normal_equations, levenberg_marquardt
from sciml.train._loop import FitResult, TrainingDiverged, fit
from sciml.train._metrics_log import MetricsLog
from sciml.train._sharding import (
    batch_sharding,
    data_mesh,
    global_batch,
    replicate,
    replicated,
    shard_batch,
)
from sciml.train._state import TrainState
from sciml.train._step import make_train_step

__all__ = [
    "Checkpoints",
    "FitResult",
    "MetricsLog",
    "TrainState",
    "TrainingDiverged",
    "batch_sharding",
    "bfgs",
    "blocked_normal_equations",
    "data_mesh",
    "fit",
    "global_batch",
    "initialize",
    "lbfgs",
    "lbfgs_iteration",
    "levenberg_marquardt",
    "make_lbfgs_step",
    "make_train_step",
    "minimize_lbfgs",
    "process_share",
    "replicate",
    "replicated",
    "scale_by_bfgs",
    "shard_batch",
    "warm_start",
]
