r"""The pre-trained body of few-shot identification (strategy B of the protocol, Step 8).

The body :math:`\phi: \hat t \mapsto \mathbb R^H` (tanh MLP, 4 × 64) is shared; each lab scenario
k has its own linear head, :math:`y = c + s \odot (W_k \phi(\hat t) + b_k)` for the outputs
(p_im, p_em, x_r, T_1, ω_t), with c, s the output scales of :func:`sciml.twin._pinn.output_affine`;
actuator states are precomputed (closed form, or the DeepONets). Pre-training minimises the
PINN loss of :mod:`sciml.twin._pinn` summed over the lab scenarios, each at its known θ_k:

.. math::
    \mathcal L = \sum_k \Big[\overline{r_{ode}^2} + \overline{r_{alg}^2}
        + \overline{r_{data}^2} + \overline{r_{data}(t_0)^2}\Big].

MC dropout (Step 9): with ``dropout = p > 0`` the body is pre-trained with dropout on its hidden
units, one mask per lab window and step, constant in time (a mask that changed with t would make
φ′ meaningless). Off by default: on 8 lab runs of a test cycle, p = 0.05 kept the
pre-training loss ~20x higher after 3000 steps (10 against 0.5) and the online parameter
errors at 20-39 %, against 1-19 % without dropout after 10 000 steps.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from pdes import engines as sim
from physics.engines import UNKNOWNS, EngineParameters, with_log_factors
from sciml.twin._pinn import check_budget, fixed_collocation, output_affine
from sciml.twin._residuals import engine_residuals, known_actuators, rate_scale
from sciml.twin._simulation_fit import Window, cut_window

HEADS = 5
"""Outputs of a head: p_im, p_em, x_r, T_1, ω_t (the first five columns of ``COLUMNS``)."""


@dataclass(frozen=True)
class FewShotSettings:
    """The protocol's Step 8 body (4 × 64 tanh), its pre-training and the online solve."""

    width: int = 64
    depth: int = 4
    steps: int = 20_000
    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    chunk: int = 500
    grid_rate: float = 100.0
    breakpoint_points: int = 16
    breakpoint_halfwidth: float = 0.3
    dropout: float = 0.0  # Step 9 asks 0.05; see the module docstring
    ridge: float = 1e-6
    max_steps: int = 200
    rtol: float = 1e-8
    seed: int = 0

    def __post_init__(self):
        if self.width < 1 or self.depth < 1:
            raise ValueError(f"the body needs width, depth >= 1, got {self.width}, {self.depth}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        check_budget(self.steps, self.chunk)


class Body(nn.Module):
    """``t̂ [N, 1] -> φ [N, width]``; ``mask [depth, width]`` scales the hidden units (dropout)."""

    width: int = 64
    depth: int = 4

    @nn.compact
    def __call__(self, t_hat: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        h = t_hat
        for i in range(self.depth):
            h = jnp.tanh(nn.Dense(self.width)(h))
            if mask is not None:
                h = h * mask[i][None, :]
        return h


class Pretrained(NamedTuple):
    """The frozen body, the lab heads ``[K, 5, H]`` / ``[K, 5]`` and the window length."""

    body: dict
    heads: jax.Array
    biases: jax.Array
    length: float
    settings: dict
    history: list
    wall_seconds: float
    compile_seconds: float


def dropout_masks(key: jax.Array, count: int, settings: FewShotSettings) -> jax.Array:
    """``count`` inverted-dropout masks ``[count, depth, width]`` (keep probability 1 - p)."""
    keep = 1.0 - settings.dropout
    shape = (count, settings.depth, settings.width)
    return jax.random.bernoulli(key, keep, shape).astype(jnp.result_type(float)) / keep


def collocation_points(windows: Window, params, settings: FewShotSettings) -> np.ndarray:
    """``[W, N]``: the uniform grid at ``grid_rate`` and points around every command change."""
    rng = np.random.default_rng(settings.seed)
    return fixed_collocation(
        windows,
        params,
        settings.grid_rate,
        settings.breakpoint_points,
        settings.breakpoint_halfwidth,
        rng,
    )


def features_at(body: Body, body_params, t, t0, length, mask):
    """Φ and dΦ/dt̂ ``[N, H]`` at times ``t [N]`` of a window starting at ``t0``."""
    t_hat = (2.0 * (t - t0) / length - 1.0)[:, None]
    return jax.jvp(lambda s: body.apply(body_params, s, mask), (t_hat,), (jnp.ones_like(t_hat),))


def head_outputs(features, head, centre, spread, bias=0.0):
    """``y = c + s ⊙ (head · features + bias)`` ``[N, 5]`` for features ``[N, F]``."""
    return centre[None, :HEADS] + spread[None, :HEADS] * (features @ head.T + bias)


def _outputs(phi, dphi, head, bias, centre, spread, known, length):
    """States ``[N, 8]`` and their derivatives ``[N, 5]`` from features and a linear head."""
    y = head_outputs(phi, head, centre, spread, bias[None, :])
    dy = spread[None, :HEADS] * (dphi @ head.T) * 2.0 / length
    return jnp.concatenate([y, known], axis=1), dy


def _window_residuals(features, head, bias, theta, data, centre, spread, points, known, config):
    """The residual arrays ``(ode, algebraic, misfit)`` of one window."""
    observed, rates = config
    (phi_c, dphi_c), phi_d = features
    known_c, known_d = known
    length = data.t[-1] - data.t[0]
    y, dy = _outputs(phi_c, dphi_c, head, bias, centre, spread, known_c, length)
    y_d, _ = _outputs(phi_d, phi_d, head, bias, centre, spread, known_d, length)
    return engine_residuals(y, dy, points, y_d, data, theta, spread, observed, rates)


def _terms(ode, algebraic, misfit) -> jax.Array:
    return jnp.stack(
        [jnp.mean(ode**2), jnp.mean(algebraic**2), jnp.mean(misfit**2), jnp.mean(misfit[0] ** 2)]
    )


def check_length(windows: Window, length: float) -> None:
    lengths = np.asarray(windows.t[:, -1] - windows.t[:, 0])
    if not np.allclose(lengths, length, rtol=1e-6):
        raise ValueError(
            f"few-shot windows must last {length:g} s like the pre-training windows; "
            f"got {sorted(set(np.round(lengths, 6).tolist()))}"
        )


LAB_ATTEMPTS = 10


def lab_windows(
    count: int,
    length: float,
    params: EngineParameters,
    observed,
    *,
    commands: sim.EngineCommands | None = None,
    starts=None,
    seed: int = 1000,
    spread: float = 0.3,
    family: str = "staircase",
    unknowns=UNKNOWNS,
) -> tuple[Window, np.ndarray]:
    """Clean lab windows of ``length`` s from ``count`` scenarios, each simulated at its own θ_k
    (factors drawn uniformly within ±``spread`` of nominal), and the log-factors of every
    window ``[windows, len(unknowns)]``.

    With ``commands`` (a test cycle the field engine also runs), every scenario runs them and
    gives the windows starting at ``starts``. Without, scenario k draws new commands from
    ``family``, lasts two windows and gives its first or its second half (k even / odd), so the
    lab set holds starts at equilibrium and starts in motion. A θ_k whose scenario the solver
    or the envelope guard rejects is drawn again (at most ``LAB_ATTEMPTS`` times)."""
    if (commands is None) != (starts is None):
        raise ValueError("give both commands and starts (a test cycle), or neither")
    rng = np.random.default_rng(seed)
    log_factors, windows = [], []
    for k in range(count):
        for _ in range(LAB_ATTEMPTS):
            rho = np.log(rng.uniform(1.0 - spread, 1.0 + spread, len(unknowns)))
            factors = dict(zip(unknowns, np.exp(rho).tolist(), strict=True))
            theta = params._replace(**{n: getattr(params, n) * f for n, f in factors.items()})
            try:
                if commands is None:
                    duration = 2 * length
                    scenario = sim.generate_scenarios(family, 1, seed + k, theta, duration=duration)
                    scenario = scenario[0]
                else:
                    scenario = sim.simulate_commands(commands, theta, seed=seed + k, source="lab")
                    if scenario["attrs"]["envelope"] != "inside":
                        continue
                break
            except (RuntimeError, ValueError):  # the solve or the envelope guard failed: redraw θ
                continue
        else:
            raise RuntimeError(f"lab scenario {k}: no θ within ±{spread:.0%} simulated cleanly")
        data = SimpleNamespace(arrays=scenario["arrays"], attrs=scenario["attrs"])
        for start in [length * (k % 2)] if commands is None else starts:
            windows.append(cut_window(data, start, length, observed, 0.0))
            log_factors.append(rho)
    return jax.tree.map(lambda *w: jnp.stack(w), *windows), np.array(log_factors)


def pretrain(
    windows: Window,
    log_factors,
    params: EngineParameters,
    observed,
    settings: FewShotSettings = FewShotSettings(),
    *,
    unknowns=UNKNOWNS,
    operators=None,
    progress: Callable[[int], None] | None = None,
) -> Pretrained:
    """Train the shared body and one head per lab window (known θ_k) with Adam, the rate
    decaying exponentially from ``learning_rate`` to ``final_learning_rate``."""
    observed = tuple(observed)
    count = windows.y.shape[0]
    length = float(windows.t[0, -1] - windows.t[0, 0])
    check_length(windows, length)
    rho = jnp.asarray(log_factors)
    if rho.shape != (count, len(unknowns)):
        raise ValueError(f"log_factors needs shape {(count, len(unknowns))}, got {rho.shape}")
    body = Body(settings.width, settings.depth)
    points = jnp.asarray(collocation_points(windows, params, settings))
    known = (
        known_actuators(windows, points, params, operators),
        known_actuators(windows, windows.t, params, operators),
    )
    centre, spread = (jnp.asarray(a) for a in output_affine(windows, observed))
    config = (observed, rate_scale(params, False))

    def window_terms(body_params, mask, head, bias, rho_k, data, c, s, p, kn):
        theta = with_log_factors(params, unknowns, rho_k)
        t0 = data.t[0]
        features = (
            features_at(body, body_params, p, t0, length, mask),
            features_at(body, body_params, data.t, t0, length, mask)[0],
        )
        return _terms(*_window_residuals(features, head, bias, theta, data, c, s, p, kn, config))

    def loss(trainable, key):
        body_params, heads, biases = trainable
        masks = dropout_masks(key, count, settings) if settings.dropout else None
        mask_axis = None if masks is None else 0
        terms = jax.vmap(window_terms, in_axes=(None, mask_axis, 0, 0, 0, 0, 0, 0, 0, 0))(
            body_params, masks, heads, biases, rho, windows, centre, spread, points, known
        )
        terms = jnp.sum(terms, axis=0)
        return jnp.sum(terms), terms

    key = jax.random.PRNGKey(settings.seed)
    key, k_body, k_heads = jax.random.split(key, 3)
    body_params = body.init(k_body, jnp.zeros((1, 1)))
    heads = jax.random.normal(k_heads, (count, HEADS, settings.width)) / np.sqrt(settings.width)
    trainable = (body_params, heads, jnp.zeros((count, HEADS)))
    schedule = optax.exponential_decay(
        settings.learning_rate,
        settings.steps,
        settings.final_learning_rate / settings.learning_rate,
    )
    optimizer = optax.adam(schedule)

    def chunk(state, key):
        def step(state, key):
            trainable, opt_state = state
            (_, terms), grads = jax.value_and_grad(loss, has_aux=True)(trainable, key)
            updates, opt_state = optimizer.update(grads, opt_state, trainable)
            return (optax.apply_updates(trainable, updates), opt_state), terms

        state, terms = jax.lax.scan(step, state, jax.random.split(key, settings.chunk))
        return state, terms[-1]

    state = (trainable, optimizer.init(trainable))
    start = time.perf_counter()
    compiled = jax.jit(chunk, donate_argnums=0).lower(state, key).compile()
    compile_seconds = time.perf_counter() - start
    history, done = [], 0
    start = time.perf_counter()
    while done < settings.steps:
        key, sub = jax.random.split(key)
        state, terms = compiled(state, sub)
        done += settings.chunk
        terms = np.asarray(terms)  # one host sync per chunk: the NaN guard and the history
        if not np.all(np.isfinite(terms)):
            raise FloatingPointError(f"few-shot pre-training loss is {terms} after {done} steps")
        names = ("ode", "algebraic", "data", "initial")
        history.append(
            {"step": done, "seconds": time.perf_counter() - start, "loss": float(terms.sum())}
            | dict(zip(names, terms.tolist(), strict=True))
        )
        if progress is not None:
            progress(settings.chunk)
    body_params, heads, biases = state[0]
    return Pretrained(
        body_params,
        heads,
        biases,
        length,
        asdict(settings),
        history,
        time.perf_counter() - start,
        compile_seconds,
    )
