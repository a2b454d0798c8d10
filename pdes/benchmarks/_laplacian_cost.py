r"""Cost of the Laplacian of an MLP :math:`f: \mathbb{R}^d \to \mathbb{R}` against
``jnp.trace(jax.hessian(f))``, for d = 1..64.

Three timings per method, on a batch of points (``vmap``, ``jit``, compiled once, median of
repeats): the Laplacian itself, and the gradient with respect to the MLP parameters of the mean
squared Laplacian (what a PINN training step pays). Memory is XLA's compiled temporary buffer
size for the forward evaluation (``memory_analysis().temp_size_in_bytes``), where the backend
reports it.
"""

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import physics

METHODS: dict[str, Callable] = {
    "forward (jvp-of-jvp)": lambda f: physics.laplacian(f),
    "Taylor (jet)": lambda f: physics.laplacian(f, taylor=True),
    "trace(jax.hessian)": lambda f: lambda z: jnp.trace(jax.hessian(f)(z)),
}


def mlp_init(key, d: int, width: int, depth: int) -> list[tuple[jax.Array, jax.Array]]:
    """Glorot-normal tanh MLP parameters, ``d -> width x depth -> 1``."""
    sizes = [d, *([width] * depth), 1]
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        (jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / (a + b)), jnp.zeros(b))
        for k, a, b in zip(keys, sizes[:-1], sizes[1:], strict=True)
    ]


def mlp_apply(params, z):
    h = z
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    return (h @ w + b)[0]


def _median_seconds(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))  # compile and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _temp_bytes(fn, *args) -> int | None:
    analysis = fn.lower(*args).compile().memory_analysis()
    return None if analysis is None else int(analysis.temp_size_in_bytes)


def laplacian_cost_rows(
    quick: bool = False,
    *,
    dims=None,
    batch: int = 256,
    width: int = 128,
    depth: int = 4,
    repeats: int | None = None,
) -> list[dict]:
    """One row per (d, method): milliseconds per batch, training-step milliseconds, memory.

    The full run covers d = 1, 2, 4, ..., 64 with 10 repeats; ``quick`` d = 1, 4, 16, 64 with 3.
    """
    dims = dims or ((1, 4, 16, 64) if quick else (1, 2, 4, 8, 16, 32, 64))
    repeats = repeats or (3 if quick else 10)
    rows = []
    for d in dims:
        params = mlp_init(jax.random.key(0), d, width, depth)
        points = jax.random.normal(jax.random.key(1), (batch, d))
        reference = None
        for method, build in METHODS.items():

            def laplacians(p, z, build=build):
                return jax.vmap(build(lambda y: mlp_apply(p, y)))(z)

            forward = jax.jit(laplacians)
            train = jax.jit(jax.grad(lambda p, z: jnp.mean(laplacians(p, z) ** 2)))
            values = forward(params, points)
            reference = values if reference is None else reference
            rows.append(
                {
                    "suite": "laplacian_cost",
                    "d": d,
                    "method": method,
                    "batch": batch,
                    "mlp": f"{depth}x{width} tanh",
                    "ms_per_batch": 1e3 * _median_seconds(forward, params, points, repeats=repeats),
                    "train_ms_per_batch": 1e3
                    * _median_seconds(train, params, points, repeats=repeats),
                    "temp_mb": (lambda b: None if b is None else b / 2**20)(
                        _temp_bytes(forward, params, points)
                    ),
                    "max_abs_diff_vs_first": float(jnp.max(jnp.abs(values - reference))),
                    "dtype": str(points.dtype),
                }
            )
    return rows
