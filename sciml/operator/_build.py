"""Models, normalisers and the prediction function of an operator-learning run.

Every model is wrapped as ``predict(params, inputs[B, *A, C]) -> outputs[B, *B, C_out]`` in
normalised units; :class:`Normalizer` maps to and from them. Grid models (FNO, MgNO, U-Net) need
inputs and outputs on one grid; DeepONet evaluates its trunk at the output grid's nodes.
"""

import dataclasses
from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from pdes.datasets import OperatorData
from sciml.models import FNO, MLP, CNNBranch, DeepONet, MgNO, UNet, darcy_iteration
from sciml.operator._config import OperatorConfig

ACTIVATIONS = {"relu": jax.nn.relu, "tanh": jnp.tanh, "gelu": jax.nn.gelu}
NORMALIZER_EPS = 1e-5  # FNO's UnitGaussianNormalizer epsilon: keeps constant nodes finite


@dataclasses.dataclass(frozen=True)
class Normalizer:
    """Pointwise Gaussian normaliser :math:`(x - \\mu(x))/(\\sigma(x) + \\epsilon)`, fitted on
    the training split only (FNO's ``UnitGaussianNormalizer``)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, enabled: bool = True) -> "Normalizer":
        shape = (1, *x.shape[1:])  # a leading batch axis: no implicit rank promotion
        if not enabled:
            return cls(np.zeros(shape, np.float32), np.ones(shape, np.float32))
        mean, std = x.mean(0, keepdims=True), x.std(0, keepdims=True) + NORMALIZER_EPS
        return cls(mean.astype(np.float32), std.astype(np.float32))

    def encode(self, x):
        return (x - self.mean) / self.std

    def decode(self, y):
        return y * self.std + self.mean


def _grid_shape(data: OperatorData) -> tuple[int, ...]:
    return data.inputs.shape[1:-1]


def _mgno_padding(config: OperatorConfig, data: OperatorData) -> str:
    if config.mgno.padding != "auto":
        return config.mgno.padding
    # a 1-D time series is FNO's periodic Burgers; Darcy and the rest carry Dirichlet data
    return "periodic" if data.layout == "time-series" else "zeros"


def build_model(config: OperatorConfig, data: OperatorData) -> nn.Module:
    """The Linen module named by ``config.model``, sized for ``data``; a bad fit is an error."""
    channels_in, channels_out = data.inputs.shape[-1], data.outputs.shape[-1]
    space = _grid_shape(data)
    dims = len(space)
    if config.model != "deeponet" and not data.same_grid:
        raise ValueError(
            f"{config.model} maps a field to a field on the same grid; {data.path} has inputs "
            f"on {list(space)} and outputs on {list(data.outputs.shape[1:-1])} (use deeponet)"
        )
    if config.model == "fno":
        s = config.fno
        # FNO itself names the smallest grid its modes fit (raised by init_params)
        modes = (s.modes,) * dims
        return FNO(width=s.width, modes=modes, layers=s.layers, out=channels_out, padding=s.padding)
    if config.model == "mgno":
        s = config.mgno
        coarsest = space
        for _ in range(s.levels - 1):
            coarsest = tuple(-(-n // 2) for n in coarsest)
        if min(coarsest) < 2:
            raise ValueError(
                f"mgno with {s.levels} levels needs at least {2 ** (s.levels - 1) + 1} cells per "
                f"axis, got {list(space)}; lower mgno.levels"
            )
        schedule = (*darcy_iteration(s.levels)[:-1], (s.coarsest_smoothing, 0))
        return MgNO(
            layers=s.layers,
            channels=s.channels,
            input_channels=channels_in,
            out=channels_out,
            levels=s.levels,
            num_iteration=schedule,
            padding=_mgno_padding(config, data),
            spatial_dims=dims,
        )
    if config.model == "unet":
        return UNet(
            features=config.unet.features, levels=config.unet.levels, out=channels_out, dims=dims
        )
    s = config.deeponet
    activation = ACTIVATIONS[s.activation]
    width = s.basis * channels_out
    if s.branch == "cnn":
        if dims != 2:
            raise ValueError(f"the cnn branch takes 2-D inputs, {data.path} has {dims}-D inputs")
        branch = CNNBranch(features=width, activation=activation)
    else:
        branch = MLP(width=s.branch_width, depth=s.branch_depth, out=width, activation=activation)
    trunk = MLP(width=s.trunk_width, depth=s.trunk_depth, out=width, activation=activation)
    return DeepONet(
        branch=branch, trunk=trunk, basis=s.basis, outputs=channels_out, activation=activation
    )


Predict = Callable[[dict, jax.Array], jax.Array]


def make_predict(model: nn.Module, config: OperatorConfig, data: OperatorData) -> Predict:
    """``predict(params, inputs[B, *A, C]) -> outputs[B, *B, C_out]`` (normalised units)."""
    if config.model != "deeponet":
        return model.apply
    points = jnp.asarray(data.output_grid.reshape(-1, data.output_grid.shape[-1]))
    out_shape = data.outputs.shape[1:]

    def predict(params, inputs):
        branch_in = inputs if config.deeponet.branch == "cnn" else inputs.reshape(len(inputs), -1)
        return model.apply(params, branch_in, points).reshape((len(inputs), *out_shape))

    return predict


def make_predict_at(model: nn.Module, config: OperatorConfig) -> Callable:
    """DeepONet triplets: ``predict_at(params, inputs[B, *A, C], points[B, k, d]) -> [B, k, C]``."""

    def predict_at(params, inputs, points):
        b, k, d = points.shape
        branch_in = inputs if config.deeponet.branch == "cnn" else inputs.reshape(b, -1)
        repeated = jnp.repeat(branch_in, k, axis=0)
        out = model.apply(params, repeated, points.reshape(b * k, d), method=DeepONet.triplet)
        return out.reshape(b, k, -1)

    return predict_at


def init_params(model: nn.Module, config: OperatorConfig, data: OperatorData, key) -> dict:
    predict = make_predict(model, config, data)
    sample = jnp.asarray(data.inputs[:1])
    if config.model == "deeponet":
        points = jnp.asarray(data.output_grid.reshape(-1, data.output_grid.shape[-1]))[:1]
        branch_in = sample if config.deeponet.branch == "cnn" else sample.reshape(1, -1)
        params = jax.jit(model.init)(key, branch_in, points)
    else:
        params = jax.jit(model.init)(key, sample)  # eager init of conv nets takes seconds
    jax.eval_shape(predict, params, sample)  # shape errors surface here, before training
    return params
