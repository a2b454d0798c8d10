"""Flax Linen models, PDE-agnostic: PINN networks, embeddings and output transforms; operator
models (FNO, MgNO, U-Net, DeepONet and POD-DeepONet); emulators (SineNet, PDEArena's modern
U-Net); graph-ODE forecasters (GRAM-ODE, STGODE) and a GRU baseline."""

from sciml.models._constraints import hard_boundary, hard_initial
from sciml.models._deeponet import CNNBranch, DeepONet
from sciml.models._dense import FactorizedDense, dense, factorized
from sciml.models._embeddings import FourierFeatures, PeriodicEmbedding
from sciml.models._field import FieldModel, count_params
from sciml.models._fno import FNO, SpectralConv
from sciml.models._gram_ode import GRAMODE, MultiODEBlock, NodeAttention
from sciml.models._graph_ops import adjacency_graph, propagate, solve_ode
from sciml.models._grid import grid_coordinates
from sciml.models._gru_forecaster import GRUForecaster
from sciml.models._mgno import MgConv, MgNO, darcy_iteration
from sciml.models._modern_unet import ModernUNet
from sciml.models._networks import MLP, ModifiedMLP, PirateBlock, PirateNet
from sciml.models._pod import PODDeepONet, pod_basis
from sciml.models._sinenet import SineNet
from sciml.models._stgode import STGODE, STGODEBlock
from sciml.models._tcn import TemporalConvNet
from sciml.models._unet import UNet

__all__ = [
    "FNO",
    "GRAMODE",
    "MLP",
    "STGODE",
    "CNNBranch",
    "DeepONet",
    "FactorizedDense",
    "FieldModel",
    "FourierFeatures",
    "GRUForecaster",
    "MgConv",
    "MgNO",
    "ModernUNet",
    "ModifiedMLP",
    "MultiODEBlock",
    "NodeAttention",
    "PODDeepONet",
    "PeriodicEmbedding",
    "PirateBlock",
    "PirateNet",
    "STGODEBlock",
    "SineNet",
    "SpectralConv",
    "TemporalConvNet",
    "UNet",
    "adjacency_graph",
    "count_params",
    "darcy_iteration",
    "dense",
    "factorized",
    "grid_coordinates",
    "hard_boundary",
    "hard_initial",
    "pod_basis",
    "propagate",
    "solve_ode",
]
