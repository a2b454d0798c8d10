r"""STGODE (Fang et al., KDD 2021): spatial-temporal graph ODE networks, as the official code
builds them.

ODE block on :math:`H \in \mathbb R^{B \times N \times T \times C}`:

.. math::
    \frac{dH}{dt} = \tfrac{\sigma(\alpha)}{2}\hat A H - H + H W - H + W_2 \star_t H - H + H_0,
    \quad W = (w\,\mathrm{clamp}(d, 0, 1))\,w^\top,\quad
    W_2 = (w_2\,\mathrm{clamp}(d_2, 0, 1))\,w_2^\top,

with α per node (initialised 0.8), w, w₂ initialised to I and d, d₂ to 1, :math:`W_2` mixing the
T time steps, and :math:`H_0` the block's input held fixed (detached). One explicit Euler step of
size 6 (``odeint(method='euler')`` on t = [0, 6]), then ReLU. At initialisation this is
:math:`H + 3\sigma(\alpha)\hat A H`.

Network: 3 branches on the spatial graph and 3 on the semantic graph, each two blocks of
TCN → ODE → TCN → BatchNorm over nodes; the branches are merged by a maximum, and an MLP
(T·64 → T·32 → horizon) maps each node's features to its forecast.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import jraph

from sciml.models._graph_ops import propagate, solve_ode
from sciml.models._tcn import TemporalConvNet, torch_uniform


def _gram(w: jax.Array, d: jax.Array) -> jax.Array:
    """:math:`(w\\,\\mathrm{clamp}(d, 0, 1))\\,w^\\top`."""
    return (w * jnp.clip(d, 0.0, 1.0)[None, :]) @ w.T


class STGODEBlock(nn.Module):
    """The ODE block: ``(x [B, N, T, C], graph) -> [B, N, T, C]``."""

    time: float = 6.0
    solver: str = "euler"

    @nn.compact
    def __call__(self, x: jax.Array, graph: jraph.GraphsTuple) -> jax.Array:
        _, nodes, steps, features = x.shape
        alpha = self.param("alpha", nn.initializers.constant(0.8), (nodes,))
        w = self.param("w", lambda k, s: jnp.eye(s[0]), (features, features))
        d = self.param("d", nn.initializers.ones, (features,))
        w2 = self.param("w2", lambda k, s: jnp.eye(s[0]), (steps, steps))
        d2 = self.param("d2", nn.initializers.ones, (steps,))
        x0 = jax.lax.stop_gradient(x)
        rate = (jax.nn.sigmoid(alpha) / 2)[None, :, None, None]
        features_mix, time_mix = _gram(w, d), _gram(w2, d2)

        def field(h):
            spatial = rate * propagate(graph, h, axis=1)
            temporal = jnp.einsum("bntc,ts->bnsc", h, time_mix)
            return spatial - h + h @ features_mix - h + temporal - h + x0

        return nn.relu(solve_ode(field, x, self.time, dt=self.time, solver=self.solver))


class STGCNBlock(nn.Module):
    """TCN → ODE block → TCN → BatchNorm over the node axis (per node, over batch, time and
    channels)."""

    channels: tuple[int, ...] = (64, 32, 64)
    official_tcn: bool = False
    solver: str = "euler"

    @nn.compact
    def __call__(self, x, graph, *, train: bool = False):
        tcn = lambda: TemporalConvNet(self.channels, official=self.official_tcn)
        h = tcn()(x, train=train)
        h = STGODEBlock(solver=self.solver)(h, graph)
        h = tcn()(nn.relu(h), train=train)
        return nn.BatchNorm(use_running_average=not train, axis=1, momentum=0.9, epsilon=1e-5)(h)


class STGODE(nn.Module):
    """``(x [B, N, T, F], (spatial, semantic)) -> [B, N, horizon]`` (normalised units)."""

    horizon: int = 12
    branches: int = 3
    channels: tuple[int, ...] = (64, 32, 64)
    official_tcn: bool = False
    solver: str = "euler"

    @nn.compact
    def __call__(self, x, graphs, *, train: bool = False):
        outputs = []
        for graph in graphs:
            for _ in range(self.branches):
                h = x
                for _ in range(2):
                    h = STGCNBlock(self.channels, self.official_tcn, self.solver)(
                        h, graph, train=train
                    )
                outputs.append(h)
        h = jnp.max(jnp.stack(outputs), axis=0)
        b, n, t, c = h.shape
        h = h.reshape(b, n, t * c)
        hidden = t * c // 2
        h = nn.relu(_dense(hidden, t * c)(h))
        return _dense(self.horizon, hidden)(h)


def _dense(features: int, fan_in: int) -> nn.Dense:
    """A Linear layer with PyTorch's default initialisation (weights and bias)."""
    return nn.Dense(features, kernel_init=torch_uniform(fan_in), bias_init=torch_uniform(fan_in))
