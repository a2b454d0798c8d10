"""Autoregressive emulation: SineNet, the modern U-Net, FNO and U-Net on trajectory files,
history frames packed into channels, SineNet's training and rollout protocol.

>>> from sciml.emulate import EmulatorConfig
>>> config = EmulatorConfig(data="ns.h5")
>>> config.model, config.history, config.future, config.learning_rate
('sinenet', 4, 1, 0.0002)
"""

from sciml.emulate._build import (
    ChannelNormalizer,
    boundary,
    build_model,
    make_advance,
    pack,
    unpack,
)
from sciml.emulate._config import EmulatorConfig, ModernUNetSettings, SineNetSettings
from sciml.emulate._metrics import (
    clips,
    one_step_errors,
    pushforward_loss,
    rollout,
    rollout_errors,
    scaled_l2,
)
from sciml.emulate._workflow import train_and_evaluate

__all__ = [
    "ChannelNormalizer",
    "EmulatorConfig",
    "ModernUNetSettings",
    "SineNetSettings",
    "boundary",
    "build_model",
    "clips",
    "make_advance",
    "one_step_errors",
    "pack",
    "pushforward_loss",
    "rollout",
    "rollout_errors",
    "scaled_l2",
    "train_and_evaluate",
    "unpack",
]
