r"""Identifiability pre-check (protocol step 3): the sensitivity of the measured signals to the
log-parameters, through the diffrax solve.

.. math::
    S_{(w,i,k),j} = \frac{1}{s_k}\frac{\partial y_k(t_i)}{\partial \rho_j}\Big|_{\rho = 0},
    \qquad \theta_j = \theta_{j,nom}e^{\rho_j},

with each window started from its first measured state. The singular values of S, its condition
number and the correlation matrix of :math:`(S^TS)^{-1}` say which unknowns the data can separate
before any training: a condition number ~1e2 or below and correlations away from ±1 mean locally
identifiable.
"""

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from physics.engines import UNKNOWNS, EngineParameters
from sciml import _io
from sciml.twin._simulation_fit import Window, initial_guess, predict


def identifiability(windows: Window, params: EngineParameters, observed, unknowns=UNKNOWNS):
    """Singular values, condition number and parameter correlations of the sensitivity matrix."""
    observed = tuple(observed)
    x0 = initial_guess(windows, observed, params)

    def scaled(rho, data):
        predicted = jax.vmap(lambda x, w: predict(rho, x, w, params, observed, unknowns))(x0, data)
        return (predicted / data.scale[:, None, :]).ravel()

    S = np.asarray(jax.jit(jax.jacfwd(scaled))(jnp.zeros(len(unknowns)), windows))
    _, singular, vt = np.linalg.svd(S, full_matrices=False)
    # (SᵀS)⁻¹ from the SVD stays positive semi-definite when S is nearly rank-deficient
    covariance = (vt.T / singular**2) @ vt
    d = np.sqrt(np.diag(covariance))
    return {
        "unknowns": list(unknowns),
        "singular_values": singular.tolist(),
        "condition_number": float(singular[0] / singular[-1]),
        "correlation": (covariance / np.outer(d, d)).tolist(),
    }


def figure(path, report: dict) -> None:
    """F6: singular values of S and the correlation matrix of the unknowns."""
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    names = report["unknowns"]
    left.semilogy(range(1, len(names) + 1), report["singular_values"], "o-")
    left.set_xticks(range(1, len(names) + 1))
    left.set_xlabel("index")
    left.set_title(f"singular values of S (condition {report['condition_number']:.3g})")
    corr = np.asarray(report["correlation"])
    image = right.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    right.set_xticks(range(len(names)), names, rotation=30)
    right.set_yticks(range(len(names)), names)
    for (i, j), value in np.ndenumerate(corr):
        right.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    right.set_title("parameter correlation")
    fig.colorbar(image, ax=right)
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
