r"""EGR and VGT actuators: pure transport delays followed by first-order lags (§4.5, §4.6).

.. math::
    \dot{\tilde u}_{egr1} = \frac{u_{egr,s}(t - \tau_{degr}) - \tilde u_{egr1}}{\tau_{egr1}},\quad
    \dot{\tilde u}_{egr2} = \frac{u_{egr,s}(t - \tau_{degr}) - \tilde u_{egr2}}{\tau_{egr2}},\quad
    \tilde u_{egr} = K_{egr}\tilde u_{egr1} - (K_{egr} - 1)\tilde u_{egr2},

    \dot{\tilde u}_{vgt} = \frac{u_{vgt,s}(t - \tau_{dvgt}) - \tilde u_{vgt}}{\tau_{vgt}},

with the commands saturated before the delay (:math:`u_{egr,s} \in [0, 100]`,
:math:`u_{vgt,s} \in [20, 100]`). The actuators see the commands only, so their response to a
piecewise-constant command is known in closed form (superposed step responses), which is what the
actuator operators are trained on and tested against.
"""

import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.engines._parameters import EngineParameters


def saturate_actuator_commands(u_egr: ArrayLike, u_vgt: ArrayLike) -> tuple[Array, Array]:
    """u_egr ∈ [0, 100] %, u_vgt ∈ [20, 100] % (applied before the transport delay)."""
    return jnp.clip(u_egr, 0.0, 100.0), jnp.clip(u_vgt, 20.0, 100.0)


def egr_position(u_egr1: ArrayLike, u_egr2: ArrayLike, params: EngineParameters) -> Array:
    r"""Combined EGR position :math:`K_{egr}\tilde u_{egr1} - (K_{egr}-1)\tilde u_{egr2}` (%),
    deliberately not saturated (it overshoots; the valve's area curve absorbs that)."""
    return params.K_egr * u_egr1 - (params.K_egr - 1.0) * u_egr2


def actuator_rates(
    u_egr1: ArrayLike,
    u_egr2: ArrayLike,
    u_vgt: ArrayLike,
    delayed_u_egr: ArrayLike,
    delayed_u_vgt: ArrayLike,
    params: EngineParameters,
) -> tuple[Array, Array, Array]:
    """Time derivatives (%/s) of the three actuator states, given the delayed saturated commands.

    ``delayed_u_*`` are what leaves the transport delay: the saturated command at t − τ, or the
    delay's initial output before the first command has come through.
    """
    p = params
    return (
        (delayed_u_egr - u_egr1) / p.tau_egr1,
        (delayed_u_egr - u_egr2) / p.tau_egr2,
        (delayed_u_vgt - u_vgt) / p.tau_vgt,
    )


def lag_response(
    t: ArrayLike,
    breakpoints: ArrayLike,
    levels: ArrayLike,
    history: ArrayLike,
    tau: ArrayLike,
    delay: ArrayLike,
    initial: ArrayLike | None = None,
) -> Array:
    r"""Exact state of a delayed first-order lag driven by a piecewise-constant command.

    The command is ``history`` before ``breakpoints[0]`` and ``levels[j]`` on
    ``[breakpoints[j], breakpoints[j+1])``. The lag starts at ``initial`` (default: ``history``,
    i.e. at rest) at ``t0 = breakpoints[0]``. By superposition,

    .. math::
        x(t) = h + (x_0 - h)e^{-(t - t_0)/\tau}
             + \sum_j \Delta_j\big(1 - e^{-(t - t_j - d)/\tau}\big)\,[t \ge t_j + d],

    with :math:`\Delta_j` the jumps of the command and :math:`d` the transport delay.

    Example:
        >>> import math
        >>> x = lag_response(1.0, [0.0], [1.0], 0.0, tau=0.5, delay=0.2)
        >>> round(float(x), 6) == round(1 - math.exp(-0.8 / 0.5), 6)
        True
    """
    t = jnp.asarray(t)
    breakpoints = jnp.asarray(breakpoints)
    levels = jnp.asarray(levels)
    previous = jnp.concatenate([jnp.reshape(jnp.asarray(history, levels.dtype), (1,)), levels[:-1]])
    jumps = levels - previous
    elapsed = t[..., None] - jnp.expand_dims(breakpoints, tuple(range(t.ndim))) - delay
    arrived = elapsed >= 0
    steps = jnp.where(arrived, 1.0 - jnp.exp(-jnp.where(arrived, elapsed, 0.0) / tau), 0.0)
    x = history + jnp.sum(jnp.expand_dims(jumps, tuple(range(t.ndim))) * steps, axis=-1)
    if initial is not None:
        x = x + (initial - history) * jnp.exp(-(t - breakpoints[0]) / tau)
    return x
