"""The graph-forecasting experiment config: data, model, optimiser; every default stated.

Published protocols (``seed-models.md`` section 5.6):

==============  ==============================  =============================================
                STGODE                          GRAM-ODE
==============  ==============================  =============================================
epochs / batch  200 / 16                        200 / 64
optimiser       AdamW 2e-3, weight decay 0.01   AdamW 2e-4, weight decay 0.01
schedule        ×0.5 every 50 epochs            ×0.13 at epochs 15, 50, 105, 145
loss            smooth L1 on normalised flow    smooth L1 on flow (vehicles per 5 min)
selection       best validation RMSE            early stopping on validation MAPE
==============  ==============================  =============================================

Here one selection rule serves every model: the parameters of the epoch with the lowest
validation MAE are tested. ``learning_rate = 0`` and ``loss = "auto"`` take each model's
published value; ``schedule = "published"`` scales the milestones to ``epochs`` (a 200-epoch
milestone at 50 becomes ``epochs × 50 / 200``); ``"truncated"`` (the default) keeps them at
their published epochs, so a shorter run follows the first ``epochs`` of the published protocol
(no decay before epoch 15 for GRAM-ODE, 50 for STGODE); ``"constant"`` never decays. The model
sizes default to the published ones; ``channels`` shrinks the TCN widths for CPU runs.
"""

from dataclasses import dataclass

from sciml.pinn._config import _choice, _positive

MODELS = ("gram_ode", "stgode", "gru", "historical_average")
LOSSES = ("auto", "flow", "normalised")
SCHEDULES = ("published", "truncated", "constant")
SOLVERS = ("euler", "tsit5")
PUBLISHED = {
    # learning rate, loss space, milestones in a 200-epoch run, decay factor
    "gram_ode": (2e-4, "flow", (15, 50, 105, 145), 0.13),
    "stgode": (2e-3, "normalised", (50, 100, 150), 0.5),
    "gru": (1e-3, "normalised", (), 1.0),
    "historical_average": (0.0, "flow", (), 1.0),
}


@dataclass(frozen=True)
class GraphConfig:
    """One forecasting run (see the module docstring)."""

    model: str = "gram_ode"
    data: str = ""  # the PEMS-layout .npz
    distances: str = ""  # from,to,cost CSV; "": the .npz's name with .csv
    ids: str = ""  # sensor ids, one per line, when the CSV names ids (PEMS03)
    seed: int = 0
    epochs: int = 20
    batch: int = 16
    learning_rate: float = 0.0  # 0: the model's published rate
    weight_decay: float = 0.01
    schedule: str = "truncated"
    loss: str = "auto"
    channels: tuple[int, ...] = (64, 32, 64)  # TCN widths; the last is the ODE width
    branches: int = 3  # per graph
    local: bool = True  # GRAM-ODE components (ablations)
    edges: bool = True
    shared: bool = True
    divergence: bool = True
    official_tcn: bool = False  # reproduce the official TCN's precedence slip
    solver: str = "euler"
    dtw_band: int = 0  # Sakoe-Chiba band of the semantic graph's DTW; 0: exact DTW
    max_windows: int = 0  # > 0: train on this many windows spread over the training split
    start_weekday: int = 0  # weekday of the series' first step (0 = Monday): historical average
    max_seconds: float = 0.0  # > 0: stop after the epoch in which this much training time passed

    def __post_init__(self):
        _choice("model", self.model, MODELS)
        _choice("loss", self.loss, LOSSES)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("solver", self.solver, SOLVERS)
        for name in ("epochs", "batch", "branches"):
            _positive(name, getattr(self, name))
        for name in ("learning_rate", "weight_decay", "dtw_band", "max_windows", "max_seconds"):
            _positive(name, getattr(self, name), allow_zero=True)
        if not self.channels:
            raise ValueError("channels must name at least one TCN width")
        for width in self.channels:
            _positive("channels", width)
        if not 0 <= self.start_weekday <= 6:
            raise ValueError(f"start_weekday must be 0 (Monday) to 6, got {self.start_weekday}")
        if self.model == "gram_ode" and self.channels[-1] > 1 and self.channels[-1] % 2:
            # the local compression splits 4C value channels over C/2 heads
            raise ValueError(
                f"gram_ode needs an even ODE width (channels[-1]), got {self.channels}"
            )

    @property
    def rate(self) -> float:
        return self.learning_rate or PUBLISHED[self.model][0]

    @property
    def loss_space(self) -> str:
        return PUBLISHED[self.model][1] if self.loss == "auto" else self.loss
