r"""L-BFGS steps on a fixed batch, scanned several iterations per call.

``optax.lbfgs`` with its zoom line search needs the loss as a function of the parameters: the
batch (e.g. a fixed set of collocation points) is held constant, as a quasi-Newton method
requires. The state is the same :class:`TrainState`, so :func:`fit` logs, checkpoints and resumes
an L-BFGS stage exactly like a first-order one.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh

from sciml.train._sharding import jit_step
from sciml.train._state import TrainState
from sciml.train._step import LossFn


def strongly_typed(
    optimizer: optax.GradientTransformationExtraArgs,
) -> optax.GradientTransformationExtraArgs:
    """The same optimizer whose initial state holds strongly typed arrays.

    The zoom line search's initial info holds weakly typed scalars and its updates strongly
    typed ones: without this, a scanned step's second call would compile a second time."""

    def init(params):
        return jax.tree.map(lambda x: jnp.asarray(x, x.dtype), optimizer.init(params))

    return optimizer._replace(init=init)


def lbfgs(memory_size: int = 50) -> optax.GradientTransformationExtraArgs:
    """``optax.lbfgs`` with the zoom line search (strong Wolfe conditions)."""
    return strongly_typed(optax.lbfgs(memory_size=memory_size))


def lbfgs_iteration(optimizer: optax.GradientTransformationExtraArgs, objective: Callable):
    """``iterate(params, state) -> (params, state, value, grads)``: one quasi-Newton step on the
    deterministic ``objective(params)``, reusing the value and gradient its line search left in
    ``state``; ``value`` and ``grads`` are those at the incoming ``params``."""
    value_and_grad = optax.value_and_grad_from_state(objective)

    def iterate(params, state):
        value, grads = value_and_grad(params, state=state)
        updates, state = optimizer.update(
            grads, state, params, value=value, grad=grads, value_fn=objective
        )
        return optax.apply_updates(params, updates), state, value, grads

    return iterate


def make_lbfgs_step(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformationExtraArgs,
    *,
    steps_per_call: int = 100,
    mesh: Mesh | None = None,
) -> Callable[[TrainState, object], tuple[TrainState, dict]]:
    """Build ``step(state, batch) -> (state, metrics)``: ``steps_per_call`` L-BFGS iterations.

    ``loss_fn(params, batch, key, weights) -> (loss, terms)`` is evaluated on the same ``batch``
    and key at every iteration (deterministic, as the line search assumes). With a ``mesh``
    (see :func:`make_train_step`) the state is replicated and every leaf of ``batch`` is split
    on its leading axis.
    """
    if not isinstance(steps_per_call, int) or steps_per_call < 1:
        raise ValueError(f"steps_per_call must be a positive integer, got {steps_per_call!r}")

    def step(state: TrainState, batch):
        def objective(params):
            return loss_fn(params, batch, state.key, state.weights)[0]

        iterate = lbfgs_iteration(optimizer, objective)

        def body(carry: TrainState, _):
            params, opt_state, value, grads = iterate(carry.params, carry.opt_state)
            metrics = {"loss": value, "grad_norm": optax.tree.norm(grads)}
            return carry.replace(step=carry.step + 1, params=params, opt_state=opt_state), metrics

        return jax.lax.scan(body, state, None, length=steps_per_call)

    return jit_step(step, mesh, batch_axis=0)


def minimize_lbfgs(objective: Callable, params, steps: int, *, keep_best: bool = False):
    """``steps`` L-BFGS iterations on a deterministic ``objective(params)``, scanned in one
    compiled call; returns the parameters and the objective at every iteration (before that
    iteration's step). ``keep_best`` returns the parameters of the lowest finite objective seen
    instead of the last: past convergence, float32 line searches can wander uphill."""
    optimizer = lbfgs()
    iterate = lbfgs_iteration(optimizer, objective)

    def step(carry, _):
        p, state, best, best_value = carry
        new, state, value, _ = iterate(p, state)
        if keep_best:  # ``value`` belongs to ``p``, the iterate before this step
            better = jnp.isfinite(value) & (value < best_value)
            best = jax.tree.map(lambda b, q: jnp.where(better, q, b), best, p)
            best_value = jnp.where(better, value, best_value)
        return (new, state, best, best_value), value

    @jax.jit
    def run(p):
        start = (p, optimizer.init(p), p, jnp.asarray(jnp.inf, jnp.result_type(float)))
        (p, _, best, best_value), values = jax.lax.scan(step, start, None, length=steps)
        if keep_best:
            final = objective(p)  # the last step's result counts too
            better = jnp.isfinite(final) & (final < best_value)
            p = jax.tree.map(lambda b, q: jnp.where(better, q, b), best, p)
        return p, values

    return run(params)
