r"""SineNet's scaled :math:`L^2` error, one-step and rollout, and the autoregressive rollout.

For a prediction :math:`\hat u` and a target :math:`u` the scaled :math:`L^2` error of one
sample :math:`b`, frame :math:`t` and channel :math:`c` is

.. math::

    e_{btc} = \frac{\|\hat u_{btc} - u_{btc}\|_2}{\|u_{btc}\|_2}

over the grid nodes (PDEArena's ``ScaledLpLoss``). It is the training loss (normalised fields)
and, on de-normalised fields, the one-step error (every valid start of every test trajectory,
the true history in) and the rollout error: from the first ``history`` frames of each test
trajectory (:math:`t_0 = 0`) each prediction is fed back as the newest frame. The **rollout
metric** averages the per-step error over samples, channels and the step's frames, then over the
steps (SineNet's ``unrolled_loss_mean``): it is neither cumulative nor the last step's error,
which is reported separately.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

_TINY = 1e-12  # guards the division for an all-zero target frame; never reached by real data

Advance = Callable[[Float[Array, "b h *space c"]], Float[Array, "b f *space c"]]


def scaled_l2(
    prediction: Float[Array, "b t *space c"], target: Float[Array, "b t *space c"]
) -> Float[Array, "b t c"]:
    """:math:`\\|\\hat u - u\\|_2 / \\|u\\|_2` over space, per (sample, frame, channel)."""
    space = tuple(range(2, target.ndim - 1))
    error = jnp.sqrt(jnp.sum((prediction - target) ** 2, axis=space))
    return error / (jnp.sqrt(jnp.sum(target**2, axis=space)) + _TINY)


def clips(
    frames: Float[Array, "n t *space c"], items: Int[Array, " b"], starts: int, length: int
) -> Float[Array, "b length *space c"]:
    """Frames ``s .. s + length - 1`` of trajectory ``n`` for each item ``n * starts + s``."""
    n, s = items // starts, items % starts
    return jax.vmap(lambda i, j: jax.lax.dynamic_slice_in_dim(frames[i], j, length))(n, s)


def pushforward_loss(
    advance: Advance, clip: Float[Array, "b l *space c"], history: int, unroll: int = 0
) -> Float[Array, ""]:
    """The training loss: mean scaled :math:`L^2` error of step ``unroll + 1`` from the true
    history ``clip[:, :history]``, the first ``unroll`` steps under ``stop_gradient``.

    The pushforward trick of Brandstetter, Worrall & Welling (2022) with a fixed ``unroll``: the
    model trains on inputs drawn from its own rollout, but its gradient flows through the last
    step only. ``unroll=0`` is plain one-step training. ``clip`` holds
    ``history + (unroll + 1) * future`` frames.
    """
    window = clip[:, :history]
    for _ in range(unroll):
        window = jnp.concatenate([window, advance(window)], axis=1)[:, -history:]
        window = jax.lax.stop_gradient(window)
    prediction = advance(window)
    start = history + unroll * prediction.shape[1]
    return jnp.mean(scaled_l2(prediction, clip[:, start : start + prediction.shape[1]]))


def one_step_errors(
    advance: Advance, clip: Float[Array, "b l *space c"], history: int
) -> Float[Array, "b f c"]:
    """Scaled :math:`L^2` errors of one step from the true history ``clip[:, :history]``."""
    prediction = advance(clip[:, :history])
    return scaled_l2(prediction, clip[:, history : history + prediction.shape[1]])


def rollout(
    advance: Advance, initial: Float[Array, "b h *space c"], steps: int
) -> Float[Array, "b steps_f *space c"]:
    """``steps`` autoregressive steps from ``initial``: every prediction becomes the newest frames
    of the next window. Returns the ``steps * future`` predicted frames in order.

    A ``lax.scan``: for inference it measured as fast as a jitted Python loop on XLA:CPU (see
    :mod:`sciml.emulate._workflow`).
    """
    history = initial.shape[1]

    def step(window, _):
        prediction = advance(window)
        return jnp.concatenate([window, prediction], axis=1)[:, -history:], prediction

    _, predictions = jax.lax.scan(step, initial, None, length=steps)  # [steps, b, f, ...]
    predictions = jnp.moveaxis(predictions, 0, 1)
    return predictions.reshape(
        predictions.shape[0], steps * predictions.shape[2], *predictions.shape[3:]
    )


def rollout_errors(
    advance: Advance, trajectories: Float[Array, "b t *space c"], history: int, steps: int
) -> tuple[Float[Array, "b steps_f *space c"], Float[Array, "b steps_f c"]]:
    """The rollout from the first ``history`` frames and its scaled :math:`L^2` error per frame."""
    prediction = rollout(advance, trajectories[:, :history], steps)
    truth = trajectories[:, history : history + prediction.shape[1]]
    return prediction, scaled_l2(prediction, truth)
