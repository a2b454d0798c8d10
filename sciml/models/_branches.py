"""The parallel branches of STGODE and GRAM-ODE as one vmapped module.

Both papers run K independent branches (their own parameters and batch statistics) on the
same input, ``branches`` of them on each graph. Written as a Python loop, every branch traces
its own ODE solves (diffrax while loops): 2 graphs x 3 branches x 2 blocks x 3 solves = 36 in
GRAM-ODE's forward pass, which dominates compile time on CPU and kernel launches on GPU.
:func:`parallel_branches` maps one branch over a leading axis of parameters and graphs instead,
so each solve is traced once for all branches; the mathematics is the loop's, branch by branch.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import jraph


def stack_graphs(graphs, copies: int) -> jraph.GraphsTuple:
    """``copies`` of each graph stacked on a new leading axis, graph-major (graph g, copy k at
    ``g * copies + k``). Edge lists are padded to the longest with weight-0 self-edges of node
    0, which add nothing to :func:`propagate`; ``n_edge`` keeps each graph's real count."""
    longest = max(int(g.senders.shape[0]) for g in graphs)

    def pad(graph: jraph.GraphsTuple) -> jraph.GraphsTuple:
        extra = longest - int(graph.senders.shape[0])
        grow = lambda a: jnp.concatenate([a, jnp.zeros((extra,), a.dtype)])
        return graph._replace(
            edges=grow(graph.edges), senders=grow(graph.senders), receivers=grow(graph.receivers)
        )

    padded = [pad(graph) for graph in graphs for _ in range(copies)]
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *padded)


def parallel_branches(branch: type[nn.Module]) -> type[nn.Module]:
    """``branch`` (a module called as ``(x, graph)``) mapped over a leading axis: one set of
    parameters, batch statistics and dropout masks per branch, ``x`` shared, one graph each
    (a :func:`stack_graphs` stack); outputs stacked on a leading axis."""
    return nn.vmap(
        branch,
        variable_axes={"params": 0, "batch_stats": 0},
        split_rngs={"params": True, "dropout": True},
        in_axes=(None, 0),
        out_axes=0,
    )
