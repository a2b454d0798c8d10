r"""Models, channel normalisation and the history window of an emulation run.

A model maps ``history`` frames packed into channels to the next ``future`` frames:

.. math::

    [u_{s}, \dots, u_{s+h-1}] \mapsto [u_{s+h}, \dots, u_{s+h+f-1}], \qquad
    x[\dots, t C + c] = u_{s+t}[\dots, c],

the packed channel order of PyTorch's ``reshape(B, T * C, H, W)`` (:func:`pack`), so SineNet and
the modern U-Net load published weights unchanged. :func:`make_advance` wraps a model as one
autoregressive step on windows ``[B, h, *space, C]`` in physical units.

**Boundary.** :func:`boundary` reads it from the file: an explicit ``boundary`` attribute
(``"periodic"`` or ``"bounded"``, e.g. set when converting a PDEBench file), else the generator
(``navier_stokes``, ``shallow_water`` and ``burgers`` are periodic), else bounded.
"""

import dataclasses
from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from pdes.datasets import TrajectoryData
from sciml.emulate._config import EmulatorConfig
from sciml.models import FNO, ModernUNet, SineNet, UNet

PERIODIC_GENERATORS = ("navier_stokes", "shallow_water", "burgers")  # periodic pdes.generators
NORMALIZER_EPS = 1e-5  # keeps a constant channel finite (as the operator workflow's normaliser)

Advance = Callable[[Float[Array, "b h *space c"]], Float[Array, "b f *space c"]]
"""One autoregressive step: a history window to the next ``future`` frames."""


@dataclasses.dataclass(frozen=True)
class ChannelNormalizer:
    """Per-channel :math:`(u - \\mu_c)/(\\sigma_c + \\epsilon)`, statistics over every trajectory,
    frame and node of the training split (SineNet's per-channel constants, recomputed)."""

    mean: np.ndarray  # [C]
    std: np.ndarray  # [C]

    @classmethod
    def fit(cls, frames: np.ndarray, enabled: bool = True) -> "ChannelNormalizer":
        channels = frames.shape[-1]
        if not enabled:
            return cls(np.zeros(channels, np.float32), np.ones(channels, np.float32))
        flat = frames.reshape(-1, channels).astype(np.float64)
        return cls(
            flat.mean(0).astype(np.float32), (flat.std(0) + NORMALIZER_EPS).astype(np.float32)
        )

    def _shaped(self, x) -> tuple:
        shape = (1,) * (x.ndim - 1) + (-1,)  # explicit: no implicit rank promotion
        return self.mean.reshape(shape), self.std.reshape(shape)

    def encode(self, x):
        mean, std = self._shaped(x)
        return (x - mean) / std

    def decode(self, y):
        mean, std = self._shaped(y)
        return y * std + mean


def boundary(data: TrajectoryData) -> str:
    """``"periodic"`` or ``"bounded"`` (see the module docstring)."""
    declared = data.attrs.get("boundary")
    if declared is not None:
        if declared not in ("periodic", "bounded"):
            raise ValueError(
                f"{data.path}: attribute boundary must be 'periodic' or 'bounded', got {declared!r}"
            )
        return declared
    return "periodic" if data.attrs.get("generator") in PERIODIC_GENERATORS else "bounded"


def padding(config: EmulatorConfig, data: TrajectoryData) -> str:
    """What the model does at the domain's edge, as recorded in ``result.json``."""
    if config.model == "fno":
        cells = config.fno.padding
        return "periodic (Fourier layers)" if cells == 0 else f"zeros ({cells} cells)"
    if config.model == "unet":
        if config.padding == "circular":
            raise ValueError("unet pads with zeros only; use padding=zeros or auto, or sinenet")
        return "zeros"
    if config.padding != "auto":
        return config.padding
    return "circular" if boundary(data) == "periodic" else "zeros"


def pack(window: Float[Array, "b t *space c"]) -> Float[Array, "b *space tc"]:
    """Frames into channels, channel ``t * C + c``."""
    b, t, *space, c = window.shape
    return jnp.moveaxis(window, 1, -2).reshape(b, *space, t * c)


def unpack(x: Float[Array, "b *space tc"], frames: int) -> Float[Array, "b t *space c"]:
    """The inverse of :func:`pack` for ``frames`` frames."""
    b, *space, tc = x.shape
    return jnp.moveaxis(x.reshape(b, *space, frames, tc // frames), -2, 1)


def _divisible(name: str, space: tuple[int, ...], levels: int, knob: str) -> None:
    if any(n % 2**levels for n in space):
        raise ValueError(
            f"{name} with {levels} downsamplings needs a grid divisible by {2**levels}, the data "
            f"has {list(space)}; lower {knob}"
        )


def channels(config: EmulatorConfig, data: TrajectoryData) -> int:
    """The data's fields per frame, checked against ``config.channels`` when that is set."""
    found = data.frames.shape[-1]
    if config.channels and config.channels != found:
        raise ValueError(
            f"channels={config.channels} but {data.path} holds {found} channel(s) per frame"
        )
    return found


def build_model(config: EmulatorConfig, data: TrajectoryData) -> nn.Module:
    """The Linen module named by ``config.model``, sized for ``data``; a bad fit is an error."""
    c = channels(config, data)
    out = config.future * c
    space = tuple(data.frames.shape[2:-1])
    if config.model in ("sinenet", "modern_unet") and len(space) != 2:
        raise ValueError(f"{config.model} takes 2-D fields, {data.path} has {len(space)}-D ones")
    pad = padding(config, data)
    if config.model == "sinenet":
        s = config.sinenet
        _divisible("sinenet", space, s.levels, "sinenet.levels")
        return SineNet(
            out=out, waves=s.waves, hidden=s.hidden, mult=s.mult, levels=s.levels, padding=pad
        )
    if config.model == "modern_unet":
        s = config.modern_unet
        _divisible("modern_unet", space, len(s.ch_mults) - 1, "the modern_unet.ch_mults levels")
        return ModernUNet(
            out=out, hidden=s.hidden, ch_mults=s.ch_mults, blocks=s.blocks, padding=pad
        )
    if config.model == "fno":
        s = config.fno
        # FNO names the smallest grid its modes fit itself (raised by init_params)
        return FNO(
            width=s.width,
            modes=(s.modes,) * len(space),
            layers=s.layers,
            out=out,
            padding=s.padding,
        )
    return UNet(features=config.unet.features, levels=config.unet.levels, out=out, dims=len(space))


def make_advance(model: nn.Module, params, norm: ChannelNormalizer, future: int) -> Advance:
    """One step in physical units: normalise the window, apply the model, de-normalise."""

    def advance(window):
        return norm.decode(unpack(model.apply(params, pack(norm.encode(window))), future))

    return advance


def init_params(model: nn.Module, config: EmulatorConfig, frames: np.ndarray, key) -> dict:
    """Parameters for windows of ``frames`` ``[N, T, *space, C]``; shape errors surface here."""
    sample = pack(jnp.asarray(frames[:1, : config.history]))
    return jax.jit(model.init)(key, sample)  # eager init of conv nets takes seconds
