r"""Parametric PDE families for multi-domain PINNs and METALIC (``seed-models.md`` section 6.7):
each maps its parameters θ to an instance with a residual, an interface flux, a reference
solution, its domain, how METALIC splits it, and which faces carry data.

=========  =======================================  =============  ===========================
family     residual (z = (t, x))                    θ, range       domain; split
=========  =======================================  =============  ===========================
advection  u_t + β u_x                              β ∈ [1, 30]    [0,1] × [0,2π]; t = 1/2
reaction   u_t − ρ u (1 − u)                        ρ ∈ [1, 15]    [0,1] × [0,2π]; t = 1/2
heat       u_t − u_xx                               a,b,c,d ∈      [0,1] × [−1,1]; t = 1/2
                                                    [−2, 2]
burgers    u_t + u u_x − ν u_xx                     ν ∈ [0.001,    [0,1] × [−1,1]; |x| < 0.1
                                                    0.05]          and the rest (three strips)
=========  =======================================  =============  ===========================

Residuals and fluxes are pure ``jnp`` in θ, so a trainer can take θ as a traced argument and
compile once per family. References: advection sin(x − βt) and Burgers (Cole–Hopf quadrature)
reuse :mod:`pdes.problems`;
reaction is the logistic closed form :math:`h e^{\rho t}/(h e^{\rho t} + 1 - h)` with
:math:`h = e^{-(x-\pi)^2 / (2(\pi/4)^2)}`; heat is :math:`a e^{-\pi^2 t}\cos\pi x
+ b e^{-4\pi^2 t}\cos 2\pi x + c e^{4t-4}\cosh 2x + d e^{t-1}\sinh x`.
The interface flux is Burgers' :math:`u^2/2 - \nu u_x` and :math:`u_t` elsewhere, as in the
official code. Data: the initial line t = 0 and both walls, values from the reference.
METALIC's Burgers split (an inner strip and one network for both outer pieces) becomes three
strips here, one network each.

KdV u_t + c u u_x + u_xxx (c ∈ [1, 10]) on [0, 20] × [0, 20), periodic, from the official
code's two pulses (v/2) sech²(√v/2 (x − x₀)), v = 0.75 at 0.33 L and 0.4 at 0.65 L, for every
c, split at t = 10; reference by ETDRK4 on 128 modes (METALIC: 64 points and an ODE
solver), saved every 0.01. Poisson u_yy + u_xx = f (s ∈ [1, 50]) on [0, 1]², u = 0 on all four
walls (data there), f = −(erf(s(x − ¼)) − erf(s(x − ¾)))(erf(s(y − ¼)) − erf(s(y − ¾)))
(METALIC states f up to a constant; this one is a plateau of −4), split at y = ½, z = (y, x);
reference by the 5-point scheme on 401² solved by sine transform (METALIC: 101²).
"""

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.fft

import physics
from pdes import problems, solvers


class Instance(NamedTuple):
    residual: Callable  # u -> f, both functions of one point z = (t, x)
    flux: Callable  # u -> F
    exact: Callable  # z -> u(z)
    bounds: tuple  # ((t0, t1), (x0, x1))
    split_axis: int
    edges: tuple
    x_axis: int = 1
    second_axis: int = 0
    closed: bool = False  # the face z_0 = end carries data too (elliptic problems)
    axis_names: tuple = ("t", "x")


class Family(NamedTuple):
    ranges: dict  # parameter -> (low, high)
    build: Callable[..., Instance]


def _u_t(u):
    return physics.partial(u, 0)


def _advection(beta):
    def residual(u):
        u_t, u_x = physics.partial(u, 0), physics.partial(u, 1)
        return lambda z: u_t(z) + beta * u_x(z)

    def exact(z):  # built on use: the problem checks its parameter, which a tracer cannot pass
        return problems.Advection(velocity=beta).exact(z)

    return Instance(residual, _u_t, exact, ((0.0, 1.0), (0.0, 2 * np.pi)), 0, (0.0, 0.5, 1.0))


def _reaction(rho):
    def residual(u):
        u_t = physics.partial(u, 0)
        return lambda z: u_t(z) - rho * u(z) * (1.0 - u(z))

    def exact(z):
        h = jnp.exp(-((z[..., 1] - jnp.pi) ** 2) / (2 * (jnp.pi / 4) ** 2))
        grow = h * jnp.exp(rho * z[..., 0])
        return grow / (grow + 1.0 - h)

    return Instance(residual, _u_t, exact, ((0.0, 1.0), (0.0, 2 * np.pi)), 0, (0.0, 0.5, 1.0))


def _heat(a, b, c, d):
    def residual(u):
        u_t, u_xx = physics.partial(u, 0), physics.partial(u, 1, 2)
        return lambda z: u_t(z) - u_xx(z)

    def exact(z):
        t, x = z[..., 0], z[..., 1]
        return (
            a * jnp.exp(-(jnp.pi**2) * t) * jnp.cos(jnp.pi * x)
            + b * jnp.exp(-4 * jnp.pi**2 * t) * jnp.cos(2 * jnp.pi * x)
            + c * jnp.exp(4 * t - 4) * jnp.cosh(2 * x)
            + d * jnp.exp(t - 1) * jnp.sinh(x)
        )

    return Instance(residual, _u_t, exact, ((0.0, 1.0), (-1.0, 1.0)), 0, (0.0, 0.5, 1.0))


def _burgers(nu):
    def residual(u):
        u_t, u_x, u_xx = (physics.partial(u, 0), physics.partial(u, 1),
                          physics.partial(u, 1, 2))  # fmt: skip
        return lambda z: u_t(z) + u(z) * u_x(z) - nu * u_xx(z)

    def flux(u):
        u_x = physics.partial(u, 1)
        return lambda z: 0.5 * u(z) ** 2 - nu * u_x(z)

    def exact(z):
        return problems.Burgers(viscosity=nu).exact(z)

    return Instance(residual, flux, exact, ((0.0, 1.0), (-1.0, 1.0)), 1, (-1.0, -0.1, 0.1, 1.0))


KDV_LENGTH, KDV_T, KDV_SAVE, KDV_MODES, KDV_DT = 20.0, 20.0, 0.01, 128, 1e-3
KDV_SOLITONS = ((0.75, 0.33), (0.4, 0.65))  # (v, position / L)


def _kdv_initial(c, x):
    """The official code's two pulses, (v/2) sech²(√v/2 (x − x₀)) for v = 0.75 and 0.4 (its
    ``kdv_exact(x, v)``), the same for every c: solitons of the c = 6 equation, so other c
    break them up. Each pulse is summed over the neighbouring periods."""
    del c  # the same start for every member, as in the official code
    # with the neighbouring periods' tails (up to 1e-2 at the ends), so that it is periodic
    return sum(v / 2 * jnp.cosh(jnp.sqrt(v) / 2 * (x - (p + m) * KDV_LENGTH)) ** -2
               for v, p in KDV_SOLITONS for m in (-1, 0, 1))  # fmt: skip


@functools.lru_cache(maxsize=16)
def _kdv_modes(c: float) -> np.ndarray:
    """``[frames, modes]`` real-FFT coefficients of the reference every ``KDV_SAVE`` in t:
    ETDRK4 on ``KDV_MODES`` periodic points (dispersion exact, 2/3 dealiasing), float64."""
    with jax.enable_x64(True):
        x = jnp.arange(KDV_MODES) * KDV_LENGTH / KDV_MODES
        linear, nonlinear = solvers.kdv_terms(advection=c, dispersion=1.0)
        every = round(KDV_SAVE / KDV_DT)
        frames = solvers.etdrk4(_kdv_initial(c, x), length=KDV_LENGTH, linear=linear,
                                nonlinear=nonlinear, dt=KDV_DT, save_every=every,
                                n_saves=round(KDV_T / KDV_SAVE))  # fmt: skip
        return np.fft.rfft(np.asarray(frames), axis=1) / KDV_MODES


def _kdv(c):
    def residual(u):
        u_t, u_x, u_xxx = (physics.partial(u, 0), physics.partial(u, 1),
                           physics.partial(u, 1, 3))  # fmt: skip
        return lambda z: u_t(z) + c * u(z) * u_x(z) + u_xxx(z)

    def exact(z):
        """Fourier series in x of the two saved frames around t, linear in t between them."""
        modes = jnp.asarray(_kdv_modes(float(c)))
        k = jnp.arange(modes.shape[1])
        weight = jnp.where((k == 0) | (k == KDV_MODES // 2), 1.0, 2.0)
        wave = weight * jnp.exp(2j * jnp.pi * k * z[..., 1] / KDV_LENGTH)
        position = jnp.clip(z[..., 0] / KDV_SAVE, 0, modes.shape[0] - 1)
        i = jnp.minimum(jnp.floor(position).astype(int), modes.shape[0] - 2)
        f = position - i
        values = [jnp.real(jnp.sum(modes[j] * wave)) for j in (i, i + 1)]
        return (1 - f) * values[0] + f * values[1]

    return Instance(residual, _u_t, exact, ((0.0, KDV_T), (0.0, KDV_LENGTH)), 0,
                    (0.0, KDV_T / 2, KDV_T))  # fmt: skip


POISSON_GRID = 401  # the reference's finite-difference grid (points per side, walls included)


def _poisson_source(s, y, x):
    """f = −(erf(s(x − ¼)) − erf(s(x − ¾)))(erf(s(y − ¼)) − erf(s(y − ¾))): a plateau of −4 on
    [¼, ¾]² whose edges sharpen with s."""
    erf = jax.scipy.special.erf
    return -(erf(s * (x - 0.25)) - erf(s * (x - 0.75))) * (
        erf(s * (y - 0.25)) - erf(s * (y - 0.75))
    )


@functools.lru_cache(maxsize=16)
def _poisson_reference(s: float) -> np.ndarray:
    """u on the ``POISSON_GRID``² grid: the 5-point Laplacian solved exactly by the type-I sine
    transform (zero walls), float64; second order in h = 1/400."""
    n = POISSON_GRID - 2
    h = 1.0 / (POISSON_GRID - 1)
    y, x = np.meshgrid(np.arange(1, n + 1) * h, np.arange(1, n + 1) * h, indexing="ij")
    with jax.enable_x64(True):
        f = np.asarray(_poisson_source(s, jnp.asarray(y), jnp.asarray(x)))
    j = np.arange(1, n + 1)
    eigen = (2 * np.cos(np.pi * j / (n + 1)) - 2) / h**2
    u_hat = scipy.fft.dstn(f, type=1) / (eigen[:, None] + eigen[None, :])
    u = np.zeros((POISSON_GRID, POISSON_GRID))
    u[1:-1, 1:-1] = scipy.fft.idstn(u_hat, type=1)
    return u


def _poisson(s):
    def residual(u):
        u_yy, u_xx = physics.partial(u, 0, 2), physics.partial(u, 1, 2)
        return lambda z: u_yy(z) + u_xx(z) - _poisson_source(s, z[0], z[1])

    def exact(z):
        """Bilinear in the 401² reference (its error h²/8·|∇²u| is far below the scheme's)."""
        u = jnp.asarray(_poisson_reference(float(s)))
        position = jnp.clip(z * (POISSON_GRID - 1), 0, POISSON_GRID - 1)
        i = jnp.minimum(jnp.floor(position).astype(int), POISSON_GRID - 2)
        f = position - i
        corner = lambda a, b: u[i[0] + a, i[1] + b]
        return ((1 - f[0]) * ((1 - f[1]) * corner(0, 0) + f[1] * corner(0, 1))
                + f[0] * ((1 - f[1]) * corner(1, 0) + f[1] * corner(1, 1)))  # fmt: skip

    def flux(u):  # the official code's u_y difference
        return physics.partial(u, 0)

    return Instance(residual, flux, exact, ((0.0, 1.0), (0.0, 1.0)), 0, (0.0, 0.5, 1.0),
                    closed=True, axis_names=("y", "x"))  # fmt: skip


FAMILIES = {
    "advection": Family({"beta": (1.0, 30.0)}, _advection),
    "reaction": Family({"rho": (1.0, 15.0)}, _reaction),
    "heat": Family({k: (-2.0, 2.0) for k in "abcd"}, _heat),
    "burgers": Family({"nu": (0.001, 0.05)}, _burgers),
    "kdv": Family({"c": (1.0, 10.0)}, _kdv),
    "poisson": Family({"s": (1.0, 50.0)}, _poisson),
}


def instance(name: str, **theta) -> Instance:
    """The family member at θ; an unknown family, a missing or extra parameter, or a value
    outside the family's range is a one-line error."""
    if name not in FAMILIES:
        raise ValueError(f"unknown PDE family {name!r}; available: {', '.join(FAMILIES)}")
    ranges = FAMILIES[name].ranges
    if set(theta) != set(ranges):
        raise ValueError(f"{name} takes parameters {', '.join(ranges)}, got {', '.join(theta)}")
    for key, value in theta.items():
        low, high = ranges[key]
        if not low <= value <= high:
            raise ValueError(f"{name}: {key}={value} is outside [{low}, {high}]")
    return FAMILIES[name].build(**{k: float(v) for k, v in theta.items()})


def sample_parameters(name: str, key: jax.Array) -> dict:
    """θ uniform in the family's ranges."""
    ranges = FAMILIES[name].ranges
    unit = jax.random.uniform(key, (len(ranges),))
    return {k: float(lo + u * (hi - lo)) for (k, (lo, hi)), u in zip(ranges.items(), unit,
                                                                     strict=True)}  # fmt: skip


def data_points(member: Instance, box, key: jax.Array, count: int):
    """``count`` points on the data faces (z₀ = start, z₀ = end when ``closed``, both walls)
    that lie in ``box``, with the reference values there: half on the z₀ faces the box holds
    (shared equally), the rest on its walls."""
    (t0, t1), (x0, x1) = box
    (domain_t0, domain_t1), (wall0, wall1) = member.bounds
    k1, k2, k3 = jax.random.split(key, 3)
    k4 = jax.random.fold_in(key, 3)
    walls = [w for w, edge in ((wall0, x0), (wall1, x1)) if abs(edge - w) < 1e-12]
    lines = [t for t, here in ((domain_t0, t0), (domain_t1, t1))
             if abs(here - t) < 1e-12 and (t == domain_t0 or member.closed)]  # fmt: skip
    on_lines = (count // 2 if walls else count) if lines else 0
    t = jax.random.uniform(k1, (count - on_lines,), minval=t0, maxval=t1)
    side = jnp.asarray(walls or [x0])[
        jax.random.randint(k2, (count - on_lines,), 0, len(walls) or 1)
    ]
    x = jax.random.uniform(k3, (on_lines,), minval=x0, maxval=x1)
    line = jnp.asarray(lines or [t0])[jax.random.randint(k4, (on_lines,), 0, len(lines) or 1)]
    if len(lines) == 1:
        line = jnp.full(on_lines, lines[0])
    points = jnp.concatenate([jnp.stack([line, x], axis=1), jnp.stack([t, side], axis=1)])
    return points, jax.vmap(member.exact)(points)


def reference_grid(member: Instance, shape=(101, 101)):
    """``[n, 2]`` grid points and reference values, for the relative L2 error."""
    (t0, t1), (x0, x1) = member.bounds
    t, x = np.meshgrid(np.linspace(t0, t1, shape[0]), np.linspace(x0, x1, shape[1]),
                       indexing="ij")  # fmt: skip
    points = jnp.asarray(np.stack([t, x], axis=-1).reshape(-1, 2))
    return points, jax.vmap(member.exact)(points)
