r"""Neural surrogates of the six empirical formulae (Step 4b of the protocol; the V2 PINN).

Each formula :math:`g(x)` of :data:`physics.engines.FORMULA_INPUTS` becomes a tanh MLP (3 × 32)
on inputs scaled to :math:`[-1, 1]` over a box, :math:`\hat g(x) = c + s\,\mathrm{MLP}(\hat x)`,
with c, s the mean and std of the training targets. The box of each formula spans the 1st-99th
percentiles of its inputs along the lab scenarios; training samples are a Latin hypercube of
``points`` (20,000) in the box, targets the published formula, optionally with Gaussian noise of
``noise`` × std. Adam (1e-3 decaying to 1e-5) on random mini-batches of ``batch`` points (a
full batch of 20,000 costs 20x more per step for no better end point), then ``lbfgs_steps``
full-batch L-BFGS iterations (they halve the error that Adam leaves on the clipped formulae),
then ``lm_steps`` Levenberg–Marquardt trials on all points (the normal equations of the ~2300
weights, assembled in blocks of 1000 points; 60 trials take η_tm and Φ_c, whose clipped kinks
L-BFGS rounds off, down by a further 1.5x); acceptance: relative L2 on a held-out hypercube
(5000 points) of clean targets, the protocol asks < 1e-3.

Optional residual-based refinement before the polish (``refine``, the RAR of Lu et al.'s
DeepXDE): of a fresh hypercube of ``10 × points`` candidates, the ``refine`` with the largest
error join the training set. It needs no knowledge of where the formula is hard: for η_tm the
chosen points gather at the c_m ramp (0 to 1.4 over 28 rad/s of ω_t), which a uniform
hypercube samples with 0.4 % of its points.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree
from scipy.stats import qmc

from pdes import engines as sim
from physics.engines import (
    FORMULA_INPUTS,
    EngineParameters,
    Formulae,
    GasFlowState,
    gas_flow_signals,
    published_formulae,
)
from sciml.models import MLP
from sciml.train import blocked_normal_equations, levenberg_marquardt, minimize_lbfgs
from sciml.twin._store import read_arrays, shaped_like, write_arrays

WIDTH, DEPTH = 32, 3
LOW, HIGH = 1.0, 99.0  # percentiles of the lab inputs that bound each box
LM_BLOCK = 1000  # points per block of the normal equations: ~0.6 GB of forward tangents


@dataclass(frozen=True)
class Surrogate:
    """A trained surrogate: ``surrogate(*inputs)`` broadcasts like the formula it replaces."""

    params: dict
    lower: np.ndarray
    upper: np.ndarray
    centre: float
    spread: float

    def __call__(self, *inputs) -> jax.Array:
        x = jnp.stack(jnp.broadcast_arrays(*inputs), axis=-1)
        shape = (1,) * (x.ndim - 1) + (-1,)
        lower, upper = jnp.reshape(self.lower, shape), jnp.reshape(self.upper, shape)
        x_hat = 2.0 * (x - lower) / (upper - lower) - 1.0
        return self.centre + self.spread * MLP(WIDTH, DEPTH).apply(self.params, x_hat)[..., 0]


SURROGATES = "surrogates"
LAB_FAMILIES = ("staircase", "smooth", "excitation")
LAB_SEED = 100


def lab_scenarios(params: EngineParameters, duration: float = 60.0, per_family: int = 2):
    """Lab scenarios at ``params`` whose inputs bound the boxes: ``per_family`` runs of each
    drive family of Step 2 (seed 100, apart from the field scenarios' seeds)."""
    scenarios = []
    for family in LAB_FAMILIES:
        scenarios += sim.generate_scenarios(family, per_family, LAB_SEED, params, duration=duration)
    return scenarios


def formula_inputs(scenarios: list[dict], params: EngineParameters) -> dict[str, np.ndarray]:
    """Every formula input ``[samples]`` along the scenarios' 100 Hz truth (n_e saturated)."""
    values: dict[str, list] = {}
    for scenario in scenarios:
        a = scenario["arrays"]
        commands = sim.EngineCommands(
            *(jnp.asarray(a[k]) for k in ("command-times", "command-values", "command-history"))
        )
        t = jnp.asarray(a["t-coordinate"])
        x = jnp.asarray(a["states"])
        column = {n: x[:, i] for i, n in enumerate(sim.STATES)}
        state = GasFlowState(*(column[n] for n in GasFlowState._fields))
        inputs = commands.inputs(t, params)
        gas = jax.vmap(lambda x, u: gas_flow_signals(x, u, params))(state, inputs)
        named = {
            "p_im": column["p_im"],
            "n_e": jnp.clip(inputs.n_e, 500.0, 2000.0),
            "u_egr": gas.u_egr,
            "u_vgt": column["u_vgt"],
            "Pi_t": gas.Pi_t,
            "omega_t": column["omega_t"],
            "T_em": gas.T_em,
            "W_c": gas.W_c,
            "Pi_c": gas.Pi_c,
        }
        for name, value in named.items():
            values.setdefault(name, []).append(np.asarray(value))
    return {name: np.concatenate(parts) for name, parts in values.items()}


def boxes(inputs: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``formula -> (lower, upper)``: the 1st and 99th percentiles of each of its inputs."""
    out = {}
    for formula, names in FORMULA_INPUTS.items():
        lo = np.array([np.percentile(inputs[n], LOW) for n in names])
        hi = np.array([np.percentile(inputs[n], HIGH) for n in names])
        if np.any(hi <= lo):
            flat = [n for n, a, b in zip(names, lo, hi, strict=True) if b <= a]
            raise ValueError(f"{formula}: the lab scenarios do not vary {flat}; add excitation")
        out[formula] = (lo, hi)
    return out


def hypercube(lower, upper, count: int, seed: int) -> np.ndarray:
    """``[count, d]`` Latin-hypercube points in the box."""
    unit = qmc.LatinHypercube(d=len(lower), seed=seed).random(count)
    return qmc.scale(unit, lower, upper)


def train_surrogate(
    formula: Callable,
    lower,
    upper,
    *,
    points: int = 20_000,
    steps: int = 100_000,
    batch: int = 2000,
    lbfgs_steps: int = 3000,
    lm_steps: int = 60,
    refine: int = 0,
    noise: float = 0.0,
    seed: int = 0,
    test_points: int = 5000,
    lab=None,
) -> tuple[Surrogate, dict]:
    """Fit one surrogate of ``formula(*inputs)`` on the box; its test metrics, also on the lab
    trajectories' own inputs ``lab [n, d]`` if given (inside the box)."""
    x = hypercube(lower, upper, points, seed)
    y = np.asarray(formula(*x.T))
    rng = np.random.default_rng(seed)
    y_train = y + noise * y.std() * rng.standard_normal(y.shape)
    centre, spread = float(y_train.mean()), float(max(y_train.std(), 1e-12))
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    x_hat = jnp.asarray(2.0 * (x - lower) / (upper - lower) - 1.0)
    target = jnp.asarray((y_train - centre) / spread)
    model = MLP(WIDTH, DEPTH)
    params = model.init(jax.random.PRNGKey(seed), x_hat[:1])
    optimizer = optax.adam(optax.exponential_decay(1e-3, steps, 1e-2))

    batch = min(batch, points)

    def loss(p, index):
        return jnp.mean((model.apply(p, x_hat[index])[:, 0] - target[index]) ** 2)

    @jax.jit
    def run(p, opt_state, key):
        def step(carry, key):
            p, opt_state = carry
            index = jax.random.randint(key, (batch,), 0, points)
            value, grads = jax.value_and_grad(loss)(p, index)
            updates, opt_state = optimizer.update(grads, opt_state, p)
            return (optax.apply_updates(p, updates), opt_state), value

        keys = jax.random.split(key, steps)
        (p, opt_state), values = jax.lax.scan(step, (p, opt_state), keys)
        return p, jnp.mean(values[-100:])

    def full_loss(p):
        return jnp.mean((model.apply(p, x_hat)[:, 0] - target) ** 2)

    start = time.perf_counter()
    params, final = run(params, optimizer.init(params), jax.random.PRNGKey(seed + 1))
    if lbfgs_steps > 0:
        # the line search needs one dtype throughout: the parameters take the inputs' precision
        params = jax.tree.map(lambda a: a.astype(x_hat.dtype), params)
        params, values = minimize_lbfgs(full_loss, params, lbfgs_steps)
        final = values[-1]
    if refine > 0:
        pool = hypercube(lower, upper, 10 * points, seed + 2)
        y_pool = np.asarray(formula(*pool.T))
        y_pool = y_pool + noise * y.std() * rng.standard_normal(y_pool.shape)
        pool_hat = 2.0 * (pool - lower) / (upper - lower) - 1.0
        miss = np.abs(np.asarray(model.apply(params, pool_hat)[:, 0]) - (y_pool - centre) / spread)
        worst = np.argsort(miss)[-refine:]
        x_hat = jnp.concatenate([x_hat, jnp.asarray(pool_hat[worst])])
        target = jnp.concatenate([target, jnp.asarray((y_pool[worst] - centre) / spread)])
    if lm_steps > 0:
        params, final = _polish(model, params, x_hat, target, lm_steps)
    final = float(final)  # the host sync that ends training
    seconds = time.perf_counter() - start
    if not np.isfinite(final):
        raise FloatingPointError(f"surrogate training loss is {final}")
    surrogate = Surrogate(params, lower, upper, centre, spread)
    x_test = hypercube(lower, upper, test_points, seed + 1)
    y_test = np.asarray(formula(*x_test.T))
    error = np.asarray(surrogate(*x_test.T)) - y_test
    metrics = {
        "points": points,
        "steps": steps,
        "batch": batch,
        "lbfgs_steps": lbfgs_steps,
        "lm_steps": lm_steps,
        "refine": refine,
        "noise": noise,
        "train_seconds": round(seconds, 2),
        "train_mse_scaled": final,
        "rel_l2_test": float(np.linalg.norm(error) / np.linalg.norm(y_test)),
        "max_abs_error_test": float(np.abs(error).max()),
    }
    if lab is not None:
        inside = np.all((lab >= lower) & (lab <= upper), axis=1)
        y_lab = np.asarray(formula(*lab[inside].T))
        error = np.asarray(surrogate(*lab[inside].T)) - y_lab
        metrics["rel_l2_lab"] = float(np.linalg.norm(error) / np.linalg.norm(y_lab))
        metrics["lab_points_inside"] = float(inside.mean())
    return surrogate, metrics


def _polish(model, params, x_hat, target, steps: int):
    """Levenberg–Marquardt on the mean squared error over every point; the parameters and the
    final loss. Points are padded to whole blocks with zero weight."""
    flat, unravel = ravel_pytree(jax.tree.map(lambda a: a.astype(x_hat.dtype), params))
    count = -(-x_hat.shape[0] // LM_BLOCK)
    pad = count * LM_BLOCK - x_hat.shape[0]
    weight = jnp.pad(jnp.ones_like(target), (0, pad)).reshape(count, LM_BLOCK)
    blocks = (
        jnp.pad(x_hat, ((0, pad), (0, 0))).reshape(count, LM_BLOCK, -1),
        jnp.pad(target, (0, pad)).reshape(count, LM_BLOCK),
        weight,
    )

    def residual(z, block):
        x, y, w = block
        return w * (model.apply(unravel(z), x)[:, 0] - y)

    normal_equations, loss = blocked_normal_equations(residual, blocks)
    solve = jax.jit(lambda z: levenberg_marquardt(normal_equations, loss, z, max_steps=steps))
    flat, value, _ = solve(flat)
    return unravel(flat), value / x_hat.shape[0]


def train_surrogates(
    scenarios: list[dict],
    params: EngineParameters,
    *,
    points: int = 20_000,
    steps: int = 100_000,
    lbfgs_steps: int = 3000,
    lm_steps: int = 60,
    refine: int = 0,
    noise: float = 0.0,
    seed: int = 0,
    names: tuple[str, ...] = Formulae._fields,
) -> tuple[dict, dict]:
    """The surrogates of ``names`` (all six by default) on the boxes of ``scenarios``:
    ``{name: Surrogate}`` and their metrics (``Formulae(**trained)`` when all six)."""
    exact = published_formulae(params)
    inputs = formula_inputs(scenarios, params)
    box = boxes(inputs)
    trained, metrics = {}, {}
    for i, name in enumerate(Formulae._fields):
        if name not in names:
            continue
        lower, upper = box[name]
        lab = np.stack([inputs[n] for n in FORMULA_INPUTS[name]], axis=1)
        trained[name], metrics[name] = train_surrogate(
            getattr(exact, name), lower, upper,
            points=points, steps=steps, lbfgs_steps=lbfgs_steps, lm_steps=lm_steps,
            refine=refine, noise=noise, seed=seed + 10 * i,
            lab=lab,
        )  # fmt: skip
        metrics[name] |= {"inputs": list(FORMULA_INPUTS[name]), "lower": lower.tolist(),
                          "upper": upper.tolist()}  # fmt: skip
    return trained, metrics


def train_formula_surrogates(
    out,
    *,
    noise: float = 0.0,
    points: int = 20_000,
    steps: int = 100_000,
    lbfgs_steps: int = 3000,
    lm_steps: int = 60,
    seed: int = 0,
) -> dict:
    """``sciml twin surrogates``: the lab scenarios, the six surrogates, written to ``out``."""
    if points < 10 or steps < 1 or lbfgs_steps < 0 or lm_steps < 0 or noise < 0:
        raise ValueError(
            "need points >= 10, steps >= 1, lbfgs_steps >= 0, lm_steps >= 0, noise >= 0; "
            f"got {points}, {steps}, {lbfgs_steps}, {lm_steps}, {noise}"
        )
    params = EngineParameters()
    with jax.enable_x64(True):
        trained, metrics = train_surrogates(
            lab_scenarios(params), params, points=points, steps=steps,
            lbfgs_steps=lbfgs_steps, lm_steps=lm_steps, noise=noise, seed=seed,
        )  # fmt: skip
    save_surrogates(out, Formulae(**trained), metrics)
    return metrics


def save_surrogates(directory: Path | str, formulae, metrics: dict) -> None:
    """``directory/surrogates.msgpack`` (the six networks) and ``surrogates.json`` (boxes,
    output scales, test metrics)."""
    arrays = {name: getattr(formulae, name).params for name in formulae._fields}
    meta = {
        name: {
            **metrics[name],
            "lower": np.asarray(getattr(formulae, name).lower).tolist(),
            "upper": np.asarray(getattr(formulae, name).upper).tolist(),
            "centre": getattr(formulae, name).centre,
            "spread": getattr(formulae, name).spread,
        }
        for name in formulae._fields
    }
    write_arrays(Path(directory), SURROGATES, arrays, meta)


def load_surrogates(directory: Path | str):
    """The :class:`physics.engines.Formulae` of trained surrogates and their metadata."""
    stored, meta = read_arrays(
        directory, SURROGATES, "formula surrogates", "train them with sciml twin surrogates"
    )
    trained = {}
    for name in Formulae._fields:
        if name not in meta or name not in stored:
            raise ValueError(f"{directory}: no surrogate of {name}")
        entry = meta[name]
        template = MLP(WIDTH, DEPTH).init(
            jax.random.PRNGKey(0), jnp.zeros((1, len(entry["lower"])))
        )
        params = shaped_like(template, stored[name], f"{directory}/{SURROGATES}.msgpack {name}")
        trained[name] = Surrogate(
            params,
            np.asarray(entry["lower"]),
            np.asarray(entry["upper"]),
            float(entry["centre"]),
            float(entry["spread"]),
        )
    return Formulae(**trained), meta
