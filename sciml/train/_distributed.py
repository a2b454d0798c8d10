"""Several processes, one training run: ``jax.distributed`` and each process's share of a batch.

JAX's multi-controller runtime is the engine: every process runs the same script, the mesh of
:func:`~sciml.train.data_mesh` spans the devices of all of them, and XLA's collectives (NCCL on
GPUs, gloo on CPUs) all-reduce the gradient. Each process loads only its rows of a batch
(:func:`process_share`) and :func:`~sciml.train.global_batch` joins them into one global array.

How to launch N processes
-------------------------

Start the same script once per process, each with three environment variables::

    SCIML_COORDINATOR=HOST:PORT   # address of process 0, reachable by all processes
    SCIML_NUM_PROCESSES=N         # how many processes take part
    SCIML_PROCESS_ID=I            # this process, 0 .. N-1

and call ``sciml.train.initialize()`` at the start of the script, before any other JAX call.
Without these variables it does nothing and the script runs as one process. For example, two
processes on one machine (CPU collectives through gloo)::

    SCIML_COORDINATOR=127.0.0.1:12345 SCIML_NUM_PROCESSES=2 SCIML_PROCESS_ID=0 python train.py &
    SCIML_COORDINATOR=127.0.0.1:12345 SCIML_NUM_PROCESSES=2 SCIML_PROCESS_ID=1 python train.py

On several machines, HOST is process 0's machine and the port must be open between them; set
``CUDA_VISIBLE_DEVICES`` (or pass ``local_device_ids``) to give each process its GPUs. In the
script, build the step with ``mesh=data_mesh()``, pass ``replicate(state, mesh)`` to ``fit``
and let ``data`` return ``global_batch(local_rows, mesh, axis=1)``; every process calls ``fit``
with the same ``run_dir`` on a shared file system: all of them write their part of each
checkpoint, only process 0 writes ``metrics.jsonl``.
"""

import os
from collections.abc import Sequence

import jax
from jax.sharding import Mesh

from sciml.train._sharding import batch_sharding


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return None if value is None else int(value)


def initialize(
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    local_device_ids: Sequence[int] | None = None,
    timeout_seconds: int = 300,
) -> bool:
    """Join the run's processes with ``jax.distributed.initialize``; call it before any JAX work.

    Each argument left ``None`` is read from ``SCIML_COORDINATOR`` (``host:port`` of process 0),
    ``SCIML_NUM_PROCESSES`` and ``SCIML_PROCESS_ID``. When none of the three is set anywhere,
    nothing happens (a single process). On CPUs the processes' collectives go through gloo.

    Returns:
        whether ``jax.distributed`` was initialised by this call.
    """
    coordinator = coordinator or os.environ.get("SCIML_COORDINATOR")
    num_processes = num_processes if num_processes is not None else _env_int("SCIML_NUM_PROCESSES")
    process_id = process_id if process_id is not None else _env_int("SCIML_PROCESS_ID")
    given = (coordinator, num_processes, process_id)
    if all(value is None for value in given):
        return False
    if any(value is None for value in given):
        raise ValueError(
            "a multi-process run needs the coordinator, the number of processes and the process "
            f"id (arguments or SCIML_* environment variables), got {given}"
        )
    # only the CPU client reads this option: CPU devices of different processes talk via gloo
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator,
        num_processes,
        process_id,
        local_device_ids=local_device_ids,
        initialization_timeout=timeout_seconds,
    )
    return True


def process_share(size: int, mesh: Mesh) -> slice:
    """The rows of a global batch of ``size`` rows that this process loads.

    They are the rows its devices hold when the batch is split over ``mesh``; with one process,
    all of them. Pass them to :func:`~sciml.train.global_batch`.
    """
    if size % mesh.size:
        raise ValueError(f"a batch of {size} rows does not split over {mesh.size} devices")
    parts = batch_sharding(mesh).addressable_devices_indices_map((size,)).values()
    ranges = [range(size)[index[0]] for index in parts]
    start, stop = min(r.start for r in ranges), max(r.stop for r in ranges)
    if sum(len(r) for r in ranges) != stop - start:
        raise ValueError("this process's devices do not hold one contiguous block of the mesh")
    return slice(start, stop)
