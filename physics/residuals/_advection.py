import jax.numpy as jnp

from physics._types import Array, ArrayLike
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def advection(u: Field, *, velocity: ArrayLike) -> Array:
    r"""Linear advection: :math:`u_t + c\cdot\nabla u` at points ``(t, x...)``.

    ``velocity`` is a scalar (every spatial axis) or one constant per spatial axis.
    """
    space = u.axes[1:]
    c = jnp.broadcast_to(jnp.asarray(velocity), (len(space),))
    return u.d(0) + sum(c[i] * u.d(axis) for i, axis in enumerate(space))
