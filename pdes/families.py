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
strips here, one network each. KdV and Poisson are not written yet.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import physics
from pdes import problems


class Instance(NamedTuple):
    residual: Callable  # u -> f, both functions of one point z = (t, x)
    flux: Callable  # u -> F
    exact: Callable  # z -> u(z)
    bounds: tuple  # ((t0, t1), (x0, x1))
    split_axis: int
    edges: tuple
    x_axis: int = 1
    second_axis: int = 0


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


FAMILIES = {
    "advection": Family({"beta": (1.0, 30.0)}, _advection),
    "reaction": Family({"rho": (1.0, 15.0)}, _reaction),
    "heat": Family({k: (-2.0, 2.0) for k in "abcd"}, _heat),
    "burgers": Family({"nu": (0.001, 0.05)}, _burgers),
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
    """``count`` points on the data faces (t = t₀ and both walls) that lie in ``box``, with the
    reference values there: half on the initial line when the box holds it, the rest on its
    walls."""
    (t0, t1), (x0, x1) = box
    (domain_t0, _), (wall0, wall1) = member.bounds
    k1, k2, k3 = jax.random.split(key, 3)
    walls = []
    if abs(x0 - wall0) < 1e-12:
        walls.append(wall0)
    if abs(x1 - wall1) < 1e-12:
        walls.append(wall1)
    initial = count // 2 if abs(t0 - domain_t0) < 1e-12 else 0
    if not walls:
        initial = count
    t = jax.random.uniform(k1, (count - initial,), minval=t0, maxval=t1)
    side = jnp.asarray(walls or [x0])[
        jax.random.randint(k2, (count - initial,), 0, len(walls) or 1)
    ]
    x = jax.random.uniform(k3, (initial,), minval=x0, maxval=x1)
    points = jnp.concatenate(
        [jnp.stack([jnp.full(initial, t0), x], axis=1), jnp.stack([t, side], axis=1)]
    )
    return points, jax.vmap(member.exact)(points)


def reference_grid(member: Instance, shape=(101, 101)):
    """``[n, 2]`` grid points and reference values, for the relative L2 error."""
    (t0, t1), (x0, x1) = member.bounds
    t, x = np.meshgrid(np.linspace(t0, t1, shape[0]), np.linspace(x0, x1, shape[1]),
                       indexing="ij")  # fmt: skip
    points = jnp.asarray(np.stack([t, x], axis=-1).reshape(-1, 2))
    return points, jax.vmap(member.exact)(points)
