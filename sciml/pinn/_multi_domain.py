r"""Multi-domain PINNs (XPINN style, METALIC's set-up): one tanh MLP per strip of a
:class:`~sciml.pinn._decomposition.Decomposition`, their parameters stacked on a leading axis so
that one jitted step evaluates and trains every subdomain at once (``vmap`` over the stack), and
the stack sharded over the devices present when there are several.

Loss (METALIC, section 6.2 of ``seed-models.md``):

.. math::
    L = 20\,\overline{(u_k - g)^2}_{\text{boundary}} + \overline{f_k^2}_{\text{interior}}
        + 5 \sum_{\text{interfaces}} \sum_{j=1}^{9} w_j I_j,

means taken per subdomain and summed over subdomains, w the 9-bit condition set
(:mod:`sciml.pinn._interfaces`). Each network sees its strip mapped to [−1, 1]ᵈ; the composite
solution takes each point from the network of the strip that holds it.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from pdes import families
from sciml.models import MLP
from sciml.pinn._decomposition import Decomposition, decompose
from sciml.pinn._interfaces import InterfacePhysics, condition_mask, interface_terms
from sciml.train import minimize_lbfgs

BOUNDARY_WEIGHT, INTERFACE_WEIGHT = 20.0, 5.0


class MultiDomainProblem(NamedTuple):
    """A PDE instance split into strips: the decomposition, the interface physics (residual,
    flux, derivative axes) and the boundary/initial data ``boundary [K, n, d]`` with values
    ``boundary_values [K, n]`` (the points of each strip's part of the boundary)."""

    decomposition: Decomposition
    physics: InterfacePhysics
    boundary: jax.Array
    boundary_values: jax.Array


def family_problem(member, key: jax.Array, boundary_points: int = 100) -> MultiDomainProblem:
    """A :mod:`pdes.families` instance split as METALIC splits it, with ``boundary_points``
    data points per strip."""
    d = decompose(member.bounds, member.split_axis, member.edges)
    keys = jax.random.split(key, d.count)
    data = [families.data_points(member, d.box(k), keys[k], boundary_points)
            for k in range(d.count)]  # fmt: skip
    pde = InterfacePhysics(member.residual, member.flux, member.x_axis, member.second_axis)
    return MultiDomainProblem(
        d, pde, jnp.stack([p for p, _ in data]), jnp.stack([v for _, v in data])
    )


def init_networks(key: jax.Array, count: int, width: int = 20, depth: int = 2, dim: int = 2):
    """``count`` independent MLPs (METALIC: [2, 20, 20, 1], tanh, Glorot normal), parameters
    stacked on a leading axis."""
    model = MLP(width, depth)
    keys = jax.random.split(key, count)
    return jax.vmap(lambda k: model.init(k, jnp.zeros(dim)))(keys)


def subdomain_function(params, decomposition: Decomposition, k, width=20, depth=2):
    """Network ``k`` as a function of one point of the whole domain (scalar output)."""
    model = MLP(width, depth)
    return lambda z: model.apply(params, decomposition.to_unit(k, z))[0]


def shard_stack(tree, mesh: Mesh | None):
    """Place every leaf's leading (subdomain) axis over ``mesh``'s one axis, when its length is
    a multiple of the device count; otherwise replicate."""
    if mesh is None:
        return tree

    def place(x):
        spec = PartitionSpec(mesh.axis_names[0]) if x.shape[0] % mesh.size == 0 else PartitionSpec()
        return jax.device_put(x, NamedSharding(mesh, spec))

    return jax.tree.map(place, tree)


def multi_domain_loss(
    problem: MultiDomainProblem, mask, width: int = 20, depth: int = 2
) -> Callable:
    """``loss(params, interior [K, n, d], interface [K-1, m, d]) -> (loss, terms)``."""
    d = problem.decomposition
    count = d.count
    mask = condition_mask(mask) if isinstance(mask, str | int) else jnp.asarray(mask, float)

    def loss(params, interior, interface):
        def per_domain(p, k, points, boundary, values):
            u = subdomain_function(p, d, k, width, depth)
            f = jax.vmap(problem.physics.residual(u))(points)
            fitted = jax.vmap(u)(boundary)
            return jnp.mean(f**2), jnp.mean((fitted - values) ** 2)

        residual, boundary = jax.vmap(per_domain)(
            params, jnp.arange(count), interior, problem.boundary, problem.boundary_values
        )
        terms = {"residual": jnp.sum(residual), "boundary": jnp.sum(boundary)}
        total = BOUNDARY_WEIGHT * terms["boundary"] + terms["residual"]
        if count > 1:
            left = jax.tree.map(lambda x: x[:-1], params)
            right = jax.tree.map(lambda x: x[1:], params)

            def per_interface(p1, p2, k, points):
                u1 = subdomain_function(p1, d, k, width, depth)
                u2 = subdomain_function(p2, d, k + 1, width, depth)
                return interface_terms(u1, u2, points, problem.physics)

            conditions = jax.vmap(per_interface)(left, right, jnp.arange(count - 1), interface)
            interface_loss = jnp.sum(conditions * mask[None, :])
            terms["interface"] = interface_loss
            total = total + INTERFACE_WEIGHT * interface_loss
        return total, terms

    return loss


def composite(params, decomposition: Decomposition, points, width=20, depth=2) -> jax.Array:
    """The multi-domain solution at ``points [n, d]``: each point from its strip's network."""
    owner = decomposition.owner(points)

    def every(p, k):
        return jax.vmap(subdomain_function(p, decomposition, k, width, depth))(points)

    values = jax.vmap(every)(params, jnp.arange(decomposition.count))  # [K, n]
    return jnp.take_along_axis(values, owner[None, :], axis=0)[0]


def relative_l2(predicted, reference) -> float:
    predicted, reference = np.asarray(predicted), np.asarray(reference)
    return float(np.linalg.norm(predicted - reference) / np.linalg.norm(reference))


def initial_state(problem: MultiDomainProblem, key: jax.Array, *, interior_points: int = 1000,
                  interface_points: int = 100, width: int = 20, depth: int = 2,
                  mesh: Mesh | None = None):  # fmt: skip
    """Stacked initial parameters, interior points ``[K, n, d]`` and interface points
    ``[K - 1, m, d]`` (``None`` for one strip), all from ``key``."""
    d = problem.decomposition
    k_init, k_interior, k_interface = jax.random.split(key, 3)
    params = shard_stack(init_networks(k_init, d.count, width, depth, len(d.bounds)), mesh)
    interior = shard_stack(d.interior(k_interior, interior_points), mesh)
    interface = d.interfaces(k_interface, interface_points) if d.count > 1 else None
    return params, interior, interface


def adam_stage(problem, mask, params, interior, interface, steps: int, width=20, depth=2):
    """``steps`` full-batch Adam iterations at 1e-3 in one scan (trace it inside ``jax.jit``);
    returns the parameters and the loss before each step."""
    loss = multi_domain_loss(problem, mask, width, depth)
    objective = lambda p: loss(p, interior, interface)[0]
    adam = optax.adam(1e-3)

    def step(carry, _):
        p, state = carry
        value, grads = jax.value_and_grad(objective)(p)
        updates, state = adam.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), value

    (params, _), values = jax.lax.scan(step, (params, adam.init(params)), None, length=steps)
    return params, values


def lbfgs_stage(problem, mask, params, interior, interface, steps: int, width=20, depth=2):
    """``steps`` L-BFGS iterations (:func:`sciml.train.minimize_lbfgs`)."""
    loss = multi_domain_loss(problem, mask, width, depth)
    return minimize_lbfgs(lambda p: loss(p, interior, interface)[0], params, steps)


def train_multi_domain(
    problem: MultiDomainProblem,
    mask,
    key: jax.Array,
    *,
    adam_steps: int = 2000,
    lbfgs_steps: int = 0,
    lbfgs_mask=None,
    interior_points: int = 1000,
    interface_points: int = 100,
    width: int = 20,
    depth: int = 2,
    mesh: Mesh | None = None,
):
    """METALIC's optimisation on fixed (full-batch) points: Adam at 1e-3 for ``adam_steps``,
    then ``lbfgs_steps`` L-BFGS iterations (with ``lbfgs_mask``, default ``mask``: the two-stage
    variant changes the condition set between stages); every subdomain in one scanned, jitted
    call per stage. Returns the stacked parameters and the final loss of each stage."""
    params, interior, interface = initial_state(
        problem, key, interior_points=interior_points, interface_points=interface_points,
        width=width, depth=depth, mesh=mesh,
    )  # fmt: skip
    history = {}
    if adam_steps:
        run = jax.jit(lambda p: adam_stage(problem, mask, p, interior, interface, adam_steps,
                                           width, depth))  # fmt: skip
        params, values = run(params)
        history["adam"] = float(values[-1])
    if lbfgs_steps:
        second = mask if lbfgs_mask is None else lbfgs_mask
        params, values = lbfgs_stage(problem, second, params, interior, interface, lbfgs_steps,
                                     width, depth)  # fmt: skip
        history["lbfgs"] = float(values[-1])
    return params, history
