"""Graph-ODE traffic forecasting: GRAM-ODE, STGODE and simple baselines trained on PEMS-layout
data with the shared training core, scored by masked errors at 15, 30 and 60 minutes."""

from sciml.graph._config import MODELS, GraphConfig
from sciml.graph._data import TrafficTask, gather, historical_average, prepare_task
from sciml.graph._workflow import build_model, train_and_evaluate

__all__ = [
    "MODELS",
    "GraphConfig",
    "TrafficTask",
    "build_model",
    "gather",
    "historical_average",
    "prepare_task",
    "train_and_evaluate",
]
