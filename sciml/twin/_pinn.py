r"""Parameter identification with a physics-informed network (the 2023 baseline V0, and the
2024 operator-infused PINN: V1 with the actuator DeepONets, its exact-actuator ablation
V1-exact, and V2 with the DeepONets and the surrogates of the empirical formulae).

Per window, networks of the normalised time :math:`\hat t = 2(t - t_0)/T - 1 \in [-1, 1]`
(tanh, 3 × 32) give the states: N1 (p_im, p_em), N2 x_r, N3 T_1, N5 ω_t and, in V0, N4
(ũ_egr1, ũ_egr2) and N6 ũ_vgt. In V1-exact the actuator states are the closed-form delayed lags
of the known commands (:func:`physics.engines.lag_response`), computed once; in V1 and V2 the
trained DeepONets give them (:mod:`sciml.twin._actuator_operator`), and V2 evaluates the model
with the six formula surrogates (:mod:`sciml.twin._surrogates`). Each output is an
affine map :math:`y = c + s\,z` of the raw network output around its scale. The unknowns are
:math:`\theta = \theta_{nom}e^{\rho}`, shared by all windows. The loss is

.. math::
    \mathcal L = \sum_w \Big[\overline{\big(\tfrac{\dot y - f(y, u; \theta)}{y_{ref}}\big)^2}
        + \overline{\big(\tfrac{F(x_r, T_1) - (x_r, T_1)}{s}\big)^2}
        + \overline{\lambda^2\big(\tfrac{\hat y - y^{meas}}{\sigma}\big)^2}
        + \mathcal L_{t_0}\Big],

ODE residuals in 1/s (states over their scales :func:`physics.engines.state_scale`), the
algebraic x_r/T_1 residual of the fixed-point map F, the data term with self-adaptive point
weights λ (McClenny & Braga-Neto: initialised at 1, mask λ², trained by gradient ascent; held at
1 with ``self_adaptive=False``, since on noisy data the ascent raises λ where the noise is
largest), and the initial term (measured states at their first sample, V0's actuators at their
closed-form values).
Collocation: the 100 Hz grid, random points resampled every ``resample_every`` steps, and
points within ±0.3 s of each command change. Adam with the rate decaying exponentially from 1e-3
to 1e-4; stop when θ̂ changes by less than ``tolerance`` (relative) over one chunk of steps.
Optionally ``lbfgs_steps`` L-BFGS iterations follow (Step 5), on the loss with the collocation
points and the adaptive weights fixed at their last values (a quasi-Newton method needs a
deterministic objective), under the same stopping rule per ``lbfgs_chunk`` iterations.
"""

import time
from dataclasses import asdict, dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from physics.engines import UNKNOWNS, EngineParameters, with_log_factors
from sciml.models import MLP
from sciml.twin._pinn_lbfgs import lbfgs_stage
from sciml.twin._residuals import engine_physics, engine_residuals, known_actuators, rate_scale
from sciml.twin._simulation_fit import Window, actuator_states, observed_signals

VARIANTS = ("V0", "V1", "V1-exact", "V2")
"""Step 6: V0 learns the actuator states; V1 takes them from the frozen DeepONets, V1-exact in
closed form; V2 also evaluates the empirical formulae through frozen surrogates (Step 4b)."""

OUTPUTS = ("p_im", "p_em", "x_r", "T_1", "omega_t", "u_egr1", "u_egr2", "u_vgt")

PRIOR = {  # centre and spread of each output where the window does not measure it
    "p_im": (1.6e5, 0.4e5),
    "p_em": (1.8e5, 0.6e5),
    "x_r": (0.05, 0.03),
    "T_1": (320.0, 20.0),
    "omega_t": (6.0e3, 2.5e3),
    "u_egr1": (50.0, 30.0),
    "u_egr2": (50.0, 30.0),
    "u_vgt": (60.0, 25.0),
}

TERMS = ("ode", "algebraic", "data", "initial")

MIN_SPREAD = 0.02
"""Relative floor of a measured output's spread (a state constant over the window)."""


@dataclass(frozen=True)
class PinnSettings:
    """The protocol's Step 5 defaults (``steps`` is the budget; ``chunk`` steps run per call)."""

    variant: str = "V0"
    width: int = 32
    depth: int = 3
    steps: int = 50_000
    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    chunk: int = 500
    tolerance: float = 1e-4
    grid_rate: float = 100.0
    random_fraction: float = 2.0 / 3.0
    resample_every: int = 1000
    breakpoint_points: int = 16
    breakpoint_halfwidth: float = 0.3
    seed: int = 0
    theta_learning_rate: float | None = None  # θ's own constant rate (Step 7 stage 2)
    freeze_theta: bool = False  # θ held at its start (Step 7 stage 1); no stopping rule
    self_adaptive: bool = True  # the data term's point weights λ (S11); False keeps λ = 1
    lbfgs_steps: int = 0  # L-BFGS iterations after Adam (Step 5's option, Step 7's stage 3)
    lbfgs_chunk: int = 100
    lbfgs_memory: int = 20

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown PINN variant {self.variant!r}; choose from {VARIANTS}")
        check_budget(self.steps, self.chunk)
        if self.lbfgs_steps:
            check_budget(self.lbfgs_steps, self.lbfgs_chunk)
            if self.freeze_theta:
                raise ValueError("the L-BFGS stage moves θ; it cannot follow a frozen-θ stage")


def check_budget(steps: int, chunk: int) -> None:
    """Refuse a step budget smaller than one compiled chunk of steps."""
    if steps < chunk or chunk < 1:
        raise ValueError(f"need steps >= chunk >= 1, got steps={steps}, chunk={chunk}")


class StateNetworks(nn.Module):
    """The separate networks of one window: ``t̂ [N, 1] -> raw outputs [N, 5 or 8]``."""

    actuators: bool
    width: int = 32
    depth: int = 3

    @nn.compact
    def __call__(self, t_hat: jax.Array) -> jax.Array:
        net = lambda out, name: MLP(self.width, self.depth, out, name=name)(t_hat)
        parts = [net(2, "N1"), net(1, "N2"), net(1, "N3"), net(1, "N5")]
        if self.actuators:
            parts += [net(2, "N4"), net(1, "N6")]
        return jnp.concatenate(parts, axis=-1)


class PinnFit:
    """Results: ``theta``, ``history`` (θ̂ after each chunk with its wall time) and the data
    term's final self-adaptive weights ``adaptive_weights``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def output_affine(windows: Window, observed) -> tuple[np.ndarray, np.ndarray]:
    """Centre and spread ``[W, 8]`` of every output: data statistics where measured."""
    count = windows.y.shape[0]
    centre = np.tile([PRIOR[n][0] for n in OUTPUTS], (count, 1))
    spread = np.tile([PRIOR[n][1] for n in OUTPUTS], (count, 1))
    for name in ("p_im", "p_em", "omega_t"):
        if name in observed:
            y = np.asarray(windows.y[:, :, list(observed).index(name)])
            j = OUTPUTS.index(name)
            centre[:, j] = y.mean(axis=1)
            spread[:, j] = np.maximum(y.std(axis=1), MIN_SPREAD * np.abs(centre[:, j]))
    return centre, spread


def fixed_collocation(windows: Window, params, rate: float, count: int, halfwidth: float, rng):
    """``[W, N]``: the uniform grid at ``rate`` (Hz) from each window's start, and ``count``
    points within ±``halfwidth`` of every command change (:func:`breakpoint_points`)."""
    t0 = np.asarray(windows.t[:, 0])
    length = float(np.min(np.asarray(windows.t[:, -1]) - t0))
    grid = t0[:, None] + np.arange(0.0, length + 1e-9, 1.0 / rate)[None, :]
    near = breakpoint_points(windows, params, count, halfwidth, rng)
    return np.concatenate([grid, near], axis=1)


def breakpoint_points(windows: Window, params, count: int, halfwidth: float, rng) -> np.ndarray:
    """``[W, B]`` points within ±halfwidth of each command change inside each window."""
    per_window = []
    for w in range(windows.y.shape[0]):
        commands = jax.tree.map(lambda leaf, w=w: leaf[w], windows.commands)
        t0, t1 = float(windows.t[w, 0]), float(windows.t[w, -1])
        jumps = np.asarray(commands.jump_times(params))
        jumps = np.unique(jumps[(jumps > t0) & (jumps < t1)])
        points = [np.clip(j + rng.uniform(-1, 1, count) * halfwidth, t0, t1) for j in jumps]
        per_window.append(np.concatenate(points) if points else np.zeros(0))
    size = max(1, max(len(p) for p in per_window))
    # Windows with fewer changes are padded with random points so the windows stack.
    return np.stack(
        [
            np.concatenate([p, rng.uniform(windows.t[w, 0], windows.t[w, -1], size - len(p))])
            for w, p in enumerate(per_window)
        ]
    )


def fit_by_pinn(
    windows: Window,
    params: EngineParameters,
    observed,
    settings: PinnSettings = PinnSettings(),
    *,
    initial_factors=None,
    unknowns=UNKNOWNS,
    truth: dict | None = None,
    operators=None,
    initial_networks=None,
    surrogates=None,
) -> PinnFit:
    """Fit ``unknowns`` to stacked ``windows`` with a PINN (see the module docstring).

    ``truth`` (parameter values) only adds the error history for time-to-accuracy curves;
    ``operators`` are the trained actuator DeepONets ``(egr, vgt)`` that V1 needs;
    ``initial_networks`` (``PinnFit.networks`` of a fit of the same variant) replace the random
    initialisation, window w taking network ``w mod`` their count (transfer learning);
    ``surrogates`` (:class:`physics.engines.Formulae`) are the formula surrogates V2 needs.
    """
    if settings.variant in ("V1", "V2") and operators is None:
        raise ValueError(
            f"variant {settings.variant} needs the trained actuator operators (operators=(egr,vgt))"
        )
    if (settings.variant == "V2") != (surrogates is not None):
        raise ValueError("variant V2, and only V2, takes the formula surrogates (surrogates=...)")
    observed = tuple(observed)
    factors = np.ones(len(unknowns)) if initial_factors is None else np.asarray(initial_factors)
    if factors.shape != (len(unknowns),):
        raise ValueError(f"initial_factors needs {len(unknowns)} values, got {factors.shape}")
    count, samples, _ = windows.y.shape
    actuators = settings.variant == "V0"
    t0 = np.asarray(windows.t[:, 0])
    length = np.asarray(windows.t[:, -1]) - t0
    rng = np.random.default_rng(settings.seed)
    grid_size = np.arange(0.0, length.min() + 1e-9, 1.0 / settings.grid_rate).size
    n_random = round(settings.random_fraction * grid_size)
    fixed_points = fixed_collocation(
        windows,
        params,
        settings.grid_rate,
        settings.breakpoint_points,
        settings.breakpoint_halfwidth,
        rng,
    )
    centre, spread = (jnp.asarray(a) for a in output_affine(windows, observed))
    rates = rate_scale(params, actuators)
    model = StateNetworks(actuators, settings.width, settings.depth)

    @jax.jit
    def known_at(t):
        if actuators:
            return jnp.zeros((*t.shape, 0), t.dtype)
        learnt = operators if settings.variant in ("V1", "V2") else None
        return known_actuators(windows, t, params, learnt)

    data_actuators = known_at(windows.t)

    def states_at(net_params, w_centre, w_spread, t, w_t0, w_length, known):
        """Physical outputs and their time derivatives at times t [N] of one window; ``known``
        holds the precomputed actuator states [N, 3] (V1, V1-exact)."""
        t_hat = (2.0 * (t - w_t0) / w_length - 1.0)[:, None]
        raw, draw = jax.jvp(lambda s: model.apply(net_params, s), (t_hat,), (jnp.ones_like(t_hat),))
        width = raw.shape[1]
        y = w_centre[None, :width] + w_spread[None, :width] * raw
        dy = w_spread[None, :width] * draw * 2.0 / w_length
        if not actuators:
            y = jnp.concatenate([y, known], 1)
        return y, dy

    def window_loss(net_params, adaptive, rho, data: Window, w_centre, w_spread, points_and_known):
        theta = with_log_factors(params, unknowns, rho)
        w_t0, w_length = data.t[0], data.t[-1] - data.t[0]
        points, known, known_data = points_and_known
        y, dy = states_at(net_params, w_centre, w_spread, points, w_t0, w_length, known)
        y_d, _ = states_at(net_params, w_centre, w_spread, data.t, w_t0, w_length, known_data)
        ode, algebraic, misfit = engine_residuals(
            y, dy, points, y_d, data, theta, w_spread, observed, rates, surrogates
        )
        initial = [misfit[0]]
        if actuators:
            exact = jnp.stack(actuator_states(data.commands, w_t0, params))
            initial.append((y_d[0, 5:] - exact) / w_spread[5:])
        return jnp.stack(
            [
                jnp.mean(ode**2),
                jnp.mean(algebraic**2),
                jnp.mean(adaptive**2 * misfit**2),
                jnp.mean(jnp.concatenate(initial) ** 2),
            ]
        )

    def total_loss(trainable, adaptive, data, points):
        nets, rho = trainable
        terms = jax.vmap(window_loss, in_axes=(0, 0, None, 0, 0, 0, 0))(
            nets, adaptive, rho, data, centre, spread, points
        )
        terms = jnp.sum(terms, axis=0)
        return jnp.sum(terms), terms

    keys = jax.random.split(jax.random.PRNGKey(settings.seed), count)
    # weights in the working precision (flax makes float32 parameters even under x64)
    real = jnp.result_type(float)
    nets = jax.vmap(lambda k: model.init(k, jnp.zeros((1, 1))))(keys)
    nets = jax.tree.map(lambda leaf: leaf.astype(real), nets)
    if initial_networks is not None:
        source = jax.tree.leaves(initial_networks)[0].shape[0]
        pick = np.arange(count) % source
        nets = jax.tree.map(lambda _, given: jnp.asarray(given, real)[pick], nets, initial_networks)
    trainable = (nets, jnp.asarray(np.log(factors)))
    adaptive = jnp.ones((count, samples, len(observed)))
    schedule = optax.exponential_decay(
        settings.learning_rate,
        settings.steps,
        settings.final_learning_rate / settings.learning_rate,
    )
    if settings.freeze_theta:
        theta_update = optax.set_to_zero()
    elif settings.theta_learning_rate is not None:
        theta_update = optax.adam(settings.theta_learning_rate)
    else:
        theta_update = optax.adam(schedule)
    optimizer = optax.multi_transform(
        {"networks": optax.adam(schedule), "theta": theta_update},
        lambda p: (jax.tree.map(lambda _: "networks", p[0]), "theta"),
    )
    ascent = (
        optax.chain(optax.adam(schedule), optax.scale(-1.0))
        if settings.self_adaptive
        else optax.set_to_zero()
    )
    state = (trainable, adaptive, optimizer.init(trainable), ascent.init(adaptive))

    def chunk(state, data, points):
        def step(state, _):
            trainable, adaptive, opt_state, ascent_state = state
            (_, terms), (g_train, g_adaptive) = jax.value_and_grad(
                total_loss, argnums=(0, 1), has_aux=True
            )(trainable, adaptive, data, points)
            updates, opt_state = optimizer.update(g_train, opt_state, trainable)
            adaptive_updates, ascent_state = ascent.update(g_adaptive, ascent_state, adaptive)
            new = (
                optax.apply_updates(trainable, updates),
                optax.apply_updates(adaptive, adaptive_updates),
                opt_state,
                ascent_state,
            )
            return new, terms

        state, losses = jax.lax.scan(step, state, None, length=settings.chunk)
        return state, losses[-1]

    def draw_points():
        random = t0[:, None] + rng.uniform(0.0, 1.0, (count, n_random)) * length[:, None]
        t = jnp.asarray(np.concatenate([fixed_points, random], axis=1))
        # the actuator states at every point, once per draw (nothing to learn about them)
        return t, known_at(t), data_actuators

    points = draw_points()
    start = time.perf_counter()
    compiled = jax.jit(chunk, donate_argnums=0).lower(state, windows, points).compile()
    compile_seconds = time.perf_counter() - start

    def theta_of(rho):
        return {n: float(getattr(params, n) * np.exp(rho[i])) for i, n in enumerate(unknowns)}

    def record(step, seconds, terms, rho, optimizer):
        terms = dict(zip(TERMS, np.asarray(terms).tolist(), strict=True))
        entry = {
            "step": step,
            "optimizer": optimizer,
            "seconds": seconds,
            "loss": sum(terms.values()),
            **terms,
            **theta_of(rho),
        }
        if truth is not None:
            entry["error_percent"] = {n: 100 * abs(entry[n] / truth[n] - 1) for n in unknowns}
        history.append(entry)
        return entry["loss"]

    history, done, previous, loss = [], 0, np.log(factors), float("nan")
    start = time.perf_counter()
    while done < settings.steps:
        if done and done % settings.resample_every == 0:
            points = draw_points()
        state, terms = compiled(state, windows, points)
        done += settings.chunk
        rho = np.asarray(state[0][1])  # one host sync per chunk: the stopping rule needs θ̂
        loss = record(done, time.perf_counter() - start, terms, rho, "adam")
        if not np.isfinite(loss):
            raise FloatingPointError(f"PINN loss is {loss} after {done} steps")
        change = np.max(np.abs(np.exp(rho - previous) - 1.0))
        previous = rho
        if change < settings.tolerance and not settings.freeze_theta:
            break
    wall = time.perf_counter() - start
    trainable, quasi_steps = state[0], 0
    if settings.lbfgs_steps:
        trainable, quasi_steps, quasi_loss, seconds, compiling = lbfgs_stage(
            total_loss,
            trainable,
            (state[1], windows, draw_points()),
            settings,
            lambda k, seconds, terms, rho: record(done + k, wall + seconds, terms, rho, "lbfgs"),
            previous,
        )
        wall, compile_seconds = wall + seconds, compile_seconds + compiling
        loss = quasi_loss if quasi_steps else loss

    def predict_states(t):
        """States ``[W, N, 8]`` at times ``t [W, N]`` (for the state errors of table T2)."""
        t = jnp.asarray(t)
        return jax.vmap(
            lambda net, c, s, tw, w, known: states_at(
                net, c, s, tw, w.t[0], w.t[-1] - w.t[0], known
            )[0]
        )(trainable[0], centre, spread, t, windows, known_at(t))

    return PinnFit(
        theta=theta_of(np.asarray(trainable[1])),
        networks=trainable[0],
        log_factors=np.asarray(trainable[1]),
        steps=done,
        lbfgs_steps=quasi_steps,
        loss=loss,
        wall_seconds=wall,
        compile_seconds=compile_seconds,
        history=history,
        adaptive_weights=np.asarray(state[1]),  # λ [W, M, channels] of the data term
        settings=asdict(settings),
        predict_states=predict_states,
        formulae=surrogates,
    )


def pinn_signals(fit: PinnFit, windows: Window, params: EngineParameters, names) -> jax.Array:
    """Signals ``names`` ``[W, M, len(names)]`` of the fitted PINN at the measurement times."""
    theta = with_log_factors(params, tuple(fit.theta), jnp.asarray(fit.log_factors))
    y = fit.predict_states(windows.t)

    def one(y_w, t, commands):
        state, _, gas = engine_physics(y_w, t, theta, commands, getattr(fit, "formulae", None))
        return observed_signals(state, gas, names, axis=1)

    return jax.vmap(one)(y, windows.t, windows.commands)
