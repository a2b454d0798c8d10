"""Data parallelism with ``jax.sharding``: one mesh axis ``"data"`` over every device.

Parameters and optimiser state are replicated; the batch (or the collocation points a PINN
draws inside its step) is split along its leading axis. The compiled step is the same program on
1 CPU, 8 GPUs or a TPU slice: XLA inserts the all-reduce of the gradient mean. Across processes
(``jax.distributed``), each process holds its share of the batch and
:func:`global_batch` assembles the global array without copying.
"""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "data"


def data_mesh(devices=None) -> Mesh:
    """A 1-D mesh named ``"data"`` over ``devices`` (default: all devices of all processes)."""
    return Mesh(np.asarray(devices if devices is not None else jax.devices()), (AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Split the leading axis over the ``"data"`` axis of ``mesh``."""
    return NamedSharding(mesh, PartitionSpec(AXIS))


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


def global_batch(local: np.ndarray, mesh: Mesh) -> jax.Array:
    """The global batch from this process's share (``jax.make_array_from_process_local_data``)."""
    return jax.make_array_from_process_local_data(batch_sharding(mesh), local)
