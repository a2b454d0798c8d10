r"""METALIC's reward model and arm choice (Li, Penwarden et al., ICML 2023; ``seed-models.md``
section 6.5): a Gaussian process over (PDE parameters, condition set) built with tinygp.

Kernel: an RBF in the standardised context times a categorical kernel on the 9-bit arm,

.. math::
    k((c, a), (c', a')) = \sigma^2 \exp\Big(-\tfrac{|c - c'|^2}{2\ell^2}\Big)
        \exp\big(e^{\lambda}\,\overline{[a = a']}\big),

:math:`\overline{[a = a']}` the fraction of matching bits; Gaussian noise of precision τ with
a Gamma(100, 1) prior. Hyperparameters (log σ, log ℓ, λ, log τ) maximise the log marginal
likelihood plus the prior by L-BFGS, refitted from the same start every round.

Choice over the 512 arms at a context: UCB (μ + 1·σ) or Thompson sampling (20 draws per arm
from the independent marginals, the arm with the largest draw).
"""

from functools import partial
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import tinygp

from sciml.pinn._interfaces import CONDITIONS
from sciml.train import minimize_lbfgs

ARMS = jnp.asarray([[(n >> k) & 1 for k in range(len(CONDITIONS))] for n in range(512)], float)
"""Every condition set; row n has bit k = condition k + 1 (as :func:`condition_mask` reads n)."""
PRIOR_SHAPE, PRIOR_RATE = 100.0, 1.0  # Gamma prior on the noise precision τ
UCB_BETA, THOMPSON_DRAWS = 1.0, 20
HEURISTICS = ("ucb", "ts", "mean")
PAD_TO = 16  # observations are padded to a multiple of this: one compile per 16 rounds
PAD_CONTEXT, PAD_NOISE = 1e4, 1e12  # padding: far from every context (kernel exactly 0), no weight


class ContextArmKernel(tinygp.kernels.Kernel):
    """The product kernel on inputs ``[context..., 9 arm bits]``."""

    contexts: int = eqx.field(static=True)
    log_amplitude: jax.Array
    log_length: jax.Array
    log_match: jax.Array

    def evaluate(self, x1, x2):
        c1, c2 = x1[: self.contexts], x2[: self.contexts]
        a1, a2 = x1[self.contexts :], x2[self.contexts :]
        rbf = jnp.exp(-0.5 * jnp.sum((c1 - c2) ** 2) / jnp.exp(2 * self.log_length))
        match = jnp.mean(1.0 - jnp.abs(a1 - a2))
        return jnp.exp(2 * self.log_amplitude) * rbf * jnp.exp(jnp.exp(self.log_match) * match)


class RewardModel(NamedTuple):
    """A fitted GP: its hyperparameters, the (padded) training inputs and rewards, the mean
    reward and which rows are padding."""

    params: dict
    inputs: jax.Array
    rewards: jax.Array
    mean: float
    contexts: int
    padding: jax.Array

    def gp(self) -> tinygp.GaussianProcess:
        return _gp(self.params, self.inputs, self.contexts, self.padding)

    def predict(self, context, arms=ARMS) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std (float64) of the reward of every arm at ``context``."""
        with jax.enable_x64(True):
            context, arms = np.asarray(context, np.float64), np.asarray(arms, np.float64)
            queries = np.concatenate([np.broadcast_to(context, (arms.shape[0], self.contexts)),
                                      arms], axis=1)  # fmt: skip
            as64 = lambda a: jnp.asarray(a, jnp.float64)
            loc, variance = _posterior(
                jax.tree.map(as64, self.params), as64(self.inputs),
                as64(self.rewards) - self.mean, self.padding, as64(queries), self.contexts,
            )  # fmt: skip
            loc, variance = np.asarray(loc), np.asarray(variance)
        return loc + self.mean, np.sqrt(np.maximum(variance, 0.0))


@partial(jax.jit, static_argnames="contexts")
def _posterior(params, inputs, centred, padding, queries, contexts: int):
    _, conditioned = _gp(params, inputs, contexts, padding).condition(centred, queries)
    return conditioned.loc, conditioned.variance


def _gp(params: dict, inputs: jax.Array, contexts: int, padding) -> tinygp.GaussianProcess:
    kernel = ContextArmKernel(
        contexts=contexts,
        log_amplitude=params["log_amplitude"],
        log_length=params["log_length"],
        log_match=params["log_match"],
    )
    noise = jnp.where(padding, PAD_NOISE, jnp.exp(-params["log_precision"]))
    return tinygp.GaussianProcess(kernel, inputs, diag=noise)


def standardise(context, ranges) -> jax.Array:
    """Contexts scaled as a StandardScaler fitted on the uniform distribution of each range."""
    low, high = (jnp.asarray([r[i] for r in ranges], float) for i in (0, 1))
    return (jnp.asarray(context, float) - (low + high) / 2) / ((high - low) / np.sqrt(12))


def fit_reward_model(contexts, arms, rewards, steps: int = 200) -> RewardModel:
    """Maximum a posteriori hyperparameters for rewards observed at (standardised context, arm)
    pairs ``contexts [n, c]``, ``arms [n, 9]``, ``rewards [n]``.

    The observations are padded to a multiple of ``PAD_TO`` with points far from every context
    (the kernel to them underflows to 0) carrying noise variance 1e12: they leave the posterior
    of the real points unchanged and add a term to the likelihood whose hyperparameter gradient
    is ~1e-12, while the fit compiles once per ``PAD_TO`` rounds instead of every round."""
    rewards = jnp.asarray(rewards, float)
    n = rewards.shape[0]
    contexts = jnp.asarray(contexts, float).reshape(n, -1)
    inputs = jnp.concatenate([contexts, jnp.asarray(arms, float)], axis=1)
    size = -(-n // PAD_TO) * PAD_TO
    padding = jnp.arange(size) >= n
    inputs = jnp.concatenate([inputs, jnp.zeros((size - n, inputs.shape[1]))])
    inputs = inputs.at[n:, : contexts.shape[1]].set(PAD_CONTEXT)
    mean = rewards.mean()
    centred = jnp.concatenate([rewards - mean, jnp.zeros(size - n)])
    start = {
        "log_amplitude": jnp.log(jnp.maximum(rewards.std(), 1e-3)),
        "log_length": jnp.zeros(()),
        "log_match": jnp.zeros(()),
        "log_precision": jnp.log(jnp.asarray(PRIOR_SHAPE / PRIOR_RATE)),
    }
    with jax.enable_x64(True):  # tinygp's Cholesky wants float64; the fit is small
        args = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), (inputs, centred, start))
        params, final = _map_fit(args[0], args[1], padding, args[2], contexts.shape[1], steps)
        if not np.isfinite(float(final)):  # the official fallback: Adam, 1e-3, 5000 epochs
            params, final = _adam_fit(args[0], args[1], padding, args[2], contexts.shape[1])
    if not np.isfinite(float(final)):
        raise FloatingPointError(f"the reward model's negative log posterior is {final}")
    return RewardModel(params, inputs, centred + mean, float(mean), contexts.shape[1], padding)


def _negative_log_posterior(params, inputs, centred, padding, contexts: int):
    likelihood = _gp(params, inputs, contexts, padding).log_probability(centred)
    tau = jnp.exp(params["log_precision"])
    # Gamma(shape, rate) on τ, written for log τ (the Jacobian adds log τ)
    prior = PRIOR_SHAPE * params["log_precision"] - PRIOR_RATE * tau
    return -(likelihood + prior)


@partial(jax.jit, static_argnames=("contexts", "steps"))
def _map_fit(inputs, centred, padding, start, contexts: int, steps: int):
    """L-BFGS from ``start``, keeping the best iterate (past convergence the line searches can
    wander uphill)."""
    loss = lambda p: _negative_log_posterior(p, inputs, centred, padding, contexts)
    params, _ = minimize_lbfgs(loss, start, steps, keep_best=True)
    return params, loss(params)


@partial(jax.jit, static_argnames="contexts")
def _adam_fit(inputs, centred, padding, start, contexts: int):
    loss = lambda p: _negative_log_posterior(p, inputs, centred, padding, contexts)
    adam = optax.adam(1e-3)

    def step(carry, _):
        p, state = carry
        grads = jax.grad(loss)(p)
        updates, state = adam.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), None

    (params, _), _ = jax.lax.scan(step, (start, adam.init(start)), None, length=5000)
    return params, loss(params)


def choose_arm(model: RewardModel, context, heuristic: str, key: jax.Array | None = None) -> int:
    """The arm index (0-511) that ``heuristic`` picks at ``context``: ``ucb``, ``ts`` (Thompson
    sampling) or ``mean`` (the posterior-mean best, for testing)."""
    if heuristic not in HEURISTICS:
        raise ValueError(f"unknown heuristic {heuristic!r}; available: {', '.join(HEURISTICS)}")
    if heuristic == "ts" and key is None:
        raise ValueError("Thompson sampling needs a random key")
    mean, std = model.predict(np.asarray(context, float))
    if heuristic == "ucb":
        return int(np.argmax(mean + UCB_BETA * std))
    if heuristic == "mean":
        return int(np.argmax(mean))
    noise = np.asarray(jax.random.normal(key, (THOMPSON_DRAWS, mean.shape[0])), np.float64)
    return int(np.argmax((mean[None] + std[None] * noise).max(axis=0)))
