"""The operator-learning experiment config: data, model, optimiser; every default stated.

One config trains any of the four operator models on any data set that
:func:`pdes.datasets.load_operator` reads. The model sections hold each architecture's own
hyper-parameters; only the section named by ``model`` is used. Defaults are the papers'
(FNO: width 32, 12 modes, 4 layers; MgNO: the Darcy configuration of He et al. 2024, 4 layers of
24 channels, 6 levels; U-Net: 32 base features, 4 levels; DeepONet: Lu et al.'s branch/trunk
MLPs), and the optimiser is the same for every model, so a table compares architectures at one
budget: Adam(W) with a one-cycle schedule stepped per optimiser step.
"""

from dataclasses import dataclass, field

from sciml.pinn._config import _choice, _positive  # one set of config checks

MODELS = ("fno", "mgno", "unet", "deeponet")
LOSSES = ("l2", "h1", "mse")
SCHEDULES = ("onecycle", "cosine", "step", "constant")
PADDINGS = ("auto", "zeros", "periodic", "reflect")


@dataclass(frozen=True)
class FNOSettings:
    """Li et al. (2021): lifting, ``layers`` Fourier layers, projection through 128 units."""

    width: int = 32
    modes: int = 12  # per spatial axis
    layers: int = 4
    padding: int = 0  # cells of zero padding (the FNO Darcy code's later versions use 9)


@dataclass(frozen=True)
class MgNOSettings:
    """He et al. (2024), ``MgNO_DC``: every layer's linear map is one multigrid V-cycle."""

    channels: int = 24
    layers: int = 4
    levels: int = 6
    coarsest_smoothing: int = 2  # pre-smoothing steps on the coarsest level (1 on the others)
    padding: str = "auto"  # zeros (Dirichlet data) | periodic | reflect; auto: from the data

    def __post_init__(self):
        _choice("mgno.padding", self.padding, PADDINGS)


@dataclass(frozen=True)
class UNetSettings:
    """Ronneberger et al. (2015): two convolutions per level, channels doubling per level."""

    features: int = 32
    levels: int = 4


@dataclass(frozen=True)
class DeepONetSettings:
    """Lu et al. (2021): ``G(u)(y) = sum_k b_k(u) t_k(y) + b_0`` (unstacked)."""

    branch: str = "mlp"  # mlp | cnn (Lu et al. 2022's Darcy branch)
    branch_width: int = 40
    branch_depth: int = 1  # hidden layers of the MLP branch
    trunk_width: int = 40
    trunk_depth: int = 1  # hidden layers of the trunk
    basis: int = 40
    activation: str = "relu"  # relu | tanh | gelu
    points_per_sample: int = 0  # > 0: fixed random query points per training function (triplets)
    label_points: str = "random"  # random | boundary (only where the problem fixes s: data-free)
    residual_points: int = 100  # collocation points per function when physics_weight > 0

    def __post_init__(self):
        _choice("deeponet.branch", self.branch, ("mlp", "cnn"))
        _choice("deeponet.activation", self.activation, ("relu", "tanh", "gelu"))
        _choice("deeponet.label_points", self.label_points, ("random", "boundary"))
        _positive("deeponet.points_per_sample", self.points_per_sample, allow_zero=True)
        _positive("deeponet.residual_points", self.residual_points)


@dataclass(frozen=True)
class OperatorConfig:
    """One operator-learning run (see the module docstring)."""

    model: str = "fno"
    data: str = ""
    train: int = 1000
    test: int = 100
    seed: int = 0
    epochs: int = 100
    batch: int = 20
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    schedule: str = "onecycle"
    loss: str = "l2"  # relative L2 | relative H1 | plain MSE (DeepONet's antiderivative metric)
    normalize: bool = True  # pointwise Gaussian normalisers fitted on the training split
    physics_weight: float = 0.0  # > 0: the PDE's residual (grid models: PINO; DeepONet: PI)
    eval_every: int = 10  # epochs
    fno: FNOSettings = field(default_factory=FNOSettings)
    mgno: MgNOSettings = field(default_factory=MgNOSettings)
    unet: UNetSettings = field(default_factory=UNetSettings)
    deeponet: DeepONetSettings = field(default_factory=DeepONetSettings)

    def __post_init__(self):
        _choice("model", self.model, MODELS)
        _choice("loss", self.loss, LOSSES)
        _choice("schedule", self.schedule, SCHEDULES)
        for name in ("train", "test", "epochs", "batch", "learning_rate", "eval_every"):
            _positive(name, getattr(self, name))
        _positive("weight_decay", self.weight_decay, allow_zero=True)
        _positive("physics_weight", self.physics_weight, allow_zero=True)
        if self.batch > self.train:
            raise ValueError(f"batch={self.batch} exceeds the {self.train} training samples")
