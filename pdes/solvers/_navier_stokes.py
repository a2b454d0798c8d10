r"""2-D incompressible Navier–Stokes in vorticity form on a periodic square, pseudo-spectral.

.. math::
    \omega_t + \mathbf{u}\cdot\nabla\omega = \nu\Delta\omega + f, \qquad
    \mathbf{u} = (\psi_y, -\psi_x), \qquad -\Delta\psi = \omega, \qquad (x, y) \in [0, L)^2.

The signs are those of FNO's ``data_generation/navier_stokes/ns_2d.py``
(:math:`\hat\psi = \hat\omega / 4\pi^2|k|^2`, velocity :math:`(\psi_y, -\psi_x)`, array axis 0 is
:math:`x`) and of :func:`physics.residuals.navier_stokes_vorticity`; they make
:math:`\omega = \partial_x u_y - \partial_y u_x` the vorticity of :math:`\mathbf{u}`.

**Space.** Fourier modes on the ``rfft2`` grid with the 2/3 rule
(:func:`physics.spectral.dealias_mask`). The state is kept on the retained modes: the initial
field and the forcing are projected onto them and the advection term is computed from the
retained modes and projected back. That is the Galerkin truncation, which conserves energy and
enstrophy exactly when :math:`\nu = f = 0` (tested). FNO's script projects only the advection
term, so the top third of its initial spectrum decays by diffusion alone, never advected; here
that part is removed from the initial field (row 0 of the output is the projected field).

**Time.** The three-substage IMEX Runge–Kutta of Spalart, Moser & Rogers (1991, *J. Comput.
Phys.* 96, appendix A): per substage, Crank–Nicolson for diffusion and the low-storage RK3 of
Wray for advection and forcing,

.. math::
    (1 - \beta_j \Delta t L)\,\hat\omega_{j+1} = (1 + \alpha_j \Delta t L)\,\hat\omega_j
        + \gamma_j \Delta t N_j + \zeta_j \Delta t N_{j-1},
    \qquad L = -\nu|k|^2,\ N = \widehat{f - \mathbf{u}\cdot\nabla\omega}.

It is second order (the implicit part's error is :math:`\tfrac{37}{1920}(\Delta t L)^3` per
step), third order without diffusion, and its explicit part is stable for advection up to
:math:`\Delta t\,\max(|u_x||k_x| + |u_y||k_y|) \le \sqrt 3` (FNO's own update, forward Euler
with Crank–Nicolson diffusion, is first order and amplifies advected modes at every step).
Each step costs three evaluations of the advection term (five FFTs each).

The function is not jitted (``jit`` at the boundary); it is ``vmap``-able over ``w0`` (and
``forcing``). Use float64 inside ``with jax.enable_x64(True):`` for reference data.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from pdes._checks import integer, positive
from physics import spectral

# Spalart, Moser & Rogers (1991), appendix A: implicit (alpha, beta), explicit (gamma, zeta)
_ALPHA = (29 / 96, -3 / 40, 1 / 6)
_BETA = (37 / 160, 5 / 24, 1 / 6)
_GAMMA = (8 / 15, 5 / 12, 3 / 4)
_ZETA = (0.0, -17 / 60, -5 / 12)


def solve_navier_stokes_2d(
    w0: Float[ArrayLike, "nx ny"],
    *,
    viscosity: float,
    dt: float,
    record_every: int,
    n_records: int,
    forcing: Float[ArrayLike, "nx ny"] | None = None,
    length: float = 1.0,
) -> Float[Array, "n_records+1 nx ny"]:
    r"""Integrate the vorticity equation above from ``w0`` with a fixed time step.

    Args:
        w0: initial vorticity at the nodes :math:`(iL/n_x, jL/n_y)` (endpoint excluded).
        viscosity: :math:`\nu \ge 0`.
        dt: time step.
        record_every: steps between recorded frames.
        n_records: frames recorded after the initial one.
        forcing: time-independent :math:`f` at the nodes (default none).
        length: the period :math:`L` of both axes.

    Returns:
        Vorticity at :math:`t = j\,\mathrm{record\_every}\,\Delta t`, ``j = 0..n_records``; row 0
        is ``w0`` projected onto the retained (2/3-rule) modes.

    Example:
        >>> import jax.numpy as jnp
        >>> x = jnp.arange(16) / 16
        >>> k = 2 * jnp.pi
        >>> w0 = 2 * k * jnp.cos(k * x)[:, None] * jnp.cos(k * x)[None, :]  # Taylor–Green
        >>> w = solve_navier_stokes_2d(w0, viscosity=0.01, dt=0.01, record_every=10, n_records=2)
        >>> w.shape, bool(jnp.allclose(w[2], jnp.exp(-2 * 0.01 * k**2 * 0.2) * w0, atol=1e-4))
        ((3, 16, 16), True)
    """
    w0 = jnp.asarray(w0)
    if w0.ndim != 2 or min(w0.shape) < 4:
        raise ValueError(f"w0 must be a 2-D field of at least 4 x 4 points, got shape {w0.shape}")
    if not jnp.issubdtype(w0.dtype, jnp.floating):
        w0 = w0.astype(jnp.result_type(float))
    if not isinstance(viscosity, jax.core.Tracer) and not viscosity >= 0:
        raise ValueError(f"solve_navier_stokes_2d: viscosity must be >= 0, got {viscosity!r}")
    positive("solve_navier_stokes_2d", dt=dt, length=length)
    integer("solve_navier_stokes_2d", 1, record_every=record_every)
    integer("solve_navier_stokes_2d", 0, n_records=n_records)
    shape, dtype = w0.shape, w0.dtype

    kx = spectral.wavenumbers(shape[0], length / shape[0], dtype=dtype)[:, None]
    ky = spectral.wavenumbers(shape[1], length / shape[1], real=True, dtype=dtype)[None, :]
    k2 = kx**2 + ky**2
    inverse_k2 = jnp.where(k2 == 0, 0.0, 1.0 / jnp.where(k2 == 0, 1.0, k2))  # mean-free psi
    keep = spectral.dealias_mask(shape)
    linear = -viscosity * k2

    def to_grid(field_hat: Array) -> Array:
        return jnp.fft.irfft2(field_hat, s=shape)

    f_hat = 0.0 if forcing is None else keep * jnp.fft.rfft2(jnp.asarray(forcing, dtype))

    def tendency(w_hat: Array) -> Array:
        psi_hat = w_hat * inverse_k2
        u, v = to_grid(1j * ky * psi_hat), to_grid(-1j * kx * psi_hat)
        w_x, w_y = to_grid(1j * kx * w_hat), to_grid(1j * ky * w_hat)
        return f_hat - keep * jnp.fft.rfft2(u * w_x + v * w_y)

    def step(w_hat: Array, _: None) -> tuple[Array, None]:
        previous = 0.0
        for alpha, beta, gamma, zeta in zip(_ALPHA, _BETA, _GAMMA, _ZETA, strict=True):
            current = tendency(w_hat)
            explicit = (1 + alpha * dt * linear) * w_hat + dt * (gamma * current + zeta * previous)
            w_hat, previous = explicit / (1 - beta * dt * linear), current
        return w_hat, None

    def record(w_hat: Array, _: None) -> tuple[Array, Array]:
        w_hat, _ = jax.lax.scan(step, w_hat, None, length=record_every)
        return w_hat, to_grid(w_hat)

    w0_hat = keep * jnp.fft.rfft2(w0)
    _, frames = jax.lax.scan(record, w0_hat, None, length=n_records)
    return jnp.concatenate([to_grid(w0_hat)[None], frames]).astype(dtype)
