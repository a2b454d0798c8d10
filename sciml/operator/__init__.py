"""Operator learning: FNO, MgNO, U-Net and DeepONet on data-set files, one config, one function.

>>> from sciml.operator import OperatorConfig
>>> OperatorConfig(model="mgno", data="darcy.h5").mgno.channels
24
"""

from sciml.operator._build import Normalizer, build_model, make_predict
from sciml.operator._config import (
    DeepONetSettings,
    FNOSettings,
    MgNOSettings,
    OperatorConfig,
    UNetSettings,
)
from sciml.operator._loss import darcy_residual, mse, relative_h1, relative_l2
from sciml.operator._workflow import best_by_training_loss, train_and_evaluate

__all__ = [
    "DeepONetSettings",
    "FNOSettings",
    "MgNOSettings",
    "Normalizer",
    "OperatorConfig",
    "UNetSettings",
    "best_by_training_loss",
    "build_model",
    "darcy_residual",
    "make_predict",
    "mse",
    "relative_h1",
    "relative_l2",
    "train_and_evaluate",
]
