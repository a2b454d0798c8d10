r"""Masked forecast errors, as STGODE and GRAM-ODE score them, over a whole set in one pass.

A reading of exactly 0 is missing (PEMS stores gaps as zeros) and is left out:

.. math::
    \mathrm{MAE} = \frac{\sum m |\hat y - y|}{\sum m},\quad
    \mathrm{RMSE} = \sqrt{\frac{\sum m (\hat y - y)^2}{\sum m}},\quad
    \mathrm{MAPE} = \frac{100}{\sum m} \sum m \frac{|\hat y - y|}{|y|},\quad m = [y \ne 0].

The official code averages these per batch (over-weighting the last partial batch, and not the
dataset RMSE); here every sample counts once. Errors are in the unit of the target (vehicles
per 5 minutes for flow), MAPE in %.
"""

import numpy as np

HORIZONS = (3, 6, 12)
"""Steps ahead reported separately: 15, 30 and 60 minutes at 5-minute steps."""


def masked_errors(predicted, truth, horizon_axis: int = -1) -> dict:
    """MAE, RMSE, MAPE over all entries of ``predicted`` and ``truth`` (same shape), and at each
    step of :data:`HORIZONS` along ``horizon_axis`` (keys ``mae@3``, …)."""
    predicted, truth = np.asarray(predicted, float), np.asarray(truth, float)
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted {predicted.shape} and truth {truth.shape} differ in shape")
    result = _errors(predicted, truth)
    steps = truth.shape[horizon_axis]
    for h in HORIZONS:
        if h <= steps:
            at = (np.take(a, h - 1, axis=horizon_axis) for a in (predicted, truth))
            result |= {f"{k}@{h}": v for k, v in _errors(*at).items()}
    return result


def _errors(predicted: np.ndarray, truth: np.ndarray) -> dict:
    mask = truth != 0
    count = mask.sum()
    if count == 0:
        raise ValueError("every target reading is 0 (missing): nothing to score")
    error = np.where(mask, predicted - truth, 0.0)
    relative = np.abs(error) / np.where(mask, np.abs(truth), 1.0)
    return {
        "mae": float(np.abs(error).sum() / count),
        "rmse": float(np.sqrt((error**2).sum() / count)),
        "mape": float(100 * relative.sum() / count),
    }
