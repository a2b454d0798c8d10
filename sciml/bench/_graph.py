"""Graph-ODE traffic forecasting on a simulated road network: GRAM-ODE against STGODE, a GRU and
the historical average at 15, 30 and 60 minutes, the ablation of each GRAM-ODE component, over
three seeds; and training throughput against the number of sensors.

Data: :func:`pdes.traffic.simulate_traffic` (20 junctions: 74 sensors, 21 days, seed 0), written
in the PEMS layout; flow, occupancy and speed in, flow out. CPU sizes (the published ones in
brackets): TCN widths (16, 8, 16) [(64, 32, 64)], one branch per graph [3], 8 epochs of 640
training windows spread over the training split [all windows, 200 epochs], batch 16, AdamW
1e-3 for every network [2e-4 GRAM-ODE, 2e-3 STGODE], the first 8 epochs of the published
schedule (``schedule=truncated``: its first decay comes at epoch 15 for GRAM-ODE, 50 for STGODE,
so none here; scaling the milestones to 8 epochs left GRAM-ODE 40 steps at its peak rate),
selection by validation MAE. The historical average needs no training (one row).

``graph_full`` is the same comparison at the published sizes (TCN (64, 32, 64), three branches
per graph, every training window, each network's published learning rate and 200-epoch
schedule) for an accelerator, every network given the same training time (``FULL_SECONDS``:
the published protocol's first epochs); ``graph_scaling --only stgode-published,...`` times
those sizes.
"""

import shutil
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

from pdes import traffic
from sciml.config import override
from sciml.graph import GraphConfig, build_model, train_and_evaluate
from sciml.models import adjacency_graph

NETWORK = {"junctions": 20, "days": 21, "seed": 0}
QUICK_NETWORK = {"junctions": 8, "days": 4, "seed": 0}
CPU = [
    "channels=(16,8,16)",
    "branches=1",
    "epochs=8",
    "max_windows=640",
    "learning_rate=1e-3",
    "schedule=truncated",
]
QUICK = ["channels=(4,4,4)", "branches=1", "epochs=1", "max_windows=32", "batch=8"]
FULL_SECONDS = 120  # training-time budget per run: the published 200-epoch protocol, cut
FULL = ["branches=3", "epochs=200", f"max_seconds={FULL_SECONDS}"]
TASKS = {
    "historical_average": ["model=historical_average"],
    "gru": ["model=gru"],
    "stgode": ["model=stgode"],
    "gram_ode": ["model=gram_ode"],
    "gram_ode-no-local": ["model=gram_ode", "local=False"],
    "gram_ode-no-edges": ["model=gram_ode", "edges=False"],
    "gram_ode-no-shared": ["model=gram_ode", "shared=False"],
    "gram_ode-no-divergence": ["model=gram_ode", "divergence=False"],
}
SEEDS = (0, 1, 2)
FULL_SEEDS = (0,)
SCALING_SENSORS = (100, 250, 500, 1000)
SCALING_TASKS = {  # name: (model, sizes); the published sizes only where --only names them
    "stgode": ("stgode", CPU),
    "gram_ode": ("gram_ode", CPU),
    "stgode-published": ("stgode", ["branches=3"]),
    "gram_ode-published": ("gram_ode", ["branches=3"]),
}
SCALING_BATCH, SCALING_STEPS = 4, 3


def task_names(quick: bool = False) -> list[str]:
    return list(TASKS)


def scaling_task_names(quick: bool = False) -> list[str]:
    return list(SCALING_TASKS)


def graph_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """The CPU-budget comparison: ``CPU`` sizes, three seeds."""
    return _rows("graph", QUICK if quick else CPU, (0,) if quick else SEEDS, quick, out, only)


def graph_full_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """The published sizes (``FULL``) for an accelerator, ``FULL_SEEDS``."""
    return _rows("graph_full", QUICK if quick else FULL, (0,) if quick else FULL_SEEDS, quick,
                 out, only)  # fmt: skip


def _rows(suite, settings, seeds, quick, out, only) -> list[dict]:
    base = Path(out if out is not None else f"runs/bench/{suite}/runs")
    network = QUICK_NETWORK if quick else NETWORK
    data = base / "data" / "traffic.npz"
    if not data.exists():
        simulation = traffic.simulate_traffic(network["junctions"], network["days"],
                                              network["seed"])  # fmt: skip
        traffic.write_simulation(data.parent, "traffic", simulation, **network)
    rows = []
    for task, overrides in TASKS.items():
        if only is not None and task not in only:
            continue
        for seed in seeds[:1] if task == "historical_average" else seeds:
            config = override(GraphConfig(), [f"data={data}", f"seed={seed}", *settings,
                                              *overrides])  # fmt: skip
            run_dir = base / f"{task}-seed{seed}"
            result = train_and_evaluate(config, run_dir, progress=False)
            rows.append({"suite": suite, "problem": task, "network": network, **result})
    figures = base.parent / "figures"
    for name in ("forecast.png", "incident.png"):  # GRAM-ODE, seed 0
        source = base / "gram_ode-seed0" / "figures" / name
        if source.exists():
            figures.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, figures / name)
    return rows


def graph_table(rows: list[dict]) -> str:
    """Mean ± std over seeds of the masked test errors (flow, vehicles per 5 min; MAPE %)."""
    lines = [
        "| model | seeds | parameters | MAE | RMSE | MAPE % | MAE @15 min | MAE @30 min "
        "| MAE @60 min | RMSE @60 min | samples/s | training s | epochs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(values, fmt="{:.2f}"):
        values = np.asarray(values, float)
        if len(values) == 1:
            return fmt.format(values[0])
        return f"{fmt.format(values.mean())} ± {fmt.format(values.std())}"

    for task in TASKS:
        chosen = [r for r in rows if r["problem"] == task]
        if not chosen:
            continue

        def get(key, chosen=chosen):
            return [r.get(key, np.nan) for r in chosen]

        trained = "wall_seconds" in chosen[0]
        speed = cell(get("samples_per_second"), "{:.1f}") if trained else "—"
        wall = cell(get("wall_seconds"), "{:.0f}") if trained else "—"
        epochs = cell(get("epochs"), "{:.0f}") if trained else "—"
        params = chosen[0].get("parameters", "—")
        lines.append(
            f"| {task} | {len(chosen)} | {params} | {cell(get('mae'))} | {cell(get('rmse'))} | "
            f"{cell(get('mape'), '{:.1f}')} | {cell(get('mae@3'))} | {cell(get('mae@6'))} | "
            f"{cell(get('mae@12'))} | {cell(get('rmse@12'))} | {speed} | {wall} | {epochs} |"
        )
    return "\n".join(lines)


def graph_scaling_rows(quick: bool = False, out=None, only=None) -> list[dict]:
    """Training samples per second of STGODE and GRAM-ODE (batch 4) on random sparse graphs of
    100 to 1000 sensors: the median of ``SCALING_STEPS`` timed steps after compilation (timed
    apart). CPU sizes unless ``only`` names the ``-published`` tasks."""
    rows = []
    sizes = SCALING_SENSORS[:1] if quick else SCALING_SENSORS
    for task in only or ("stgode", "gram_ode"):
        model_name, settings = SCALING_TASKS[task]
        config = override(GraphConfig(), [f"model={model_name}", *(QUICK if quick else settings)])
        for sensors in sizes:
            compile_seconds, step_seconds = _step_seconds(build_model(config), sensors)
            rows.append({
                "suite": "graph_scaling", "problem": f"{task}-{sensors}",
                "model": model_name, "sensors": sensors, "batch": SCALING_BATCH,
                "channels": list(config.channels), "branches": config.branches,
                "compile_seconds": round(compile_seconds, 2),
                "step_seconds": round(step_seconds, 4),
                "samples_per_second": round(SCALING_BATCH / step_seconds, 2),
                "device": jax.devices()[0].device_kind,
            })  # fmt: skip
    return rows


def _step_seconds(model, sensors: int) -> tuple[float, float]:
    """Compile time and median step time of one AdamW step of ``model`` on ``sensors`` nodes
    (a random graph of mean degree 4)."""
    rng = np.random.default_rng(sensors)
    a = np.triu((rng.random((sensors, sensors)) < 4.0 / sensors).astype(float), 1)
    graphs = (adjacency_graph(traffic.normalised_adjacency(a + a.T)),) * 2
    x = jnp.asarray(rng.normal(size=(SCALING_BATCH, sensors, 12, 3)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(SCALING_BATCH, sensors, 12)), jnp.float32)
    variables = model.init(jax.random.key(0), x, graphs)
    extra = {k: v for k, v in variables.items() if k != "params"}
    optimizer = optax.adamw(1e-3)

    def loss(p):
        variables = {"params": p, **extra}
        rngs = {"dropout": jax.random.key(1)}
        out, updates = model.apply(variables, x, graphs, train=True, rngs=rngs, mutable=list(extra))
        return optax.huber_loss(out, y).mean(), updates

    @jax.jit
    def step(p, opt_state):
        (value, _), grads = jax.value_and_grad(loss, has_aux=True)(p)
        updates, opt_state = optimizer.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state, value

    params, opt_state = variables["params"], optimizer.init(variables["params"])
    start = time.perf_counter()
    params, opt_state, value = step(params, opt_state)
    jax.block_until_ready(value)
    compile_seconds = time.perf_counter() - start
    times = []
    for _ in range(SCALING_STEPS):
        start = time.perf_counter()
        params, opt_state, value = step(params, opt_state)
        jax.block_until_ready(value)
        times.append(time.perf_counter() - start)
    return compile_seconds, float(np.median(times))


def graph_scaling_table(rows: list[dict]) -> str:
    lines = ["| model | TCN widths × branches | device | sensors | batch | compile s | step s "
             "| samples/s |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        sizes = f"{tuple(r.get('channels', (16, 8, 16)))} × {r.get('branches', 1)}"
        lines.append(
            f"| {r['model']} | {sizes} | {r['device']} | {r['sensors']} | {r['batch']} | "
            f"{r['compile_seconds']:.0f} | "
            f"{r['step_seconds']:.3g} | {r['samples_per_second']:.3g} |"
        )
    return "\n".join(lines)
