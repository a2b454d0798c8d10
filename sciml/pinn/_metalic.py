r"""METALIC (Li, Penwarden et al., ICML 2023; ``seed-models.md`` section 6): a contextual bandit
that picks the interface conditions of a multi-domain PINN for each PDE instance.

Arms are the 512 condition sets, contexts the family's parameters θ (standardised over their
ranges), the reward of a trained PINN :math:`r = -\log_{10} e`, e its composite solution's
relative L2 error on the reference grid (capped at 100; NaN counts as 100). A GP over
(context, arm) (:mod:`sciml.pinn._bandit`) is refitted every round.

One-stage (``mode="query"``): ``warmup`` tasks with random θ and a random arm, then ``rounds``
online tasks, each a fresh θ, the arm that UCB or Thompson sampling picks, the PINN trained with
it for the Adam stage and the L-BFGS stage. Two-stage (``mode="step"``): one GP per stage; the
Adam stage's GP is fitted to the discounted average of the stage rewards
:math:`(r_1 + \gamma r_2)/(1 + \gamma)`, γ = 0.9, the L-BFGS stage's GP takes the Adam stage's
reward as one more context input (rewards span a few units, as standardised contexts do, so it
enters unscaled) and is fitted to :math:`r_2`; after the Adam stage the second GP picks the arm
of the L-BFGS stage.

Test: ``tests`` held-out contexts (θ from keys 10000 + i, as the official code seeds them),
each trained with the posterior-mean-best arm. Every arm evaluated at a test context starts from
the same networks and points (keys derived from the context alone), so METALIC and the fixed
condition sets (:data:`FIXED`) and a random arm are compared pairwise.

Compilation: θ and the condition set are traced arguments, so each family compiles its two
stages once per number of arms trained side by side (``vmap`` over arms).
"""

import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pdes import families
from sciml.pinn._bandit import ARMS, choose_arm, fit_reward_model, standardise
from sciml.pinn._decomposition import decompose
from sciml.pinn._interfaces import InterfacePhysics, condition_mask
from sciml.pinn._multi_domain import (
    MultiDomainProblem,
    adam_stage,
    composite,
    initial_state,
    lbfgs_stage,
    subdomain_function,
)

FIXED = {  # condition sets from the literature, bits in CONDITIONS order
    "continuity": "100000000",  # solution continuity only
    "xpinn": "010100000",  # XPINN: average solution + residual continuity
    "cpinn": "100010000",  # cPINN: solution continuity + flux continuity
    "all": "111111111",
}
GAMMA = 0.9
TEST_SEED = 10000
ERROR_CAP = 100.0


class Budget(NamedTuple):
    """Training budget of one PINN. The defaults are this project's; METALIC's own are 2000 Adam
    epochs, then L-BFGS up to 50 000 iterations, 1000 collocation and 100 boundary points per
    subdomain, [2, 20, 20, 1] networks."""

    adam_steps: int = 2000
    lbfgs_steps: int = 500
    interior_points: int = 1000
    interface_points: int = 100
    boundary_points: int = 100
    width: int = 20
    depth: int = 2


def reward(error) -> np.ndarray:
    """:math:`-\\log_{10} e`, e capped at 100 and NaN taken as 100."""
    error = np.asarray(error, float)
    return -np.log10(np.where(np.isfinite(error), np.minimum(error, ERROR_CAP), ERROR_CAP))


def arm_number(bits) -> int:
    """The 0-511 index of a condition set (bit k = condition k + 1)."""
    return int(sum(int(b) << k for k, b in enumerate(np.asarray(condition_mask(bits)))))


def arm_bits(number: int) -> str:
    return "".join(str(int(b)) for b in np.asarray(ARMS[number]))


class Trainer:
    """Trains one family's multi-domain PINNs for given θ and condition sets.

    ``single_domain=True`` trains one network on the whole domain with the same budget and the
    points of all the family's strips together (twice the points for two strips).
    """

    def __init__(self, family: str, budget: Budget | None = None, single_domain: bool = False):
        if family not in families.FAMILIES:
            raise ValueError(
                f"unknown PDE family {family!r}; available: {', '.join(families.FAMILIES)}"
            )
        ranges = families.FAMILIES[family].ranges
        self.family, self.budget, self.names = family, budget or Budget(), list(ranges)
        self.ranges = [ranges[n] for n in self.names]
        middle = families.instance(family, **{n: (lo + hi) / 2 for n, (lo, hi) in ranges.items()})
        edges = (middle.edges[0], middle.edges[-1]) if single_domain else middle.edges
        self.decomposition = decompose(middle.bounds, middle.split_axis, edges)
        self.scale = len(middle.edges) - 1 if single_domain else 1
        self.grid, _ = families.reference_grid(middle)
        self.axis_names = middle.axis_names
        self._adam = jax.jit(jax.vmap(self._adam_one, in_axes=(None, 0, None, None, None)))
        self._lbfgs = jax.jit(jax.vmap(self._lbfgs_one, in_axes=(None, 0, 0, None, None, None)))

    def _problem(self, theta, boundary, values) -> MultiDomainProblem:
        member = families.FAMILIES[self.family].build(**dict(zip(self.names, theta, strict=True)))
        pde = InterfacePhysics(member.residual, member.flux, member.x_axis, member.second_axis)
        return MultiDomainProblem(self.decomposition, pde, boundary, values)

    def _start(self, problem, key):
        b = self.budget
        return initial_state(
            problem,
            key,
            interior_points=b.interior_points * self.scale,
            interface_points=b.interface_points,
            width=b.width,
            depth=b.depth,
        )

    def _predict(self, params):
        return composite(
            params, self.decomposition, self.grid, self.budget.width, self.budget.depth
        )

    def _adam_one(self, theta, mask, boundary, values, key):
        return self._stage_one(adam_stage, self.budget.adam_steps, theta, mask, None, boundary,
                               values, key)  # fmt: skip

    def _lbfgs_one(self, theta, mask, params, boundary, values, key):
        return self._stage_one(lbfgs_stage, self.budget.lbfgs_steps, theta, mask, params,
                               boundary, values, key)  # fmt: skip

    def _stage_one(self, stage, steps, theta, mask, params, boundary, values, key):
        """``stage`` (Adam or L-BFGS) for one arm from ``params`` (the initial networks of
        ``key`` when None), on the points of ``key``; the trained parameters and predictions."""
        problem = self._problem(theta, boundary, values)
        start, interior, interface = self._start(problem, key)
        params = start if params is None else params
        b = self.budget
        params, _ = stage(problem, mask, params, interior, interface, steps, b.width, b.depth)
        return params, self._predict(params)

    def data(self, theta: dict, key: jax.Array):
        """Boundary data ``[K, n, d]``, its values and the reference on the grid, at θ."""
        member = families.instance(self.family, **theta)
        count = self.budget.boundary_points * self.scale
        keys = jax.random.split(key, self.decomposition.count)
        data = [
            families.data_points(member, self.decomposition.box(k), keys[k], count)
            for k in range(self.decomposition.count)
        ]
        reference = np.asarray(jax.vmap(member.exact)(self.grid))
        return jnp.stack([p for p, _ in data]), jnp.stack([v for _, v in data]), reference

    def adam(self, theta: dict, arms, key: jax.Array) -> "Stage":
        """The Adam stage at θ for each arm of ``arms`` (numbers), side by side."""
        boundary, values, reference = self.data(theta, jax.random.fold_in(key, 0))
        vector = jnp.asarray([theta[n] for n in self.names], float)
        masks = ARMS[jnp.asarray(arms)]
        params, predicted = self._adam(vector, masks, boundary, values, jax.random.fold_in(key, 1))
        return Stage(vector, params, boundary, values, key, reference, np.asarray(predicted))

    def lbfgs(self, stage: "Stage", arms) -> "Stage":
        """The L-BFGS stage from ``stage``, each network stack with its own arm."""
        masks = ARMS[jnp.asarray(arms)]
        params, predicted = self._lbfgs(stage.theta, masks, stage.params, stage.boundary,
                                        stage.values, jax.random.fold_in(stage.key, 1))  # fmt: skip
        return stage._replace(params=params, predicted=np.asarray(predicted))

    def errors(self, theta: dict, arms, key: jax.Array) -> np.ndarray:
        """``[n, 2]``: the error after the Adam and after the L-BFGS stage, one arm per row."""
        first = self.adam(theta, arms, key)
        second = self.lbfgs(first, arms) if self.budget.lbfgs_steps else first
        return np.stack([first.errors, second.errors], axis=1)

    def interface_jump(self, stage: "Stage", arm: int = 0, points: int = 201) -> np.ndarray:
        """``[K - 1, points]``: u_{k+1} − u_k along each interface, for the ``arm``-th stack."""
        d = self.decomposition
        params = jax.tree.map(lambda x: x[arm], stage.params)
        other = 1 - d.axis
        line = np.linspace(*d.bounds[other], points)
        jumps = []
        for k in range(d.count - 1):
            z = np.zeros((points, 2))
            z[:, d.axis], z[:, other] = d.edges[k + 1], line
            z = jnp.asarray(z)
            u = [jax.vmap(subdomain_function(jax.tree.map(lambda x, j=j: x[j], params), d, j,
                                             self.budget.width, self.budget.depth))(z)
                 for j in (k, k + 1)]  # fmt: skip
            jumps.append(np.asarray(u[1] - u[0]))
        return np.stack(jumps) if jumps else np.zeros((0, points))


class Stage(NamedTuple):
    """A trained stage: θ, the stacked parameters per arm, the data, the task key, the reference
    and the predictions ``[arms, G]`` on the reference grid."""

    theta: jax.Array
    params: dict
    boundary: jax.Array
    values: jax.Array
    key: jax.Array
    reference: np.ndarray
    predicted: np.ndarray

    @property
    def errors(self) -> np.ndarray:
        """Relative L2 error of each arm's composite solution."""
        difference = self.predicted - self.reference[None]
        return np.linalg.norm(difference, axis=1) / np.linalg.norm(self.reference)


def held_out_contexts(family: str, count: int) -> list[dict]:
    """The held-out θ (keys 10000 + i)."""
    return [families.sample_parameters(family, jax.random.key(TEST_SEED + i)) for i in range(count)]


def held_out_key(i: int) -> jax.Array:
    """The networks and points of held-out task i: the same for every arm tried there."""
    return jax.random.fold_in(jax.random.key(TEST_SEED + i), 1)


def run_bandit(
    trainer: Trainer,
    heuristic: str = "ucb",
    seed: int = 0,
    *,
    mode: str = "query",
    warmup: int = 5,
    rounds: int = 20,
    tests: int = 5,
    gp_steps: int = 200,
) -> dict:
    """One METALIC run: warm-up, online rounds, held-out test; returns its history and the test
    errors (see the module docstring)."""
    if mode not in ("query", "step"):
        raise ValueError(f"mode must be 'query' (one stage) or 'step' (two stages), got {mode!r}")
    if heuristic not in ("ucb", "ts"):
        raise ValueError(f"unknown heuristic {heuristic!r}; available: ucb, ts")
    if warmup < 1 or rounds < 0 or tests < 1:
        raise ValueError(
            f"warmup must be at least 1, rounds at least 0 and tests at least 1; got {warmup}, "
            f"{rounds}, {tests}"
        )
    key = jax.random.key(seed)
    start = time.perf_counter()
    history = []
    for i in range(warmup + rounds):
        k_theta, k_arm, k_choice, k_task = jax.random.split(jax.random.fold_in(key, i), 4)
        theta = families.sample_parameters(trainer.family, k_theta)
        random_arms = [int(a) for a in jax.random.randint(k_arm, (2,), 0, 512)]
        models = _fit(trainer, history, mode, gp_steps) if i >= warmup else None
        row = _play(trainer, theta, k_task, models, heuristic, random_arms, k_choice, mode)
        history.append({"round": i, "phase": "warmup" if i < warmup else "online", **row})
    models = _fit(trainer, history, mode, gp_steps)
    test = [
        _play(trainer, theta, held_out_key(i), models, "mean", None, None, mode)
        for i, theta in enumerate(held_out_contexts(trainer.family, tests))
    ]
    return {"history": history, "test": test, "wall_seconds": time.perf_counter() - start}


def _play(trainer, theta, task_key, models, heuristic, random_arms, key, mode) -> dict:
    """Train at θ with the arms the models choose (random arms when ``models`` is None)."""
    context = standardise([theta[n] for n in trainer.names], trainer.ranges)
    keys = (None, None) if key is None else jax.random.split(key)
    if models is None:
        first = random_arms[0]
    else:
        first = choose_arm(models[0], context, heuristic, keys[0])
    stage = trainer.adam(theta, [first], task_key)
    adam_error = stage.errors
    if mode == "query":
        second = first
    elif models is None:
        second = random_arms[1]
    else:
        with_reward = jnp.concatenate([context, jnp.asarray(reward(adam_error))])
        second = choose_arm(models[1], with_reward, heuristic, keys[1])
    error = trainer.lbfgs(stage, [second]).errors if trainer.budget.lbfgs_steps else adam_error
    return {
        "theta": theta,
        "arms": [arm_bits(first), arm_bits(second)],
        "errors": [float(adam_error[0]), float(error[0])],
        "error": float(error[0]),
    }


def _fit(trainer, history, mode, steps):
    contexts = np.stack(
        [
            np.asarray(standardise([h["theta"][n] for n in trainer.names], trainer.ranges))
            for h in history
        ]
    )
    arms = np.asarray([[[int(c) for c in a] for a in h["arms"]] for h in history], float)
    rewards = reward([h["errors"] for h in history])  # [n, 2]
    if mode == "query":
        return (fit_reward_model(contexts, arms[:, 0], rewards[:, 1], steps),)
    first = fit_reward_model(
        contexts, arms[:, 0], (rewards[:, 0] + GAMMA * rewards[:, 1]) / (1 + GAMMA), steps
    )
    second = fit_reward_model(
        np.concatenate([contexts, rewards[:, :1]], axis=1), arms[:, 1], rewards[:, 1], steps
    )
    return first, second


def baseline_errors(trainer: Trainer, tests: int, seeds=(0,)) -> dict[str, list[float]]:
    """Errors at the held-out contexts of every :data:`FIXED` set and of one random arm per
    seed (``random-SEED``), trained side by side from the same networks and points."""
    names = [*FIXED, *(f"random-{s}" for s in seeds)]
    out = {name: [] for name in names}
    for i, theta in enumerate(held_out_contexts(trainer.family, tests)):
        randoms = [
            int(
                jax.random.randint(jax.random.fold_in(jax.random.key(s), TEST_SEED + i), (), 0, 512)
            )
            for s in seeds
        ]
        arms = [arm_number(bits) for bits in FIXED.values()] + randoms
        errors = trainer.errors(theta, arms, held_out_key(i))[:, 1]
        for name, e in zip(names, errors, strict=True):
            out[name].append(float(e))
    return out
