"""Traffic data for graph-ODE forecasting: the PEMS layout (read, write, split, window,
normalise on the training split), the spatial and DTW-semantic graphs of STGODE and GRAM-ODE,
masked forecast errors, and a cell-transmission traffic simulator on a generated road network
that writes the same layout."""

from pdes.traffic._graphs import (
    daily_profiles,
    dtw_distance,
    dtw_matrix,
    normalised_adjacency,
    semantic_adjacency,
    spatial_adjacency,
)
from pdes.traffic._metrics import HORIZONS, masked_errors
from pdes.traffic._pems import (
    HISTORY,
    HORIZON,
    SPLIT,
    STEP_MINUTES,
    STEPS_PER_DAY,
    Normaliser,
    TrafficData,
    TrafficFormatError,
    check_windows,
    fit_normaliser,
    read_pems,
    split,
    window_starts,
    windows,
    write_pems,
)
from pdes.traffic._simulator import (
    RoadNetwork,
    TrafficSimulation,
    road_network,
    simulate_traffic,
    write_simulation,
)

__all__ = [
    "HISTORY",
    "HORIZON",
    "HORIZONS",
    "SPLIT",
    "STEPS_PER_DAY",
    "STEP_MINUTES",
    "Normaliser",
    "RoadNetwork",
    "TrafficData",
    "TrafficFormatError",
    "TrafficSimulation",
    "check_windows",
    "daily_profiles",
    "dtw_distance",
    "dtw_matrix",
    "fit_normaliser",
    "masked_errors",
    "normalised_adjacency",
    "read_pems",
    "road_network",
    "semantic_adjacency",
    "simulate_traffic",
    "spatial_adjacency",
    "split",
    "window_starts",
    "windows",
    "write_pems",
    "write_simulation",
]
