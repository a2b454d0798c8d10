"""The graph-ODE models against their equations: the graph product, the ODE solves, STGODE's
ODE block in closed form, GRAM-ODE's temporal attentions and message filter against explicit
loops, the TCN's causality, and every GRAM-ODE ablation building and running."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import traffic
from sciml.models import (
    STGODE,
    GRUForecaster,
    MultiODEBlock,
    STGODEBlock,
    TemporalConvNet,
    adjacency_graph,
    propagate,
    solve_ode,
)
from sciml.models._gram_ode import divergence_filter, time_attention_edges, time_attention_nodes


def _adjacency(n=6, seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.random((n, n)) < 0.4).astype(float)
    a = np.triu(a, 1)
    return traffic.normalised_adjacency(a + a.T)


def test_propagate_is_the_dense_product_along_any_axis(x64):
    a = _adjacency()
    graph = adjacency_graph(a)
    x = np.random.default_rng(1).normal(size=(2, 6, 3, 4))
    np.testing.assert_allclose(
        propagate(graph, x, axis=1), np.einsum("ij,bjtc->bitc", a, x), rtol=1e-6
    )  # fmt: skip  (float32 edge weights)
    e = np.random.default_rng(2).normal(size=(2, 6, 6, 3))
    np.testing.assert_allclose(propagate(graph, e, axis=2), np.einsum("kj,bijt->bikt", a, e),
                               rtol=1e-12)  # fmt: skip


def test_solve_ode_euler_and_tsit5(x64):
    """dy/dt = -y from 1: one Euler step of 1 lands on 0 exactly, three of 1 keep 0; Tsit5
    (rtol = atol = 1e-3) gives e^-1 to its tolerance."""
    y0 = jnp.ones(3)
    assert float(jnp.abs(solve_ode(lambda y: -y, y0, 1.0)).max()) == 0.0
    path = solve_ode(lambda y: -0.5 * y, y0, 3.0, ts=(1.0, 2.0, 3.0))
    np.testing.assert_allclose(path[:, 0], [0.5, 0.25, 0.125])
    adaptive = solve_ode(lambda y: -y, y0, 1.0, solver="tsit5")
    np.testing.assert_allclose(adaptive, np.exp(-1.0), rtol=2e-3)
    with pytest.raises(ValueError, match="unknown ODE solver 'rk4'"):
        solve_ode(lambda y: -y, y0, 1.0, solver="rk4")


def test_stgode_block_in_closed_form(x64):
    """At initialisation (W = W₂ = I) the ±H terms cancel and one Euler step of 6 gives
    relu(H + 3σ(α)ÂH). With zero w and w₂ (W = W₂ = 0): relu(H + 6(σ(α)/2 ÂH − 3H + H)) =
    relu(3σ(α)ÂH − 11H), the affine map the reference asks to check."""
    a = _adjacency()
    graph = adjacency_graph(a)
    x = jnp.asarray(np.random.default_rng(3).normal(size=(2, 6, 12, 4)))
    block = STGODEBlock()
    params = block.init(jax.random.key(0), x, graph)
    s = jax.nn.sigmoid(0.8)
    ax = np.einsum("ij,bjtc->bitc", a, x)
    np.testing.assert_allclose(block.apply(params, x, graph), np.maximum(x + 3 * s * ax, 0),
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    zero = jax.tree.map(lambda p: p, params)
    zero["params"]["w"] = jnp.zeros((4, 4))
    zero["params"]["w2"] = jnp.zeros((12, 12))
    np.testing.assert_allclose(block.apply(zero, x, graph), np.maximum(3 * s * ax - 11 * x, 0),
                               rtol=1e-12, atol=1e-12)  # fmt: skip


def test_temporal_attentions_match_explicit_loops(x64):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 4, 3))  # [B, N, T, C]
    w3, w4 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    expected = np.zeros_like(x)
    for b in range(2):
        for c in range(3):
            xc = x[b, :, :, c]  # [N, T]
            gate = 1 / (1 + np.exp(-((xc @ w3).T @ (xc @ w4))))  # [T, T], over nodes
            expected[b, :, :, c] = xc @ gate.T
    np.testing.assert_allclose(time_attention_nodes(x, w3, w4), expected, rtol=1e-12)
    e = rng.normal(size=(2, 5, 5, 4))  # [B, N, N, T]
    expected = np.zeros_like(e)
    for b in range(2):
        for i in range(5):
            ei = e[b, i]  # [N, T]
            gate = 1 / (1 + np.exp(-((ei @ w3).T @ (ei @ w4))))
            expected[b, i] = ei @ gate
    np.testing.assert_allclose(time_attention_edges(e, w3, w4), expected, rtol=1e-12)


def test_the_message_filter_clips_for_positive_c_and_pins_for_negative():
    reference = jnp.zeros(5)
    local = jnp.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(divergence_filter(local, reference, 1.0), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(divergence_filter(local, reference, -1.0), [1.0] * 5)


def test_the_tcn_is_causal_and_the_official_slip_is_a_relu():
    """Changing the input at the last time step changes no earlier output; with
    ``official=True`` a 64-channel input comes back as its ReLU."""
    x = jnp.asarray(np.random.default_rng(5).normal(size=(1, 3, 12, 2)), jnp.float32)
    tcn = TemporalConvNet()
    params = tcn.init(jax.random.key(0), x)
    changed = x.at[:, :, -1].add(5.0)
    a, b = tcn.apply(params, x), tcn.apply(params, changed)
    np.testing.assert_array_equal(a[:, :, :-1], b[:, :, :-1])
    assert not np.allclose(a[:, :, -1], b[:, :, -1])
    wide = jnp.asarray(np.random.default_rng(6).normal(size=(1, 3, 12, 64)), jnp.float32)
    official = TemporalConvNet(official=True)
    np.testing.assert_array_equal(official.apply(official.init(jax.random.key(0), wide), wide),
                                  jax.nn.relu(wide))  # fmt: skip


@pytest.mark.parametrize(
    "switches",
    [{}, {"local": False}, {"edges": False}, {"shared": False}, {"divergence": False},
     {"local": False, "edges": False}],
)  # fmt: skip
def test_the_multi_ode_block_and_its_ablations(switches):
    """Every component switch builds a block that maps [B, N, 12, C] to itself; without
    sharing, the local and edge ODEs own their spatial operator and temporal attention."""
    graph = adjacency_graph(_adjacency(5))
    h = jnp.asarray(np.random.default_rng(7).normal(size=(2, 5, 12, 8)), jnp.float32)
    block = MultiODEBlock(**switches)
    variables = block.init(jax.random.key(0), h, graph)
    y = block.apply(variables, h, graph)
    assert y.shape == h.shape and bool(jnp.all(jnp.isfinite(y)))
    names = set(variables["params"])
    assert ("compress" in names) == switches.get("local", True)
    assert ("edge_alpha" in names) == switches.get("edges", True)
    assert ("clip" in names) == (switches.get("local", True) and switches.get("divergence", True))
    if switches.get("shared") is False:
        assert {"graph_local", "graph_edge", "time_local", "time_edge"} <= names


def test_stgode_and_gru_forecast_every_node():
    graph = adjacency_graph(_adjacency(5))
    x = jnp.asarray(np.random.default_rng(8).normal(size=(3, 5, 12, 2)), jnp.float32)
    for model in (STGODE(channels=(8, 4, 8), branches=1), GRUForecaster(hidden=8)):
        variables = model.init(jax.random.key(0), x, (graph, graph))
        assert model.apply(variables, x, (graph, graph)).shape == (3, 5, 12)
