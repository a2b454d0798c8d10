"""Training runs in a fresh process, for tests/test_distributed.py and tests/test_resume.py.

``python tests/_distributed_worker.py MODE [RUN_DIR]`` prints one JSON line with the results:

- ``parallel``: 50 Adam steps on data batches, 50 on points drawn inside the loss and 10 L-BFGS
  iterations, all data-parallel over every device of the process (set
  ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` to simulate four).
- ``processes``: :func:`sciml.train.fit` over the processes named by the ``SCIML_*``
  environment variables (one process without them), each loading its share of every batch.
- ``resume`` / ``resume-slow``: :func:`sciml.train.fit` with checkpoints into ``RUN_DIR``; the
  slow variant sleeps before every call so that a test can kill it partway.
"""

import json
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from sciml import train

OPTIMIZER = optax.adam(1e-2)
BATCH = 64  # points per step, split over the devices
K = 10  # steps per call


def init_params(key):
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (1, 16)),
        "b1": jnp.zeros(16),
        "w2": jax.random.normal(k2, (16, 1)) / 4,
        "b2": jnp.zeros(1),
    }


def model(params, x):
    hidden = jnp.tanh(x @ params["w1"] + params["b1"][None, :])
    return (hidden @ params["w2"] + params["b2"][None, :])[:, 0]


def data_loss(params, batch, key, weights):
    x, y = batch
    mse = jnp.mean((model(params, x) - y) ** 2)
    return mse, {}


def sampling_loss(mesh):
    """A PINN-like loss: it draws its points from the step's key and splits them itself."""

    def loss(params, batch, key, weights):
        x = train.shard_batch(jax.random.uniform(key, (BATCH, 1), minval=-1.0, maxval=1.0), mesh)
        mse = jnp.mean((model(params, x) - jnp.sin(3 * x[:, 0])) ** 2)
        return mse, {}

    return loss


def dataset(steps: int):
    """``steps`` batches of ``BATCH`` points of sin(3x) with noise, the same in every process."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (steps, BATCH, 1)).astype(np.float32)
    y = (np.sin(3 * x[..., 0]) + 0.1 * rng.standard_normal(x.shape[:2])).astype(np.float32)
    return x, y


def fresh_state(optimizer=OPTIMIZER, mesh=None):
    """The initial state, replicated over ``mesh`` if given (the step then compiles once)."""
    state = train.TrainState.create(init_params(jax.random.PRNGKey(0)), optimizer, seed=0)
    return state if mesh is None else train.replicate(state, mesh)


def host(tree):
    return jax.tree.map(lambda a: np.asarray(a).tolist(), jax.device_get(tree))


def run_parallel(mesh) -> dict:
    """Loss trajectories of the three kinds of step on ``mesh`` (``None``: no mesh)."""
    x, y = dataset(50)
    out = {}
    step = train.make_train_step(data_loss, OPTIMIZER, steps_per_call=K, mesh=mesh)
    state, losses = fresh_state(mesh=mesh), []
    for first in range(0, 50, K):
        state, metrics = step(state, (x[first : first + K], y[first : first + K]))
        losses.extend(np.asarray(metrics["loss"]).tolist())
    out["data"] = {"loss": losses, "params": host(state.params)}

    step = train.make_train_step(sampling_loss(mesh), OPTIMIZER, steps_per_call=K, mesh=mesh)
    state, losses = fresh_state(mesh=mesh), []
    for _ in range(5):
        state, metrics = step(state, None)
        losses.extend(np.asarray(metrics["loss"]).tolist())
    out["sampling"] = {"loss": losses, "params": host(state.params)}

    quasi_newton = train.lbfgs(memory_size=10)
    step = train.make_lbfgs_step(data_loss, quasi_newton, steps_per_call=10, mesh=mesh)
    state, metrics = step(fresh_state(quasi_newton, mesh), (x[0], y[0]))
    out["lbfgs"] = {"loss": np.asarray(metrics["loss"]).tolist(), "params": host(state.params)}
    return out


def parallel() -> dict:
    mesh = train.data_mesh()
    out = run_parallel(mesh)
    # evidence that the work was split: the batch's shard per device and the all-reduce
    x, y = dataset(K)
    state = fresh_state(mesh=mesh)
    step = train.make_train_step(data_loss, OPTIMIZER, steps_per_call=K, mesh=mesh)
    compiled = step.lower(state, (x, y)).compile()
    batch_sharding = compiled.input_shardings[0][1][0]
    sampling = train.make_train_step(sampling_loss(mesh), OPTIMIZER, steps_per_call=K, mesh=mesh)
    out["devices"] = jax.device_count()
    out["batch_devices"] = len(batch_sharding.device_set)
    out["batch_shard_shape"] = list(batch_sharding.shard_shape(x.shape))
    out["all_reduce"] = [
        "all-reduce" in c.as_text() for c in (compiled, sampling.lower(state, None).compile())
    ]
    return out


def fit_on_processes(run_dir: str) -> dict:
    """Data-parallel ``fit`` over all processes, every process loading only its rows."""
    mesh = train.data_mesh()
    x, y = dataset(60)
    rows = train.process_share(BATCH, mesh)

    def data(first):
        local = (x[first : first + K, rows], y[first : first + K, rows])
        return train.global_batch(local, mesh, axis=1)

    step = train.make_train_step(data_loss, OPTIMIZER, steps_per_call=K, mesh=mesh)
    result = train.fit(
        fresh_state(mesh=mesh),
        step,
        steps=60,
        steps_per_call=K,
        run_dir=run_dir,
        data=data,
        log_every=K,
        checkpoint_every=30,
        progress=False,
    )
    return {
        "process": jax.process_index(),
        "processes": jax.process_count(),
        "devices": jax.device_count(),
        "rows": [rows.start, rows.stop],
        "params": host(result.state.params),
    }


def resume(run_dir: str, slow: bool) -> dict:
    x, y = dataset(400)

    def data(first):
        if slow:
            time.sleep(0.1)
        return x[first : first + K], y[first : first + K]

    step = train.make_train_step(data_loss, OPTIMIZER, steps_per_call=K)
    result = train.fit(
        fresh_state(),
        step,
        steps=400,
        steps_per_call=K,
        run_dir=run_dir,
        data=data,
        log_every=K,
        checkpoint_every=50,
        progress=False,
    )
    return {
        "resumed_from": result.resumed_from,
        "params": host(result.state.params),
        "opt_state": host(result.state.opt_state),
    }


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "parallel":
        result = parallel()
    elif mode == "processes":
        multi = train.initialize()  # from the SCIML_* environment variables
        result = fit_on_processes(*rest) | {"initialized": multi}
    else:
        result = resume(*rest, slow=mode == "resume-slow")
    print(json.dumps(result), flush=True)
