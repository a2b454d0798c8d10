"""The emulation experiment config: data, history, model, optimiser; every default stated.

One config trains any of four field-to-field models as an autoregressive emulator of the
trajectories that :func:`pdes.datasets.load_trajectories` reads: ``history`` frames packed into
channels in, the next ``future`` frames out. The protocol is SineNet's (Zhang, Helwig et al.,
ICLR 2024; ``seed-models.md`` section 4.4-4.6): AdamW, learning rate 2e-4, weight decay 1e-5, a
linear warm-up of 5 epochs then cosine annealing to 1e-7, batch 32, 50 epochs, per-channel
normalisation from the training split, scaled-L2 loss.

The model sections default to **CPU sizes**. The default SineNet (1,094,337 parameters on one
field) trained at 0.9 steps/s at batch 32 on 32 x 32 grids with two busy CPU cores, so the
defaults (32 trajectories of 21 frames: 17 steps per epoch, 50 epochs) take about 15 minutes:

================  ==============================================  ================================
model             default here                                    published
================  ==============================================  ================================
``sinenet``       SineNet-4, hidden 16, mult 1.425, 4 levels      ``sinenet8-dual``: 8 waves,
                                                                  hidden 64, mult 1.425, 4 levels
                                                                  (35,490,219 parameters on INS)
``modern_unet``   hidden 16, ch_mults (1, 2, 2, 4), 1 block       PDEArena ``Unetmod-64``: hidden
                                                                  64, 2 blocks (144,263,683 on INS)
``fno``           width 16, 8 modes, 4 layers                     FNO-2D on Navier-Stokes (Li et
                                                                  al. 2021): width 20, 12 modes
``unet``          16 base features, 3 levels                      Ronneberger et al.: 32, 4 levels
================  ==============================================  ================================

``padding="auto"`` decides from the data's attributes (:func:`sciml.emulate.boundary`): circular
padding on periodic data (the ``navier_stokes`` and ``shallow_water`` generators), zeros
otherwise. It applies to the convolutions of ``sinenet`` and ``modern_unet``; FNO's Fourier
layers are periodic by construction (``fno.padding`` cells of zero padding for bounded data),
and ``unet`` pads with zeros only.
"""

from dataclasses import dataclass, field

from sciml.operator._config import FNOSettings, UNetSettings
from sciml.pinn._config import _choice, _positive  # one set of config checks

MODELS = ("sinenet", "modern_unet", "fno", "unet")
SCHEDULES = ("warmup_cosine", "constant")
PADDINGS = ("auto", "zeros", "circular")


@dataclass(frozen=True)
class SineNetSettings:
    """SineNet-K (:class:`sciml.models.SineNet`): ``waves`` sequential U-Nets of ``levels``
    downsamplings, widths ``int(hidden * mult**k)``. Published ``sinenet8-dual``: waves 8,
    hidden 64, mult 1.425, levels 4. The grid must be divisible by ``2**levels``."""

    waves: int = 4
    hidden: int = 16
    mult: float = 1.425
    levels: int = 4

    def __post_init__(self):
        for name in ("waves", "hidden", "mult", "levels"):
            _positive(f"sinenet.{name}", getattr(self, name))


@dataclass(frozen=True)
class ModernUNetSettings:
    """PDEArena's modern U-Net (:class:`sciml.models.ModernUNet`). Published ``Unetmod-64``:
    hidden 64, ch_mults (1, 2, 2, 4), blocks 2. The grid must be divisible by
    ``2**(len(ch_mults) - 1)``; ``hidden`` by the 8 GroupNorm groups of its head."""

    hidden: int = 16
    ch_mults: tuple[int, ...] = (1, 2, 2, 4)
    blocks: int = 1

    def __post_init__(self):
        _positive("modern_unet.hidden", self.hidden)
        _positive("modern_unet.blocks", self.blocks)
        if self.hidden % 8:
            raise ValueError(f"modern_unet.hidden must be a multiple of 8, got {self.hidden}")
        if not self.ch_mults:
            raise ValueError("modern_unet.ch_mults must name at least one level")
        for mult in self.ch_mults:
            _positive("modern_unet.ch_mults", mult)


@dataclass(frozen=True)
class EmulatorConfig:
    """One emulation run (see the module docstring)."""

    model: str = "sinenet"
    data: str = ""
    train: int = 32  # trajectories: the first N of the file (e.g. `sciml data generate --n 40`)
    test: int = 8  # trajectories: the last N
    seed: int = 0
    channels: int = 0  # fields per frame; 0: the data's, > 0: must equal the data's
    history: int = 4  # frames in (SineNet on INS: 4)
    future: int = 1  # frames out per model call
    # > 0: the pushforward trick (Brandstetter et al. 2022) with a fixed number of unrolled steps:
    # the model is rolled `unroll` times under stop_gradient, the loss is on the next step only
    unroll: int = 0
    rollout_steps: int = 0  # 0: as many as the test trajectories allow from t0 = 0
    epochs: int = 50
    batch: int = 32
    learning_rate: float = 2e-4
    weight_decay: float = 1e-5
    schedule: str = "warmup_cosine"
    warmup_epochs: int = 5
    min_learning_rate: float = 1e-7  # SineNet's warmup_start_lr and eta_min
    normalize: bool = True  # per-channel mean/std of the training split
    padding: str = "auto"
    eval_every: int = 10  # epochs
    sinenet: SineNetSettings = field(default_factory=SineNetSettings)
    modern_unet: ModernUNetSettings = field(default_factory=ModernUNetSettings)
    fno: FNOSettings = field(default_factory=lambda: FNOSettings(width=16, modes=8))
    unet: UNetSettings = field(default_factory=lambda: UNetSettings(features=16, levels=3))

    def __post_init__(self):
        _choice("model", self.model, MODELS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("padding", self.padding, PADDINGS)
        for name in ("train", "test", "history", "future", "epochs", "batch", "learning_rate"):
            _positive(name, getattr(self, name))
        _positive("eval_every", self.eval_every)
        for name in ("channels", "unroll", "rollout_steps", "warmup_epochs"):
            _positive(name, getattr(self, name), allow_zero=True)
        _positive("weight_decay", self.weight_decay, allow_zero=True)
        _positive("min_learning_rate", self.min_learning_rate, allow_zero=True)
        if self.schedule == "warmup_cosine" and self.warmup_epochs >= self.epochs:
            raise ValueError(
                f"warmup_epochs={self.warmup_epochs} must be smaller than epochs={self.epochs}"
            )
        if self.min_learning_rate > self.learning_rate:
            raise ValueError(
                f"min_learning_rate={self.min_learning_rate} exceeds "
                f"learning_rate={self.learning_rate}"
            )
