"""Physics-informed neural networks: configs, loss terms, weighting tricks and the workflow."""

from sciml.pinn._build import build_model, learning_rate, optimizer
from sciml.pinn._config import (
    CausalConfig,
    ModelConfig,
    OptimConfig,
    PINNConfig,
    SamplingConfig,
    WeightingConfig,
)
from sciml.pinn._loss import causal_loss, make_loss, make_term_losses
from sciml.pinn._terms import Term, make_terms
from sciml.pinn._workflow import train_and_evaluate

__all__ = [
    "CausalConfig",
    "ModelConfig",
    "OptimConfig",
    "PINNConfig",
    "SamplingConfig",
    "Term",
    "WeightingConfig",
    "build_model",
    "causal_loss",
    "learning_rate",
    "make_loss",
    "make_term_losses",
    "make_terms",
    "optimizer",
    "train_and_evaluate",
]
