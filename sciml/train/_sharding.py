"""Data parallelism with ``jax.sharding``: one mesh axis ``"data"`` over every device.

Parameters and optimiser state are replicated; the batch (or the collocation points a PINN
draws inside its step) is split along its batch axis. The compiled step is the same program on
1 CPU, 8 GPUs or a TPU slice: XLA inserts the all-reduce of the gradient mean. Across processes
(``jax.distributed``, see :mod:`sciml.train._distributed`), each process holds its share of the
batch and :func:`global_batch` assembles the global array without copying.
"""

from collections.abc import Callable

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "data"


def data_mesh(devices=None) -> Mesh:
    """A 1-D mesh named ``"data"`` over ``devices`` (default: all devices of all processes)."""
    return Mesh(np.asarray(devices if devices is not None else jax.devices()), (AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
    """The same whole array on every device of ``mesh``."""
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh, axis: int = 0) -> NamedSharding:
    """Split array axis ``axis`` (the batch axis) over the ``"data"`` axis of ``mesh``."""
    return NamedSharding(mesh, PartitionSpec(*[None] * axis, AXIS))


def replicate(tree, mesh: Mesh):
    """Place a PyTree (parameters, optimiser state) on every device of ``mesh``."""
    return jax.device_put(tree, replicated(mesh))


def shard_batch(points: jax.Array, mesh: Mesh | None) -> jax.Array:
    """Inside a jitted function: ask XLA to split ``points`` along its leading axis."""
    if mesh is None or mesh.size == 1:
        return points
    if points.shape[0] % mesh.size:
        raise ValueError(
            f"a batch of {points.shape[0]} points does not split over {mesh.size} devices"
        )
    return jax.lax.with_sharding_constraint(points, batch_sharding(mesh))


def global_batch(local, mesh: Mesh, axis: int = 0):
    """The global batch from this process's share of it, a PyTree of arrays split on ``axis``.

    Each process passes the rows :func:`~sciml.train.process_share` gives it; with one process
    the share is the whole batch. Wraps ``jax.make_array_from_process_local_data``.
    """
    sharding = batch_sharding(mesh, axis)
    return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), local)


def jit_step(step: Callable, mesh: Mesh | None, batch_axis: int) -> Callable:
    """``jax.jit(step)`` donating the state; with a mesh, the state (argument 0) and the outputs
    replicated and every leaf of the batches (argument 1) split on ``batch_axis``.

    The gradient of a mean over a split batch then becomes per-device partial sums and one
    all-reduce, which XLA inserts.
    """
    if mesh is None:
        return jax.jit(step, donate_argnums=0)
    return jax.jit(
        step,
        donate_argnums=0,
        in_shardings=(replicated(mesh), batch_sharding(mesh, batch_axis)),
        out_shardings=replicated(mesh),
    )
