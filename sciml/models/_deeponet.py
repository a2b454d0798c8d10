r"""DeepONet (Lu et al. 2021): a branch net encodes the input function, a trunk net the query point.

A branch net :math:`b` maps the input function :math:`u`, sampled at fixed sensors (a vector
``[m]``, or a channel-last grid ``[h, w, c]`` for :class:`CNNBranch`), to :math:`p` coefficients;
a trunk net :math:`t` maps a query point :math:`y \in \mathbb{R}^d` to :math:`p` basis values.

- ``merge="dot"`` (unstacked, Lu et al. 2021):
  :math:`G(u)(y) = \sum_{k=1}^{p} b_k(u)\, t_k(y) + b_0` with a trainable scalar :math:`b_0` per
  output when ``bias``.
- ``stacked=True``: :math:`p` independent branch nets, each giving one scalar :math:`b_k`. They are
  one batched network (``nn.vmap`` over :math:`k`): every branch parameter carries a leading axis
  of length :math:`p` (times ``outputs``), so ``params["branch"][...][k]`` is the :math:`k`-th net.
- ``outputs`` :math:`= n_o > 1` (DeepXDE's "split_both"): branch and trunk give :math:`p\,n_o`
  features, split into :math:`n_o` consecutive groups of :math:`p`;
  :math:`G_o = \sum_k b_{op+k}\, t_{op+k} + b_{0,o}`.
- ``merge="jaxpi"`` (JAX-PI): :math:`G(u)(y) = W\,\sigma(b(u) \odot t(y)) + c`, a dense layer to
  ``outputs`` (its bias :math:`c` present when ``bias``); branch and trunk give :math:`p` features.

``trunk_last_activation`` applies ``activation`` to the trunk output, so that with an
:class:`~sciml.models.MLP` trunk (linear last layer) every trunk layer is activated. The
conventions of the reference codes (name the variant in every config and result):

=================  =========================================================================
variant            arguments
=================  =========================================================================
DeepXDE / Lu 2021  ``merge="dot", bias=True, trunk_last_activation=True`` (the defaults)
PI-DeepONet        ``merge="dot", bias=False, trunk_last_activation=False`` (Wang et al. 2021)
JAX-PI             ``merge="jaxpi", trunk_last_activation=False, activation=jnp.tanh``
=================  =========================================================================

Initialisation is that of the branch and trunk modules (``MLP`` uses a truncated Glorot normal,
like DeepXDE's TensorFlow backends; the PI-DeepONet notebooks draw an untruncated one).

Three call layouts, all on the same parameters:

- ``model.apply(params, u, y)``: aligned (Cartesian product), ``u [n_func, *m]`` and
  ``y [n_pts, d]`` give ``[n_func, n_pts, outputs]``; each function and each point is encoded
  once and the dot merge is one ``einsum`` (the JAX-PI merge forms ``[n_func, n_pts, p]``).
- ``method="triplet"``: ``u [n, *m]`` and ``y [n, d]`` give ``[n, outputs]`` (pair ``i`` is
  ``(u_i, y_i)``).
- ``method="point"``: one function ``u [*m]`` and one point ``y [d]`` give ``[outputs]``; a pure
  function of ``y``, so ``jax.grad``/``jax.jacfwd`` in ``y`` give the derivatives that a
  physics-informed DeepONet puts in its residual.

>>> import jax, jax.numpy as jnp
>>> from sciml.models import MLP
>>> from sciml.models._deeponet import DeepONet
>>> relu_mlp = lambda: MLP(40, 1, out=40, activation=jax.nn.relu)  # [.., 40, 40]
>>> model = DeepONet(relu_mlp(), relu_mlp(), basis=40)
>>> u, y = jnp.ones((8, 100)), jnp.linspace(0.0, 1.0, 50)[:, None]
>>> params = jax.jit(model.init)(jax.random.key(0), u, y)
>>> model.apply(params, u, y).shape
(8, 50, 1)
>>> model.apply(params, u, y[:8], method="triplet").shape
(8, 1)
>>> dG_dy = jax.jit(jax.grad(lambda z: model.apply(params, u[0], z, method="point")[0]))
>>> dG_dy(y[0]).shape
(1,)
"""

from collections.abc import Callable
from typing import Literal

import flax.linen as nn
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from sciml.models._dense import glorot

Activation = Callable[[jax.Array], jax.Array]

# the convolutions of the reference Darcy branch (Lu et al. 2022)
KERNEL = 5
STRIDE = 2


class DeepONet(nn.Module):
    """``G(u)(y)``; see the module docstring for the equations, variants and layouts.

    Attributes:
        branch: maps ``[n, *m] -> [n, basis * outputs]`` (``[n, basis]`` for ``merge="jaxpi"``);
            with ``stacked`` it maps ``[n, *m] -> [n, 1]`` and is replicated.
        trunk: maps ``[n, d] -> [n, basis * outputs]`` (``[n, basis]`` for ``merge="jaxpi"``).
        basis: the number :math:`p` of basis functions per output.
        outputs: the number of output channels.
        stacked: one independent branch net per basis coefficient.
        merge: ``"dot"`` or ``"jaxpi"``.
        bias: the trainable output bias (:math:`b_0`, or the JAX-PI dense layer's bias).
        trunk_last_activation: apply ``activation`` to the trunk output.
        activation: the trunk's last activation and the JAX-PI merge's :math:`\\sigma`.
    """

    branch: nn.Module
    trunk: nn.Module
    basis: int
    outputs: int = 1
    stacked: bool = False
    merge: Literal["dot", "jaxpi"] = "dot"
    bias: bool = True
    trunk_last_activation: bool = True
    activation: Activation = jax.nn.relu

    def setup(self):
        if self.merge not in ("dot", "jaxpi"):
            raise ValueError(f"DeepONet merge must be 'dot' or 'jaxpi', got {self.merge!r}")
        if self.basis < 1 or self.outputs < 1:
            raise ValueError(
                f"DeepONet needs basis >= 1 and outputs >= 1, got {self.basis}, {self.outputs}"
            )
        if self.merge == "jaxpi":
            self.head = nn.Dense(self.outputs, use_bias=self.bias, kernel_init=glorot)
        elif self.bias:
            self.b0 = self.param("bias", nn.initializers.zeros, (self.outputs,))

    @property
    def width(self) -> int:
        """Features of the branch and trunk outputs."""
        return self.basis * self.outputs if self.merge == "dot" else self.basis

    def encode_branch(self, u: Float[Array, "n ..."]) -> Float[Array, "n width"]:
        """Branch coefficients ``b(u)`` for a batch of input functions."""
        if self.stacked:
            # one copy of the branch per coefficient: parameters gain a leading axis of `width`
            replicated = nn.vmap(
                lambda net, v: net(v),
                variable_axes={"params": 0},
                split_rngs={"params": True},
                in_axes=None,
                out_axes=0,
                axis_size=self.width,
            )
            b = replicated(self.branch, u)  # [width, n, 1]
            if b.shape[-1] != 1:
                raise ValueError(
                    f"a stacked DeepONet needs a branch net with 1 output, got {b.shape[-1]}"
                )
            b = jnp.moveaxis(b[..., 0], 0, -1)
        else:
            b = self.branch(u)
        if b.shape[-1] != self.width:
            raise ValueError(f"DeepONet branch must give {self.width} features, got {b.shape[-1]}")
        return b

    def encode_trunk(self, y: Float[Array, "n d"]) -> Float[Array, "n width"]:
        """Trunk basis values ``t(y)`` for a batch of query points."""
        if y.ndim != 2:
            raise ValueError(f"DeepONet query points must be [n, d], got shape {y.shape}")
        t = self.trunk(y)
        if t.shape[-1] != self.width:
            raise ValueError(f"DeepONet trunk must give {self.width} features, got {t.shape[-1]}")
        return self.activation(t) if self.trunk_last_activation else t

    def _add_bias(self, g: jax.Array) -> jax.Array:
        if not self.bias:
            return g
        return g + self.b0.reshape((1,) * (g.ndim - 1) + (-1,))

    def __call__(
        self, u: Float[Array, "n_func ..."], y: Float[Array, "n_pts d"]
    ) -> Float[Array, "n_func n_pts outputs"]:
        """Aligned layout: every function at every query point."""
        b, t = self.encode_branch(u), self.encode_trunk(y)
        if self.merge == "jaxpi":
            return self.head(self.activation(b[:, None, :] * t[None, :, :]))
        b = b.reshape(b.shape[0], self.outputs, self.basis)
        t = t.reshape(t.shape[0], self.outputs, self.basis)
        return self._add_bias(jnp.einsum("bok,nok->bno", b, t))

    def triplet(
        self, u: Float[Array, "n ..."], y: Float[Array, "n d"]
    ) -> Float[Array, "n outputs"]:
        """Triplet layout: function ``u[i]`` at point ``y[i]``."""
        if y.ndim != 2 or u.shape[0] != y.shape[0]:
            raise ValueError(
                f"DeepONet triplets need u [n, *m] and y [n, d] with the same n, got "
                f"{u.shape} and {y.shape}"
            )
        b, t = self.encode_branch(u), self.encode_trunk(y)
        if self.merge == "jaxpi":
            return self.head(self.activation(b * t))
        b = b.reshape(b.shape[0], self.outputs, self.basis)
        t = t.reshape(t.shape[0], self.outputs, self.basis)
        return self._add_bias(jnp.einsum("nok,nok->no", b, t))

    def point(self, u: Float[Array, "*m"], y: Float[Array, " d"]) -> Float[Array, " outputs"]:
        """One function at one point (differentiate this in ``y``)."""
        if y.ndim != 1:
            raise ValueError(f"DeepONet.point takes one query point [d], got shape {y.shape}")
        return self.triplet(u[None], y[None])[0]


class CNNBranch(nn.Module):
    r"""Convolutional branch net for input functions on a 2-D grid (Lu et al. 2022, Darcy).

    ``[*batch, h, w, c] -> [*batch, features]``: two 5x5 stride-2 ``VALID`` convolutions
    (``channels`` = 64, 128), flatten, a dense layer of ``hidden`` = 128 units, then a linear
    dense layer to ``features``; ``activation`` (ReLU) after every layer but the last. Kernels are
    Glorot uniform and biases zero, Keras's defaults, which the reference branch used. On the
    29x29 Darcy grid the feature maps are 13x13 and 5x5, and the grid must be at least 13x13.
    """

    features: int
    channels: tuple[int, ...] = (64, 128)
    hidden: int = 128
    activation: Activation = jax.nn.relu

    @nn.compact
    def __call__(self, u: Float[Array, "*batch h w c"]) -> Float[Array, "*batch features"]:
        if u.ndim < 3:
            raise ValueError(f"CNNBranch takes channel-last grids [..., h, w, c], got {u.shape}")
        init = nn.initializers.glorot_uniform()
        h = u
        for channels in self.channels:
            if min(h.shape[-3:-1]) < KERNEL:
                raise ValueError(
                    f"CNNBranch: grid {u.shape[-3]}x{u.shape[-2]} is too small for "
                    f"{len(self.channels)} {KERNEL}x{KERNEL} stride-{STRIDE} convolutions"
                )
            conv = nn.Conv(
                channels, (KERNEL, KERNEL), strides=STRIDE, padding="VALID", kernel_init=init
            )
            h = self.activation(conv(h))
        h = h.reshape((*h.shape[:-3], -1))
        h = self.activation(nn.Dense(self.hidden, kernel_init=init)(h))
        return nn.Dense(self.features, kernel_init=init)(h)
