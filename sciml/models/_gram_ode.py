r"""GRAM-ODE (Liu, Shojaee & Reddy, TMLR 2023): graph-based multi-ODE networks for traffic
forecasting, as the official code builds them (``zbliu98/GRAM-ODE`` @ aa4e2da).

Multi-ODE block on :math:`H \in \mathbb R^{B \times N \times 12 \times 64}`, with the spatial
operator :math:`S(X) = (\hat A + M)X` along the node axis (M a learnable dense N × N matrix,
initialised N(0, 1)) shared by all its ODEs:

- **global node ODE**: :math:`\dot H = \tfrac{\sigma(\alpha)}{2}S(H) - H + \mathrm{TA}(H) - H +
  HW - H + H_0`, one Euler step on [0, 1]; :math:`W = 1.6W' - 0.6\,W'W'^\top W'`,
  :math:`W' = (w\,\mathrm{clamp}(d,0,1))w^\top`; TA is the 12-step temporal attention
  :math:`\mathrm{TA}(X)_c = X_c\,\sigma\big((X_cW_3)^\top (X_cW_4)\big)^\top` per channel c, the
  gate contracting over nodes;
- **edge ODE** on dynamic edges :math:`E_{ij}(t) = \bar H_i(t) + \bar H_j(t)` (channel means,
  ``[B, N, N, 12]``): :math:`\dot E = \tfrac{\sigma(\alpha_e)}{2}S(E) - E + \mathrm{TA}_e(E) - E
  + E_0`, one Euler step; TA is shared with the global ODE;
- **local ODEs**: multi-head attention across nodes compresses the 12 × 64 history of each
  node into 4 tokens of width 64; each token has its own node ODE (1-step temporal attention,
  shared by the four), integrated by 3 Euler steps on [0, 3] keeping t = 1, 2, 3; the 4 × 3
  states are interleaved back into 12 steps (step index 4(s−1) + k);
- **divergence constraint** (message filter): the local output is held within ±c of the global
  one (c learnable; the code's two ``where`` in sequence, so c < 0 pins it to the global − c);
- **aggregation**: read-outs :math:`r_\ell` of the local and global outputs (Linear 64 → 64) and
  of the edge output (Linear N → 64 over the first node index);
  :math:`z = \tfrac16\sum_{a \ne b} r_a \odot \sigma(r_b)`, then
  :math:`\mathrm{ReLU}(w_0\,\sigma(\mathrm{Lin}(H)) + w_1 z)`.

Network: 3 branches on the spatial and 3 on the semantic graph, each two blocks of TCN →
multi-ODE block → TCN → BatchNorm over nodes; the six branch outputs are flattened per node
(12 · 64 · 6 = 4608) and a 12-head attention across nodes with 1-wide values gives the 12-step
forecast. Linear layers use PyTorch's default initialisation; α starts at 0.8, c, w₀, w₁ and
the attention weights W₃, W₄ at N(0, 1).

Ablation switches (the paper's components): ``local`` (local ODEs), ``edges`` (dynamic edge
ODE), ``shared`` (one S and one TA for all ODEs of a block; otherwise each ODE its own) and
``divergence`` (the message filter).
"""

import itertools

import flax.linen as nn
import jax
import jax.numpy as jnp
import jraph

from sciml.models._graph_ops import propagate, solve_ode
from sciml.models._stgode import _dense, _gram
from sciml.models._tcn import TemporalConvNet

TOKENS = 4
"""Local ODE tokens; each integrated over 3 unit steps: 4 × 3 = 12 output steps."""


class NodeAttention(nn.Module):
    """Multi-head self-attention across nodes of ``x [B, N, D]``: ``heads`` heads of key width
    ``keys // heads`` and value width ``values // heads``, scaled dot products, softmax over
    nodes, heads concatenated (no output projection)."""

    keys: int
    values: int
    heads: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b, n, d = x.shape
        dk, dv = self.keys // self.heads, self.values // self.heads
        q = _dense(self.keys, d)(x).reshape(b, n, self.heads, dk)
        k = _dense(self.keys, d)(x).reshape(b, n, self.heads, dk)
        v = _dense(self.values, d)(x).reshape(b, n, self.heads, dv)
        scores = jax.nn.softmax(jnp.einsum("bihd,bjhd->bhij", q, k) / jnp.sqrt(dk), axis=-1)
        return jnp.einsum("bhij,bjhd->bihd", scores, v).reshape(b, n, self.values)


class NodeODEWeights(nn.Module):
    """α (per node, 0.8) and :math:`W = 1.6W' - 0.6W'W'^\\top W'` of one node ODE."""

    @nn.compact
    def __call__(self, nodes: int, features: int):
        alpha = self.param("alpha", nn.initializers.constant(0.8), (nodes,))
        w = self.param("w", lambda k, s: jnp.eye(s[0]), (features, features))
        d = self.param("d", nn.initializers.ones, (features,))
        prime = _gram(w, d)
        return alpha, 1.6 * prime - 0.6 * (prime @ prime.T) @ prime


class SpatialOperator(nn.Module):
    """:math:`S(X) = (\\hat A + M)X` along axis 1; M ~ N(0, 1)."""

    @nn.compact
    def __call__(self, graph: jraph.GraphsTuple, nodes: int):
        m = self.param("M", nn.initializers.normal(1.0), (nodes, nodes))

        def apply(x):
            dense = jnp.tensordot(m, x, axes=(1, 1))  # [N, B, ...]
            return propagate(graph, x, axis=1) + jnp.moveaxis(dense, 0, 1)

        return apply


class TimeAttentionWeights(nn.Module):
    steps: int

    @nn.compact
    def __call__(self):
        shape = (self.steps, self.steps)
        return (
            self.param("W3", nn.initializers.normal(1.0), shape),
            self.param("W4", nn.initializers.normal(1.0), shape),
        )


def time_attention_nodes(x: jax.Array, w3: jax.Array, w4: jax.Array) -> jax.Array:
    """``x [B, N, T, C]``: per channel, a T × T gate contracted over nodes, applied as X Aᵀ."""
    left = jnp.einsum("bntc,to->bnoc", x, w3)
    right = jnp.einsum("bntc,tp->bnpc", x, w4)
    gate = jax.nn.sigmoid(jnp.einsum("bnoc,bnpc->bcop", left, right))
    return jnp.einsum("bcop,bnpc->bnoc", gate, x)


def time_attention_edges(e: jax.Array, w3: jax.Array, w4: jax.Array) -> jax.Array:
    """``e [B, N, N, T]``: per first node, a T × T gate contracted over the second, E·A."""
    left = jnp.einsum("bijt,to->bijo", e, w3)
    right = jnp.einsum("bijt,tp->bijp", e, w4)
    gate = jax.nn.sigmoid(jnp.einsum("bijo,bijp->biop", left, right))
    return jnp.einsum("bijo,biop->bijp", e, gate)


def divergence_filter(local: jax.Array, reference: jax.Array, c: jax.Array) -> jax.Array:
    """The message filter, as the code applies it: first ``local`` is lowered to at most
    ``reference + c``, then raised to at least ``reference - c`` (for c ≥ 0 a clip to
    ``[reference - c, reference + c]``; for c < 0 the result is ``reference - c``)."""
    local = jnp.where(reference + c - local < 0, reference + c, local)
    return jnp.where(reference - c - local > 0, reference - c, local)


class MultiODEBlock(nn.Module):
    """GRAM-ODE's ``ODEG``: ``(h [B, N, 12, C], graph) -> [B, N, 12, C]``."""

    local: bool = True
    edges: bool = True
    shared: bool = True
    divergence: bool = True
    solver: str = "euler"

    @nn.compact
    def __call__(self, h: jax.Array, graph: jraph.GraphsTuple) -> jax.Array:
        b, n, steps, c = h.shape
        spatial = SpatialOperator(name="graph")(graph, n)
        attention = TimeAttentionWeights(steps, name="time")()

        attention_1 = TimeAttentionWeights(1, name="time_1")() if self.local else None

        def own(kind, name):  # the shared operator, or one of the ODE's own (ablation)
            if self.shared:
                return {"S": spatial, "TA": attention, "TA1": attention_1}[kind]
            if kind == "S":
                return SpatialOperator(name=f"graph_{name}")(graph, n)
            return TimeAttentionWeights(steps if kind == "TA" else 1, name=f"time_{name}")()

        def node_field(x0, alpha, mix, s, ta):
            rate = (jax.nn.sigmoid(alpha) / 2)[None, :, None, None]

            def field(x):
                return rate * s(x) - x + time_attention_nodes(x, *ta) - x + x @ mix - x + x0

            return field

        x0 = jax.lax.stop_gradient(h)
        alpha, mix = NodeODEWeights(name="global")(n, c)
        global_out = solve_ode(
            node_field(x0, alpha, mix, spatial, attention), h, 1.0, solver=self.solver
        )
        readouts = [_dense(c, c)(global_out)]
        if self.local:
            # 32 heads of key width 16 and value width 8 at the published C = 64
            heads = max(1, c // 2)
            tokens = NodeAttention(16 * heads, TOKENS * c, heads, name="compress")(
                h.reshape(b, n, -1)
            )
            tokens = tokens.reshape(b, n, TOKENS, 1, c)
            s_local, ta_local = own("S", "local"), own("TA1", "local")
            weights = [NodeODEWeights(name=f"local{k}")(n, c) for k in range(TOKENS)]
            alphas = jnp.stack([a for a, _ in weights])
            mixes = jnp.stack([m for _, m in weights])
            starts = jax.lax.stop_gradient(tokens)

            def local_field(x):  # the TOKENS token ODEs as one state [B, N, K, 1, C]
                def one(x_k, start_k, alpha_k, mix_k):
                    return node_field(start_k, alpha_k, mix_k, s_local, ta_local)(x_k)

                return jax.vmap(one, in_axes=(2, 2, 0, 0), out_axes=2)(x, starts, alphas, mixes)

            # one solve instead of four: a quarter of the while loops to trace and compile;
            # fixed-step Euler gives each token exactly its own solve (an adaptive solver
            # would share one step size across the tokens)
            path = solve_ode(local_field, tokens, 3.0, ts=(1.0, 2.0, 3.0), solver=self.solver)
            local_out = jnp.moveaxis(path[:, :, :, :, 0], 0, 2).reshape(b, n, steps, c)
            if self.divergence:
                bound = self.param("clip", nn.initializers.normal(1.0), (1,))
                local_out = divergence_filter(local_out, global_out, bound[0])
            readouts.append(_dense(c, c)(local_out))
        if self.edges:
            mean = jnp.mean(h, axis=-1)  # [B, N, T]
            e = mean[:, :, None, :] + mean[:, None, :, :]
            alpha_e = self.param("edge_alpha", nn.initializers.constant(0.8), (n,))
            rate_e = (jax.nn.sigmoid(alpha_e) / 2)[None, :, None, None]
            s_edge, ta_edge = own("S", "edge"), own("TA", "edge")
            e0 = jax.lax.stop_gradient(e)

            def edge_field(x):
                return rate_e * s_edge(x) - x + time_attention_edges(x, *ta_edge) - x + e0

            e = solve_ode(edge_field, e, 1.0, solver=self.solver)
            readouts.append(_dense(c, n)(jnp.transpose(e, (0, 2, 3, 1))))
        if len(readouts) == 1:
            z = readouts[0]
        else:
            pairs = list(itertools.permutations(readouts, 2))
            z = sum(a * jax.nn.sigmoid(r) for a, r in pairs) / len(pairs)
        mixing = self.param("weights", nn.initializers.normal(1.0), (2,))
        z = mixing[0] * jax.nn.sigmoid(_dense(c, c)(h)) + mixing[1] * z
        return nn.relu(z)


class GRAMODE(nn.Module):
    """``(x [B, N, 12, F], (spatial, semantic)) -> [B, N, horizon]`` (normalised units)."""

    horizon: int = 12
    branches: int = 3
    channels: tuple[int, ...] = (64, 32, 64)
    local: bool = True
    edges: bool = True
    shared: bool = True
    divergence: bool = True
    official_tcn: bool = False
    solver: str = "euler"

    @nn.compact
    def __call__(self, x, graphs, *, train: bool = False):
        outputs = []
        for graph in graphs:
            for _ in range(self.branches):
                h = x
                for _ in range(2):
                    h = TemporalConvNet(self.channels, official=self.official_tcn)(h, train=train)
                    h = MultiODEBlock(self.local, self.edges, self.shared, self.divergence,
                                      self.solver)(h, graph)  # fmt: skip
                    h = TemporalConvNet(self.channels, official=self.official_tcn)(h, train=train)
                    h = nn.BatchNorm(
                        use_running_average=not train, axis=1, momentum=0.9, epsilon=1e-5
                    )(h)
                outputs.append(h)
        b, n = x.shape[:2]
        h = jnp.stack(outputs, axis=-1).reshape(b, n, -1)  # (t, c, branch), branch innermost
        return NodeAttention(32 * self.horizon, self.horizon, self.horizon, name="head")(h)
