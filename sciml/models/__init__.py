"""Flax Linen models, PDE-agnostic: PINN networks, embeddings and output transforms; operator
models (FNO, MgNO, U-Net, DeepONet and POD-DeepONet); emulators (SineNet, PDEArena's modern
U-Net)."""

from sciml.models._constraints import hard_boundary, hard_initial
from sciml.models._deeponet import CNNBranch, DeepONet
from sciml.models._dense import FactorizedDense, dense, factorized
from sciml.models._embeddings import FourierFeatures, PeriodicEmbedding
from sciml.models._field import FieldModel, count_params
from sciml.models._fno import FNO, SpectralConv
from sciml.models._grid import grid_coordinates
from sciml.models._mgno import MgConv, MgNO, darcy_iteration
from sciml.models._modern_unet import ModernUNet
from sciml.models._networks import MLP, ModifiedMLP, PirateBlock, PirateNet
from sciml.models._pod import PODDeepONet, pod_basis
from sciml.models._sinenet import SineNet
from sciml.models._unet import UNet

__all__ = [
    "FNO",
    "MLP",
    "CNNBranch",
    "DeepONet",
    "FactorizedDense",
    "FieldModel",
    "FourierFeatures",
    "MgConv",
    "MgNO",
    "ModernUNet",
    "ModifiedMLP",
    "PODDeepONet",
    "PeriodicEmbedding",
    "PirateBlock",
    "PirateNet",
    "SineNet",
    "SpectralConv",
    "UNet",
    "count_params",
    "darcy_iteration",
    "dense",
    "factorized",
    "grid_coordinates",
    "hard_boundary",
    "hard_initial",
    "pod_basis",
]
