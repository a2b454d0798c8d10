r"""The temporal convolution network of STGODE and GRAM-ODE (Bai et al.'s TCN as their code
builds it): on ``x [B, N, T, C]``, levels i = 0, 1, 2 of causal convolutions along time with
kernel 2 and dilation :math:`2^i` (left padding :math:`2^i`, the code's pad-and-chomp), ReLU and
dropout 0.2, channels (64, 32, 64); a 1 × 1 convolution carries the input past the stack when
its channel count differs, and :math:`\mathrm{ReLU}(\text{stack}(x) + \text{residual}(x))` is
returned. Convolution weights are N(0, 0.01²), biases PyTorch's U(±1/√fan_in).

``official=True`` reproduces a precedence slip of both official codes:
``relu(net(y) + down(y) if down else y)`` returns ``relu(y)`` whenever the input already has
the stack's output width (64), so three of the four TCNs of a branch are a bare ReLU there.
The default is the TCN the papers describe.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def torch_uniform(fan_in: int) -> nn.initializers.Initializer:
    """PyTorch's default Linear/Conv initialiser U(-1/√fan_in, 1/√fan_in)."""
    bound = 1.0 / np.sqrt(fan_in)

    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


class TemporalConvNet(nn.Module):
    channels: Sequence[int] = (64, 32, 64)
    kernel: int = 2
    dropout: float = 0.2
    official: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, *, train: bool = False) -> jax.Array:
        inputs = x.shape[-1]
        if self.official and inputs == self.channels[-1]:
            return nn.relu(x)
        y = x
        for level, width in enumerate(self.channels):
            dilation = 2**level
            fan_in = y.shape[-1] * self.kernel
            y = nn.Conv(
                width,
                (1, self.kernel),
                kernel_dilation=(1, dilation),
                padding=((0, 0), ((self.kernel - 1) * dilation, 0)),  # causal
                kernel_init=nn.initializers.normal(0.01),
                bias_init=torch_uniform(fan_in),
                name=f"level{level}",
            )(y)
            y = nn.Dropout(self.dropout, deterministic=not train)(nn.relu(y))
        residual = x
        if inputs != self.channels[-1]:
            residual = nn.Conv(
                self.channels[-1], (1, 1), kernel_init=nn.initializers.normal(0.01),
                bias_init=torch_uniform(inputs), name="downsample",
            )(x)  # fmt: skip
        return nn.relu(y + residual)
