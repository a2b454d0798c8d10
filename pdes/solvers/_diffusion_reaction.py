r"""Reference solver for 1-D diffusion–reaction, the DeepONet set-up (Lu et al. 2021).

.. math::
    s_t = D\,s_{xx} + k\,s^2 + f(x, t), \quad x \in [0, L],\ t \in [0, T],
    \qquad s(0, t) = s(L, t) = 0,\quad s(x, 0) = s_0(x).

Crank–Nicolson in time with the reaction linearised about the previous step,
:math:`g(s^{n+1/2}) \approx g(s^n) + \tfrac12 g'(s^n)(s^{n+1} - s^n)` with :math:`g(s) = ks^2`,
and the 3-point Laplacian :math:`\Delta_h` on the nodes:

.. math::
    \big(I - \tfrac{\Delta t}{2}(D\Delta_h + G_n)\big)s^{n+1}
    = \big(I + \tfrac{\Delta t}{2}(D\Delta_h - G_n)\big)s^n + \Delta t\,g(s^n)
      + \tfrac{\Delta t}{2}(f^n + f^{n+1}),\qquad G_n = \mathrm{diag}\,g'(s^n).

The linearisation error is :math:`O(\Delta t^2)` per step times :math:`\Delta t`, so the scheme is
second order in time and space (tested on a manufactured solution). Each step is one tridiagonal
solve (:func:`jax.lax.linalg.tridiagonal_solve`) inside a :func:`jax.lax.scan`. The sign of the
reaction is ``+k s^2`` as in the original DeepONet and PI-DeepONet codes (DeepXDE's PI-DeepONet
example uses the opposite sign in its residual; :func:`physics.residuals.reaction_diffusion`
follows this solver).
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from pdes._checks import integer, positive


def solve_diffusion_reaction(
    source: Float[ArrayLike, " nx"] | Float[ArrayLike, "nt nx"],
    *,
    diffusivity: float,
    reaction: float,
    nt: int,
    length: float = 1.0,
    time: float = 1.0,
    initial: Float[ArrayLike, " nx"] | None = None,
) -> Float[Array, "nt nx"]:
    r"""Solve the equation above on ``nx`` nodes :math:`x_i = iL/(n_x-1)` and ``nt`` times
    :math:`t_n = nT/(n_t-1)`.

    Args:
        source: :math:`f` at the nodes, time-independent ``[nx]`` or per time ``[nt, nx]``.
        diffusivity: :math:`D`.
        reaction: :math:`k` (any sign).
        nt: number of time levels, the initial one included.
        length, time: :math:`L` and :math:`T`.
        initial: :math:`s_0` at the nodes (default zero); its boundary values are replaced by 0.

    Returns:
        :math:`s` at every time level and node, ``[nt, nx]``.

    Example:
        >>> import jax.numpy as jnp
        >>> s = solve_diffusion_reaction(jnp.zeros(50), diffusivity=0.01, reaction=0.01, nt=20)
        >>> s.shape, float(jnp.abs(s).max())
        ((20, 50), 0.0)
    """
    source = jnp.asarray(source)
    if not jnp.issubdtype(source.dtype, jnp.floating):
        source = source.astype(jnp.result_type(float))
    if source.ndim not in (1, 2) or source.shape[-1] < 3:
        raise ValueError(f"source must be [nx] or [nt, nx] with nx >= 3, got {source.shape}")
    integer("solve_diffusion_reaction", 2, nt=nt)
    positive("solve_diffusion_reaction", diffusivity=diffusivity, length=length, time=time)
    nx = source.shape[-1]
    if source.ndim == 2 and source.shape[0] != nt:
        raise ValueError(f"source has {source.shape[0]} time levels, expected nt={nt}")
    forcing = jnp.broadcast_to(source, (nt, nx))[:, 1:-1]
    dtype = source.dtype
    dx, dt = length / (nx - 1), time / (nt - 1)
    s0 = jnp.zeros(nx, dtype) if initial is None else jnp.asarray(initial, dtype)
    if s0.shape != (nx,):
        raise ValueError(f"initial must have shape ({nx},), got {s0.shape}")
    m = nx - 2
    c = jnp.asarray(dt * diffusivity / (2 * dx**2), dtype)
    off = jnp.full((m,), -c, dtype)
    lower, upper = off.at[0].set(0.0), off.at[-1].set(0.0)

    def laplacian(v):  # zero Dirichlet values outside the interior
        padded = jnp.pad(v, 1)
        return padded[:-2] - 2 * v + padded[2:]

    def step(s, forcings):
        f_now, f_next = forcings
        slope = 2 * reaction * s
        diagonal = 1 + 2 * c - 0.5 * dt * slope
        rhs = (
            s
            + c * laplacian(s)
            - 0.5 * dt * slope * s
            + dt * reaction * s**2
            + 0.5 * dt * (f_now + f_next)
        )
        new = jax.lax.linalg.tridiagonal_solve(lower, diagonal, upper, rhs[:, None])[:, 0]
        return new, new

    _, path = jax.lax.scan(step, s0[1:-1], (forcing[:-1], forcing[1:]))
    interior = jnp.concatenate([s0[None, 1:-1], path])
    return jnp.pad(interior, ((0, 0), (1, 1)))
