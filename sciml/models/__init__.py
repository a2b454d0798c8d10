"""Flax Linen models, PDE-agnostic: PINN networks, embeddings and output transforms."""

from sciml.models._constraints import hard_boundary, hard_initial
from sciml.models._dense import FactorizedDense, dense, factorized
from sciml.models._embeddings import FourierFeatures, PeriodicEmbedding
from sciml.models._field import FieldModel, count_params
from sciml.models._networks import MLP, ModifiedMLP, PirateBlock, PirateNet

__all__ = [
    "MLP",
    "FactorizedDense",
    "FieldModel",
    "FourierFeatures",
    "ModifiedMLP",
    "PeriodicEmbedding",
    "PirateBlock",
    "PirateNet",
    "count_params",
    "dense",
    "factorized",
    "hard_boundary",
    "hard_initial",
]
