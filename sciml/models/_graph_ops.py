r"""Graph operators for the graph-ODE models: a weighted adjacency as a ``jraph.GraphsTuple``,
its product with node features by jraph's segment sums, and the diffrax solve of the models'
ODE blocks.

:func:`propagate` computes :math:`(\hat A X)_i = \sum_j \hat A_{ij} X_j` along any node axis of
``X``: edge ``j -> i`` carries the weight :math:`\hat A_{ij}` (sender j, receiver i), so the cost
is one gather and one segment sum over the stored edges, not a dense N × N product.
"""

from collections.abc import Callable

import diffrax
import jax
import jax.numpy as jnp
import jraph
import numpy as np

SOLVERS = ("euler", "tsit5")


def adjacency_graph(adjacency: np.ndarray) -> jraph.GraphsTuple:
    """The nonzero entries of ``adjacency [N, N]`` as a graph: ``edges`` are the weights."""
    adjacency = np.asarray(adjacency)
    receivers, senders = np.nonzero(adjacency)
    count = adjacency.shape[0]
    return jraph.GraphsTuple(
        nodes=None,
        edges=jnp.asarray(adjacency[receivers, senders]),
        senders=jnp.asarray(senders, jnp.int32),
        receivers=jnp.asarray(receivers, jnp.int32),
        n_node=jnp.asarray([count]),
        n_edge=jnp.asarray([len(senders)]),
        globals=None,
    )


def propagate(graph: jraph.GraphsTuple, x: jax.Array, axis: int) -> jax.Array:
    """:math:`\\hat A X` along node axis ``axis`` of ``x`` (the graph's weights in ``edges``)."""
    x = jnp.moveaxis(x, axis, 0)
    count = x.shape[0]
    weights = graph.edges.astype(x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    out = jraph.segment_sum(weights * x[graph.senders], graph.receivers, num_segments=count)
    return jnp.moveaxis(out, 0, axis)


def solve_ode(
    vector_field: Callable[[jax.Array], jax.Array],
    y0: jax.Array,
    t1: float,
    *,
    dt: float = 1.0,
    ts=None,
    solver: str = "euler",
) -> jax.Array:
    """Integrate :math:`dy/dt = f(y)` from 0 to ``t1`` with diffrax: the papers' fixed-step
    explicit Euler of step ``dt``, or adaptive Tsit5 (rtol = atol = 1e-3) as an ablation.
    Returns y(t1), or the states at ``ts`` (stacked on a new leading axis)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown ODE solver {solver!r}; available: {', '.join(SOLVERS)}")
    term = diffrax.ODETerm(lambda t, y, args: vector_field(y))
    saveat = diffrax.SaveAt(t1=True) if ts is None else diffrax.SaveAt(ts=jnp.asarray(ts))
    if solver == "euler":
        # a fixed grid needs exactly ceil(t1 / dt) steps: bounding the loop there keeps the
        # reverse pass from checkpointing diffrax's default 4096-step budget
        steps = int(np.ceil(t1 / dt - 1e-9))
        options = {"solver": diffrax.Euler(), "dt0": dt, "max_steps": steps}
    else:
        controller = diffrax.PIDController(rtol=1e-3, atol=1e-3)
        options = {"solver": diffrax.Tsit5(), "dt0": None, "stepsize_controller": controller}
    solution = diffrax.diffeqsolve(term, t0=0.0, t1=t1, y0=y0, saveat=saveat, **options)
    return solution.ys[0] if ts is None else solution.ys
