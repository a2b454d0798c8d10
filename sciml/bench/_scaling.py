"""Resolution scaling of operator models: training-step time against grid size, with fitted
slopes.

For each model (FNO and MgNO as configured for Darcy: width 32 and 12 modes; 4 layers of 24
channels on 6 levels) and each grid :math:`s \\times s`, one Adam step on a batch of random
fields (speed only: the values do not matter) is compiled, warmed up, then timed over
``REPEATS`` steps (median). The slope :math:`p` of :math:`\\log t` against
:math:`\\log N`, :math:`N = s^2`, is fitted per model: an FFT-based FNO layer costs
:math:`O(N \\log N)` plus :math:`O(N)` pointwise work; a V-cycle :math:`O(N)`.
"""

import time

import jax
import numpy as np
import optax

from pdes import tables
from sciml.models import FNO, MgNO, count_params
from sciml.operator import relative_l2

REPEATS = 3
BATCH = 4
MODELS = {
    "fno": lambda: FNO(width=32, modes=(12, 12)),
    "mgno": lambda: MgNO(),  # the Darcy configuration: 0.57 M parameters
}


def _time_step(model, s: int) -> dict:
    x = jax.random.normal(jax.random.key(0), (BATCH, s, s, 1))
    y = jax.random.normal(jax.random.key(1), (BATCH, s, s, 1))
    params = jax.jit(model.init)(jax.random.key(2), x[:1])
    optimizer = optax.adam(1e-3)

    @jax.jit
    def step(params, opt_state):
        loss, grads = jax.value_and_grad(lambda p: relative_l2(model.apply(p, x), y))(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    opt_state = optimizer.init(params)
    start = time.perf_counter()
    params, opt_state, _ = jax.block_until_ready(step(params, opt_state))
    compile_seconds = time.perf_counter() - start
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        params, opt_state, _ = jax.block_until_ready(step(params, opt_state))
        times.append(time.perf_counter() - start)
    return {
        "parameters": count_params(params),
        "ms_per_step": 1e3 * float(np.median(times)),
        "first_call_seconds": round(compile_seconds, 2),
    }


def scaling_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    sizes = (32, 64, 128) if quick else (64, 128, 256, 512)
    rows = []
    for name, build in MODELS.items():
        for s in sizes:
            row = {"suite": "operator_scaling", "model": name, "resolution": s, "batch": BATCH}
            rows.append(row | _time_step(build(), s))
    return rows


def slopes(rows: list[dict]) -> dict[str, float]:
    """Least-squares slope of log(ms/step) against log(s^2), per model."""
    fitted = {}
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        n = np.log([r["resolution"] ** 2 for r in mine])
        t = np.log([r["ms_per_step"] for r in mine])
        fitted[model] = float(np.polyfit(n, t, 1)[0])
    return fitted


def scaling_table(rows: list[dict], extra: tuple[tuple[str, str, str], ...] = ()) -> str:
    """Step time per model and grid, ``extra`` columns after it, and the fitted slopes."""
    fitted = slopes(rows)
    body = tables.markdown(
        rows,
        [
            ("model", "model", "{}"),
            ("grid", "resolution", "{0}x{0}"),
            ("batch", "batch", "{}"),
            ("parameters", "parameters", "{:,}"),
            ("ms / training step", "ms_per_step", "{:.0f}"),
            *extra,
            ("first call s (compile)", "first_call_seconds", "{:.1f}"),
        ],
    )
    fits = ", ".join(f"{m}: t ∝ N^{p:.2f}" for m, p in fitted.items())
    return f"{body}\n\nFitted slopes (N = grid points): {fits}."
