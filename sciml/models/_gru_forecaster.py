"""A graph-free baseline for traffic forecasting: one GRU (hidden 64) shared by all sensors reads
each sensor's 12 input steps; a linear layer maps its last state to the 12-step forecast."""

import flax.linen as nn
import jax


class GRUForecaster(nn.Module):
    """``(x [B, N, T, F], graphs) -> [B, N, horizon]``; ``graphs`` is ignored."""

    horizon: int = 12
    hidden: int = 64

    @nn.compact
    def __call__(self, x: jax.Array, graphs=None, *, train: bool = False) -> jax.Array:
        b, n, t, f = x.shape
        final = nn.RNN(nn.GRUCell(self.hidden), return_carry=True)(x.reshape(b * n, t, f))[0]
        return nn.Dense(self.horizon)(final).reshape(b, n, self.horizon)
