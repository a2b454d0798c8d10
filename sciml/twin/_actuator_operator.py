r"""Actuator DeepONets (protocol Step 4a): the delayed actuator lags as operators learnt offline.

The actuators are linear and driven only by their commands, so
:math:`G_{egr}: u_{egr}(\cdot) \mapsto (\tilde u_{egr1}, \tilde u_{egr2})(\cdot)` and
:math:`G_{vgt}: u_{vgt}(\cdot) \mapsto \tilde u_{vgt}(\cdot)` can be learnt from unlimited command
histories with exact targets (:func:`physics.engines.lag_response`). Branch: the saturated
command at 156 sensors, 10 ms apart on :math:`[t_0 - H, t_0 + S]` with H = 1.5 s and S = 0.05 s
(older history reaches the output after more than H − τ_d = 1.435 s, when it weighs ~1e-5 of a
step); trunk: the offset :math:`s \in [0, S]`; output :math:`\tilde u(t_0 + s)`. A window is
covered by tiling :math:`t_0 = t_{start}, t_{start} + S, \dots`.

S deviates from the protocol's 0.5 s: each 10 ms command cell puts two kinks into the response
(τ_vgt = 25 ms), so a trunk over 0.5 s must resolve ~100 kinks. Fitted directly to the exact
cell kernels, the tanh trunk 4 × 128 stops at 2.5e-2 relative L2 over 0.5 s, 4.6e-3 over 0.1 s
and 2.5e-3 over 0.05 s; trained as the whole operator (VGT, 10⁴ Adam + 2000 L-BFGS steps),
8.3e-3 over 0.5 s (offset scaled ×10, which helped) and 2.0e-3 over 0.05 s.

Commands are held on the 10 ms grid (``pdes.engines.GRID``), so windows start on it: sensor k
reads the cell :math:`[t_0 - H + k\Delta, t_0 - H + (k + 1)\Delta)` at its midpoint, which
makes the branch the command itself (and the operator exactly linear in it). A t0 between grid
points would hide where each step falls within its 10 ms cell; against τ_vgt = 25 ms that
ambiguity alone costs ~3e-3 relative L2 (a least-squares linear operator on random-phase
windows), three times the acceptance.

Branch and trunk are tanh MLPs 4 × 128 with 128 basis functions per output; commands and
offsets are mapped to [−1, 1], outputs are % / 100.
"""

import json
import time
from pathlib import Path
from typing import NamedTuple

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax

from pdes import engines as sim
from physics.engines import EngineParameters
from sciml import _io
from sciml.models import MLP
from sciml.models._deeponet import DeepONet
from sciml.train import TrainState, fit, make_train_step, minimize_lbfgs

HISTORY = 1.5
HORIZON = 0.05
SPACING = 0.01
SENSORS = round((HISTORY + HORIZON) / SPACING) + 1  # 156
ACTUATORS = {"egr": 2, "vgt": 1}  # outputs: (ũ_egr1, ũ_egr2) and ũ_vgt
FAMILIES = ("staircase", "smooth", "excitation")
SCENARIO_SECONDS = 60.0
PER_SCENARIO = 200  # windows cut from one command history


class ActuatorData(NamedTuple):
    """``branch [n, 201]`` (:func:`branch_input`), ``offsets [n, q, 1]`` (:func:`trunk_input`),
    ``targets [n, q, outputs]`` (ũ / 100)."""

    branch: np.ndarray
    offsets: np.ndarray
    targets: np.ndarray


def sensor_times(t0: jax.Array) -> jax.Array:
    """The branch sensors ``[..., SENSORS]`` of windows starting at ``t0`` (on the command grid):
    the midpoints of the 10 ms cells from t0 − H on, so rounding cannot move a sensor across a
    command switch."""
    t0 = jnp.asarray(t0)
    offsets = SPACING * (jnp.arange(SENSORS) + 0.5) - HISTORY
    return t0[..., None] + offsets.reshape((1,) * t0.ndim + (SENSORS,))


def branch_input(commands: sim.EngineCommands, t0: jax.Array, actuator: str) -> jax.Array:
    """Saturated command at the sensors of the windows starting at ``t0``, 0-100 % mapped to
    [−1, 1]."""
    slot = list(ACTUATORS).index(actuator)
    return 2.0 * commands.actuator_command(sensor_times(t0), slot) / 100.0 - 1.0


def trunk_input(s: jax.Array) -> jax.Array:
    """The offset s ∈ [0, S] mapped to [−1, 1]."""
    return 2.0 * s / HORIZON - 1.0


def exact_states(
    commands: sim.EngineCommands, t: jax.Array, actuator: str, params: EngineParameters
) -> jax.Array:
    """Closed-form actuator states / 100 at times ``t``: ``[..., outputs]``."""
    from sciml.twin._simulation_fit import actuator_states

    egr1, egr2, vgt = actuator_states(commands, t, params)
    return (jnp.stack([egr1, egr2], -1) if actuator == "egr" else vgt[..., None]) / 100.0


def isolated_steps(n: int, seed: int) -> list[sim.EngineCommands]:
    """Held-out commands with one step each (from one random level to another, at 1-59 s)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        low = rng.uniform(sim.RANGES[:, 0], sim.RANGES[:, 1])
        high = rng.uniform(sim.RANGES[:, 0], sim.RANGES[:, 1])
        at = float(np.round(rng.uniform(1.0, SCENARIO_SECONDS - 1.0), 2))
        out.append(sim.EngineCommands.piecewise([0.0, at], np.stack([low, high])))
    return out


def actuator_data(
    actuator: str,
    histories: int,
    seed: int,
    params: EngineParameters,
    *,
    points: int = 16,
    steps_only: bool = False,
    shared_offsets: bool = False,
    step_share: float = 0.0,
    old_share: float = 0.0,
) -> ActuatorData:
    """``histories`` windows cut at random t0 from command histories of the families F1-F3 (or
    from isolated steps), ``points`` random offsets each, with exact targets. With
    ``shared_offsets`` the windows of one scenario (``PER_SCENARIO`` of them) share their offsets,
    so that training evaluates each offset's trunk once for the group. A share ``step_share`` of
    each history's windows is placed where a command change reaches the output: a change drawn
    with probability ∝ its size, at t0 − 0.15 s … t0 + S, or for a share ``old_share`` of
    those windows further back in the branch's history (:func:`_windows_at_changes`)."""
    if actuator not in ACTUATORS:
        raise ValueError(f"unknown actuator {actuator!r}; choose from {tuple(ACTUATORS)}")
    for name, share in (("step_share", step_share), ("old_share", old_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {share}")
    scenarios = -(-histories // PER_SCENARIO)
    if steps_only:
        commands = isolated_steps(scenarios, seed)
    else:
        keys = jax.random.split(jax.random.PRNGKey(seed), scenarios)
        commands = [
            sim.FAMILIES[FAMILIES[i % len(FAMILIES)]](key, SCENARIO_SECONDS)
            for i, key in enumerate(keys)
        ]
    rng = np.random.default_rng(seed)
    branch, offsets, targets = [], [], []
    sample = jax.jit(
        lambda c, t0, s: (
            branch_input(c, t0, actuator),
            exact_states(c, t0[:, None] + s, actuator, params),
        )
    )
    # t0 on the command grid; it may lie before the first command (history at rest)
    first, last = round(-HISTORY / SPACING), round((SCENARIO_SECONDS - HORIZON) / SPACING)
    for c in commands:
        t0 = SPACING * rng.integers(first, last + 1, PER_SCENARIO)
        s = rng.uniform(0.0, HORIZON, (1 if shared_offsets else PER_SCENARIO, points))
        s = np.broadcast_to(s, (PER_SCENARIO, points))
        if steps_only:  # the step at t0 + S down to t0 − H + Δ: inside the branch's span
            step = round(float(c.times[1]) / SPACING)
            age = rng.integers(round(-HORIZON / SPACING), -first, PER_SCENARIO)
            t0 = SPACING * (step + age)
        elif step_share:
            shares = (step_share, old_share)
            t0 = _windows_at_changes(c, t0, actuator, shares, (first, last), rng)
        b, y = sample(c, jnp.asarray(t0), jnp.asarray(s))
        branch.append(np.asarray(b))
        offsets.append(np.asarray(trunk_input(s))[..., None])
        targets.append(np.asarray(y))
    cut = lambda parts: np.concatenate(parts)[:histories].astype(np.float32)
    return ActuatorData(cut(branch), cut(offsets), cut(targets))


def _windows_at_changes(
    commands: sim.EngineCommands,
    t0: np.ndarray,
    actuator: str,
    shares: tuple[float, float],
    span: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Move a random ``share`` of the window starts ``t0`` so that a command change lies at
    t0 − 0.15 s … t0 + S: there the response's kink (after the 25-65 ms delay and lag) crosses
    the output span. Uniform windows meet it rarely: a change of ≥ 5 %-points lies there in
    3-4 % of the staircase's windows, 20 % of the excitation's and none of the smooth family's
    (60 histories each), yet 60 % of the isolated-step error sits there (changes at t0 − 65 ms
    … t0, committed operators of 3928ee8). Of the moved windows, a share ``shares[1]`` has its
    change further back, at t0 − H … t0 − 0.15 s: G_egr's slow second lag still moves the output
    there (54 % of its isolated-step error at 0.5-1.5 s, operators of 9fa9e42)."""
    slot = list(ACTUATORS).index(actuator)
    cells = SPACING * (np.arange(round(SCENARIO_SECONDS / SPACING)) + 0.5)
    size = np.abs(np.diff(np.asarray(commands.actuator_command(cells, slot))))
    if not size.any():
        return t0
    moved = rng.random(t0.size) < shares[0]
    change = 1 + rng.choice(size.size, moved.sum(), p=size / size.sum())  # cell after the change
    recent = round(0.15 / SPACING)
    lead = rng.integers(-round(HORIZON / SPACING), recent + 1, moved.sum())  # cells to t0
    old = rng.random(moved.sum()) < shares[1]
    lead[old] = rng.integers(recent + 1, round(HISTORY / SPACING), old.sum())
    t0 = t0.copy()
    t0[moved] = SPACING * np.clip(change + lead, *span)
    return t0


def actuator_model(actuator: str) -> DeepONet:
    """tanh MLPs 4 × 128 for branch and trunk, 128 basis functions per output (Step 4a)."""
    outputs = ACTUATORS[actuator]
    net = lambda: MLP(128, 4, out=128 * outputs)
    return DeepONet(net(), net(), basis=128, outputs=outputs, activation=jnp.tanh)


def relative_l2(model: DeepONet, params, data: ActuatorData) -> float:
    """‖G(u)(s) − ũ‖₂ / ‖ũ‖₂ over all histories, offsets and outputs."""
    predict = jax.jit(jax.vmap(lambda u, s: model.apply(params, u[None], s)[0]))
    predicted = np.concatenate(
        [
            np.asarray(predict(data.branch[i : i + 4096], data.offsets[i : i + 4096]))
            for i in range(0, len(data.branch), 4096)
        ]
    )
    return float(np.linalg.norm(predicted - data.targets) / np.linalg.norm(data.targets))


class TrainedActuator(NamedTuple):
    model: DeepONet
    params: dict
    metrics: dict


def train_actuator_operator(
    actuator: str,
    out: Path | str | None,
    *,
    histories: int = 100_000,
    steps: int = 20_000,
    groups: int = 8,
    windows_per_group: int = 64,
    points: int = 64,
    lbfgs_steps: int = 4000,
    lbfgs_windows: int = 10_000,
    step_share: float = 0.25,
    old_share: float = 0.0,
    seed: int = 0,
    learning_rate: tuple[float, float] = (1e-3, 1e-5),
    params: EngineParameters | None = None,
    progress: bool = True,
) -> TrainedActuator:
    """Train G_egr or G_vgt (Adam, exponential decay 1e-3 → 1e-5, then ``lbfgs_steps`` L-BFGS
    iterations on the first ``lbfgs_windows`` windows) and measure the relative L2 on held-out
    families and on isolated steps. ``step_share`` of the training windows sit where a command
    change reaches the output, ``old_share`` of those with the change further back in the history
    (:func:`actuator_data`); the held-out windows stay uniform.
    Writes ``out/ACTUATOR.msgpack`` and metrics.

    A batch is ``groups`` scenarios, ``windows_per_group`` windows of each and the scenario's
    ``points`` shared offsets, in DeepONet's Cartesian layout: each branch and each trunk is
    evaluated once per batch for ``groups · windows_per_group · points`` (window, offset) pairs.
    """
    if histories < PER_SCENARIO or steps < 100 or steps % 100 or lbfgs_steps < 0:
        raise ValueError(
            f"need histories >= {PER_SCENARIO}, steps a positive multiple of 100 and "
            f"lbfgs_steps >= 0; got {histories}, {steps}, {lbfgs_steps}"
        )
    params = EngineParameters() if params is None else params
    start = time.perf_counter()
    train = actuator_data(
        actuator,
        histories,
        seed,
        params,
        points=points,
        shared_offsets=True,
        step_share=step_share,
        old_share=old_share,
    )
    test = actuator_data(actuator, 2000, seed + 10_000, params)
    steps_test = actuator_data(actuator, 2000, seed + 20_000, params, steps_only=True)
    data_seconds = time.perf_counter() - start
    model = actuator_model(actuator)
    init = model.init(jax.random.PRNGKey(seed), train.branch[:2], train.offsets[0])
    schedule = optax.exponential_decay(learning_rate[0], steps, learning_rate[1] / learning_rate[0])
    optimizer = optax.adam(schedule)
    per_call = 100

    def loss_fn(p, batch_data, key, weights):
        u, s, y = batch_data  # [G, W, SENSORS], [G, P, 1], [G, W, P, outputs]
        predicted = jax.vmap(lambda ug, sg: model.apply(p, ug, sg))(u, s)
        mse = jnp.mean((predicted - y) ** 2)
        return mse, {"mse": mse}

    step = make_train_step(loss_fn, optimizer, steps_per_call=per_call, learning_rate=schedule)
    scenarios = -(-len(train.branch) // PER_SCENARIO)

    def batches(first_step):
        rng = np.random.default_rng((seed, first_step))  # a resumed run draws the same batches
        group = rng.integers(0, scenarios, (per_call, groups, 1))
        window = group * PER_SCENARIO + rng.integers(
            0, PER_SCENARIO, (per_call, groups, windows_per_group)
        )
        window = np.minimum(window, len(train.branch) - 1)
        return train.branch[window], train.offsets[window[..., 0]], train.targets[window]

    state = TrainState.create(init, optimizer, seed=seed)
    run_dir = None if out is None else Path(out) / actuator
    start = time.perf_counter()
    result = fit(
        state,
        step,
        steps=steps,
        steps_per_call=per_call,
        run_dir=run_dir,
        data=batches,
        progress=progress,
        log_every=1000,
    )
    adam_seconds = time.perf_counter() - start
    trained = result.state.params
    # Adam creeps once the loss nears 1e-6; a quasi-Newton polish on a fixed subset goes on
    # (VGT: 4.7e-3 -> 2.0e-3 in 2000 iterations, held-out error falling with the training loss)
    fixed = min(lbfgs_windows, len(train.branch)) // PER_SCENARIO * PER_SCENARIO
    if fixed and lbfgs_steps:
        subset = (  # grouped by scenario, as the Adam batches are
            train.branch[:fixed].reshape(-1, PER_SCENARIO, train.branch.shape[-1]),
            train.offsets[:fixed:PER_SCENARIO],
            train.targets[:fixed].reshape(-1, PER_SCENARIO, *train.targets.shape[1:]),
        )
        objective = lambda p: loss_fn(p, subset, None, None)[0]
        trained, _ = minimize_lbfgs(objective, trained, lbfgs_steps, keep_best=True)
        trained = jax.block_until_ready(trained)
    train_seconds = time.perf_counter() - start
    metrics = {
        "actuator": actuator,
        "histories": histories,
        "steps": steps,
        "sensors": SENSORS,
        "horizon_s": HORIZON,
        "deviation": "S = 0.05 s, not the protocol's 0.5 s: a tanh trunk over 0.5 s cannot "
        "resolve the response's kinks at every 10 ms command cell (module docstring)",
        "batch": [groups, windows_per_group, points],
        "lbfgs_steps": lbfgs_steps if fixed else 0,
        "lbfgs_windows": fixed,
        "step_share": step_share,
        "old_share": old_share,
        "data_seconds": data_seconds,
        "adam_seconds": adam_seconds,
        "train_seconds": train_seconds,
        "rel_l2_test": relative_l2(model, trained, test),
        "rel_l2_isolated_steps": relative_l2(model, trained, steps_test),
        "rel_l2_train": relative_l2(model, trained, ActuatorData(*(a[:4000] for a in train))),
    }
    if out is not None:
        _io.atomic_write(
            Path(out) / f"{actuator}.msgpack",
            lambda path: path.write_bytes(flax.serialization.to_bytes(trained)),
        )
        _io.write_json(Path(out) / f"{actuator}.json", metrics)
    return TrainedActuator(model, trained, metrics)


def load_actuator_operator(path: Path | str, actuator: str) -> TrainedActuator:
    """A trained operator written by :func:`train_actuator_operator` (``path`` is its folder)."""
    path = Path(path)
    model = actuator_model(actuator)
    template = model.init(jax.random.PRNGKey(0), jnp.zeros((2, SENSORS)), jnp.zeros((1, 1)))
    file = path / f"{actuator}.msgpack"
    if not file.exists():
        raise FileNotFoundError(f"no trained {actuator} operator at {file}; train it first")
    trained = flax.serialization.from_bytes(template, file.read_bytes())
    metrics = path / f"{actuator}.json"
    return TrainedActuator(
        model, trained, json.loads(metrics.read_text()) if metrics.exists() else {}
    )


def operator_states(
    trained: TrainedActuator, commands: sim.EngineCommands, t: jax.Array, t_start: float
) -> jax.Array:
    """Actuator states (in %) at times ``t [N]`` by tiling windows t0 = t_start + kS, with
    t_start moved back to the command grid."""
    t_start = SPACING * jnp.floor(t_start / SPACING + 1e-3)
    tile = jnp.floor((t - t_start) / HORIZON)
    t0 = t_start + tile * HORIZON
    u = branch_input(commands, t0, "egr" if trained.model.outputs == 2 else "vgt")
    out = jax.vmap(
        lambda ui, si: trained.model.apply(trained.params, ui[None], si[None, None])[0, 0]
    )(u, trunk_input(t - t0))
    return 100.0 * out
