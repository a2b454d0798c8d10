r"""The loss terms of a PINN: pointwise residuals of the PDE and of its conditions.

Each term is a function ``(u, z) -> r`` of the candidate solution ``u`` (a function of one point)
and one point ``z``, plus a rule for drawing its points; its loss is the mean of :math:`|r|^2`
over the points. Writing terms pointwise lets the same definitions serve the loss, the
NTK-based weights (per-point gradients) and residual-based sampling.

- ``residual``: the PDE residual from :meth:`pdes.Problem.residual`;
- ``initial``: :math:`u(t_0, x) - u_0(x)`; ``initial_rate``: :math:`u_t(t_0, x) - u_1(x)` for
  equations second order in time;
- ``boundary_X`` per spatial axis ``X``: Dirichlet :math:`u - g`, Neumann
  :math:`\partial_X u - g`, or periodic: the jump of :math:`u` and :math:`\partial_X u` between the
  two faces.

Terms the model already satisfies exactly (periodic embedding, hard constraints) are left out.
"""

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp

import pdes
import physics
from pdes import samplers

PointFn = Callable[[jax.Array], jax.Array]


@dataclass(frozen=True)
class Term:
    """One loss term: how to draw its points and its residual at one point."""

    name: str
    sample: Callable[[jax.Array, int], jax.Array]  # (key, n) -> points [n, d]
    residual: Callable[[PointFn, jax.Array], jax.Array]  # (u, z) -> r
    batched: Callable[[PointFn, jax.Array], jax.Array] | None = None  # (u, points) -> r [n, ...]

    def on_points(self, u: PointFn, points: jax.Array) -> jax.Array:
        """The residual at every point of ``points[n, d]``: ``batched`` if given (one
        Taylor-mode pass for a PDE residual), else ``residual`` mapped over the points."""
        if self.batched is not None:
            return self.batched(u, points)
        return jax.vmap(lambda z: self.residual(u, z))(points)


def _face_points(domain: pdes.Domain, axis: int, method, both_faces: bool):
    def sample(key, n):
        points = samplers.interior(key, domain, n, method)
        if not both_faces:
            return points.at[:, axis].set(domain.lower[axis])
        upper = jnp.arange(n) % 2 == 1  # alternate faces: n/2 points on each
        return points.at[:, axis].set(jnp.where(upper, domain.upper[axis], domain.lower[axis]))

    return sample


def _boundary_term(problem: pdes.Problem, axis: int, condition, method) -> Term:
    domain = problem.domain
    name = f"boundary_{problem.variables[axis]}"
    if isinstance(condition, pdes.Periodic):
        period = domain.upper[axis] - domain.lower[axis]

        def jump(u, z):
            mirror = z.at[axis].add(period)
            derivative = physics.partial(u, axis)
            return jnp.stack([u(z) - u(mirror), derivative(z) - derivative(mirror)])

        return Term(name, _face_points(domain, axis, method, both_faces=False), jump)
    if isinstance(condition, pdes.Neumann):
        residual = lambda u, z: physics.partial(u, axis)(z) - condition(z)
    else:
        residual = lambda u, z: u(z) - condition(z)
    return Term(name, _face_points(domain, axis, method, both_faces=True), residual)


def _batched_residual(problem: pdes.Problem):
    def on_points(u, points):
        r = problem.residual(u)
        if hasattr(r, "on_points"):  # a physics.residuals residual: one Taylor-mode pass
            return r.on_points(points)
        return jax.vmap(r)(points)

    return on_points


def make_terms(
    problem: pdes.Problem,
    method=samplers.uniform,
    *,
    periodic_embedded: tuple[int, ...] = (),
    hard_constraints: bool = False,
) -> list[Term]:
    """The loss terms of ``problem``, without those the model satisfies exactly."""
    domain = problem.domain
    terms = [
        Term(
            "residual",
            lambda key, n: samplers.interior(key, domain, n, method),
            lambda u, z: problem.residual(u)(z),
            _batched_residual(problem),
        )
    ]
    if domain.time_dependent:
        data = problem.initial
        if not hard_constraints:
            terms.append(
                Term(
                    "initial",
                    lambda key, n: samplers.initial(key, domain, n, method),
                    lambda u, z: u(z) - data[0](z[1:]),
                )
            )
        if len(data) > 1:
            terms.append(
                Term(
                    "initial_rate",
                    lambda key, n: samplers.initial(key, domain, n, method),
                    lambda u, z: physics.time_derivative(u)(z) - data[1](z[1:]),
                )
            )
    for axis, condition in zip(domain.spatial_axes, problem.boundary, strict=True):
        if axis in periodic_embedded:
            continue
        exact_here = (
            hard_constraints and isinstance(condition, pdes.Dirichlet) and condition.homogeneous
        )
        if not exact_here:
            terms.append(_boundary_term(problem, axis, condition, method))
    return terms
