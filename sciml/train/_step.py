r"""A jitted training step that runs several optimiser steps per call.

Tiny networks (PINNs on a CPU) are dispatch-bound: one Python call per step costs more than the
step. :func:`make_train_step` therefore scans ``steps_per_call`` steps inside one compiled call,
donates the state (its buffers are reused in place) and returns per-step metrics as device arrays,
so the host only synchronises when it chooses to log.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh

from sciml.train._sharding import jit_step
from sciml.train._state import TrainState

PyTree = Any
LossFn = Callable[[PyTree, PyTree, jax.Array, PyTree], tuple[jax.Array, dict[str, jax.Array]]]
"""``loss_fn(params, batch, key, weights) -> (loss, terms)``; ``terms`` is a dict of scalars."""
WeightUpdate = Callable[[PyTree, PyTree, jax.Array, PyTree], PyTree]
"""``update(params, batch, key, weights) -> weights``, e.g. gradient-norm loss balancing."""


def make_train_step(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    *,
    steps_per_call: int = 1,
    update_weights: WeightUpdate | None = None,
    weights_every: int = 1000,
    learning_rate: Callable[[jax.Array], jax.Array] | None = None,
    mesh: Mesh | None = None,
    returns_weights: bool = False,
) -> Callable[[TrainState, PyTree], tuple[TrainState, dict[str, jax.Array]]]:
    r"""Build ``step(state, batches) -> (state, metrics)``, jitted, donating ``state``.

    Each inner step draws ``key = fold_in(state.key, state.step)``, optionally refreshes the loss
    weights (every ``weights_every`` steps, starting at step 0), then applies
    :math:`\theta \leftarrow \theta + \mathrm{optimizer}(\nabla_\theta L)`.

    Args:
        loss_fn: ``(params, batch, key, weights) -> (loss, terms)``.
        optimizer: an optax transformation.
        steps_per_call: optimiser steps scanned inside one call (``K``).
        update_weights: optional loss-weight update, see :data:`WeightUpdate`.
        weights_every: period of the weight update in steps.
        learning_rate: the schedule, only to report it in the metrics.
        mesh: data parallelism over a :func:`~sciml.train.data_mesh`: the state and metrics are
            replicated, every batch leaf ``[K, batch, ...]`` is split on its batch axis (axis 1,
            a multiple of ``mesh.size`` long), and a loss that draws its own points splits them
            with :func:`~sciml.train.shard_batch`. Call the step with ``batches`` positional
            (``None`` included) on a state placed by :func:`~sciml.train.replicate` (any other
            placement costs one more compilation). ``None``: one device.
        returns_weights: ``loss_fn`` returns ``(loss, (terms, weights))`` and the new
            ``weights`` replace the state's: state the model updates in its forward pass, such
            as BatchNorm running statistics (Flax's ``batch_stats``).

    Returns:
        ``step(state, batches)``: ``batches`` is ``None`` when ``loss_fn`` draws its own points
        from the key (PINNs), else a PyTree whose leaves have a leading axis of length ``K``.
        Metrics hold one value per inner step (shape ``[K]``): ``loss``, every term,
        ``grad_norm`` and, if given, ``learning_rate``.
    """
    if not isinstance(steps_per_call, int) or steps_per_call < 1:
        raise ValueError(f"steps_per_call must be a positive integer, got {steps_per_call!r}")
    if not isinstance(weights_every, int) or weights_every < 1:
        raise ValueError(f"weights_every must be a positive integer, got {weights_every!r}")

    def one_step(state: TrainState, batch: PyTree):
        key = jax.random.fold_in(state.key, state.step)
        weights = state.weights
        if update_weights is not None:
            weights = jax.lax.cond(
                state.step % weights_every == 0,
                lambda w: update_weights(state.params, batch, key, w),
                lambda w: w,
                weights,
            )
        (loss, terms), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, batch, key, weights
        )
        if returns_weights:
            terms, weights = terms
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {"loss": loss, **terms, "grad_norm": optax.tree.norm(grads)}
        if learning_rate is not None:
            metrics["learning_rate"] = jnp.asarray(learning_rate(state.step))
        new = state.replace(
            step=state.step + 1, params=params, opt_state=opt_state, weights=weights
        )
        return new, metrics

    def step(state: TrainState, batches: PyTree = None):
        if steps_per_call == 1:
            # no loop: XLA:CPU runs convolutions inside loop bodies 3-7x slower (measured on
            # MgNO and U-Net steps, jax 0.10.2), so one step per call is straight-line code
            batch = None if batches is None else jax.tree.map(lambda b: b[0], batches)
            state, metrics = one_step(state, batch)
            return state, jax.tree.map(lambda m: m[None], metrics)
        if batches is None:
            return jax.lax.scan(lambda s, _: one_step(s, None), state, None, length=steps_per_call)
        return jax.lax.scan(one_step, state, batches)

    return jit_step(step, mesh, batch_axis=1)
