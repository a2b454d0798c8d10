r"""A forecasting task from PEMS-layout data: splits, training-split normalisation, the two graphs,
window gathering on the device, and the historical-average baseline.

Windows are never materialised: each split's normalised series ``[T, N, F]`` and raw flows
``[T, N]`` stay on the device, and a batch is gathered from its start indices inside the
compiled step (``x = series[s : s+12]``, ``y = flow[s+12 : s+24]``, as ``[B, N, 12, ·]``).

Historical average: the training flow of each sensor averaged per 5-minute slot of the day,
separately on weekdays and at weekends (the series starts at 00:00 of weekday ``start_weekday``,
0 = Monday: :func:`pdes.traffic.simulate_traffic` starts on a Monday, PEMS08 on a Friday),
missing readings (zeros) left out; a slot without training data falls back to the sensor's mean
over all days at that time, and a sensor with no reading at all to 0.
"""

import warnings
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pdes import traffic
from sciml import _io

SPLITS = ("train", "val", "test")


class TrafficTask(NamedTuple):
    series: dict  # split -> normalised readings [T_s, N, F]
    flows: dict  # split -> flow [T_s, N] (vehicles per 5 min)
    offsets: dict  # split -> index of its first step in the whole series
    normaliser: traffic.Normaliser
    adjacency: tuple  # (spatial, semantic) normalised adjacencies [N, N]


def prepare_task(
    data: traffic.TrafficData, band: int = 0, cache: Path | None = None, graphs: bool = True
) -> TrafficTask:
    """Split 6:2:2, normalise with the training split's statistics, build both graphs (the DTW
    matrix is read from / written to ``cache`` when given: it is the slow part; ``graphs=False``
    skips them, for the historical average)."""
    parts = traffic.split(data.data)
    normaliser = traffic.fit_normaliser(parts[0])
    starts = np.cumsum([0] + [p.shape[0] for p in parts[:-1]])
    return TrafficTask(
        series={k: normaliser.normalise(p) for k, p in zip(SPLITS, parts, strict=True)},
        flows={k: p[:, :, 0] for k, p in zip(SPLITS, parts, strict=True)},
        offsets={k: int(s) for k, s in zip(SPLITS, starts, strict=True)},
        normaliser=normaliser,
        adjacency=_graphs(data, parts[0], band, cache) if graphs else (),
    )


def _graphs(data: traffic.TrafficData, train: np.ndarray, band: int, cache: Path | None):
    """The normalised spatial and semantic adjacencies."""
    spatial = traffic.normalised_adjacency(traffic.spatial_adjacency(data.distances))
    if cache is not None and cache.exists():
        distances = np.load(cache)["dtw"]
    else:
        profiles = traffic.daily_profiles(train[:, :, 0], traffic.STEPS_PER_DAY)
        distances = traffic.dtw_matrix(profiles, band=band or None)
        if cache is not None:
            _io.write_npz(cache, dtw=distances)
    semantic = traffic.normalised_adjacency(traffic.semantic_adjacency(distances))
    return spatial, semantic


def gather(series: jax.Array, flows: jax.Array, starts: jax.Array, history=12, horizon=12):
    """``x [B, N, history, F]`` and ``y [B, N, horizon]`` of the windows starting at ``starts``."""
    nodes, features = series.shape[1:]

    def one(s):
        x = jax.lax.dynamic_slice(series, (s, 0, 0), (history, nodes, features))
        y = jax.lax.dynamic_slice(flows, (s + history, 0), (horizon, nodes))
        return jnp.swapaxes(x, 0, 1), y.T

    return jax.vmap(one)(starts)


def historical_average(
    task: TrafficTask, split: str, start_weekday: int = 0, horizon: int = 12, history: int = 12
):
    """Forecasts ``[S, N, horizon]`` for every window of ``split`` from the training table."""
    day = traffic.STEPS_PER_DAY

    def weekend(index):
        return ((index // day + start_weekday) % 7 >= 5).astype(int)

    train = np.where(task.flows["train"] == 0, np.nan, task.flows["train"])  # missing: left out
    index = np.arange(train.shape[0]) + task.offsets["train"]
    slot = index % day
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing slices give NaN, refilled
        overall = np.stack([np.nanmean(train[slot == s], axis=0) for s in range(day)])
        table = np.stack([overall, overall])
        for kind in (0, 1):
            for s in range(day):
                chosen = (slot == s) & (weekend(index) == kind)
                if chosen.any():
                    table[kind, s] = np.nanmean(train[chosen], axis=0)
    table = np.nan_to_num(np.where(np.isnan(table), overall[None], table), nan=0.0)
    steps = task.flows[split].shape[0]
    starts = traffic.window_starts(steps, history, horizon)
    targets = starts[:, None] + history + np.arange(horizon)[None, :] + task.offsets[split]
    forecast = table[weekend(targets), targets % day]  # [S, H, N]
    return forecast.transpose(0, 2, 1)
