"""A square root whose gradient stays finite where the model clips its argument at zero."""

import jax.numpy as jnp

from physics._types import Array, ArrayLike


def safe_sqrt(a: ArrayLike) -> Array:
    r""":math:`\sqrt{\max(0, a)}` with a zero (not NaN) gradient for :math:`a \le 0`.

    ``jnp.sqrt(jnp.maximum(0, a))`` gives ``inf · 0 = nan`` gradients at ``a <= 0``; the inner
    ``where`` keeps the square root away from zero and the outer one selects the value.

    Example:
        >>> import jax
        >>> float(jax.grad(safe_sqrt)(-1.0)), float(jax.grad(safe_sqrt)(4.0))
        (0.0, 0.25)
    """
    positive = a > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, a, 1.0)), 0.0)
