r"""Convergence studies of the grid operators: observed order of FD2, FD4 and spectral derivatives.

Test functions: :math:`e^x \sin 3x` on :math:`[0, 1]` (Dirichlet/Neumann grids) and
:math:`\sin x + \cos 3x` on :math:`[0, 2\pi)` (periodic); 2-D: products of the two. The error is
the maximum over all nodes (boundary closures included); the order is the least-squares slope of
log(error) against log(h).
"""

import jax
import jax.numpy as jnp
import numpy as np

from pdes.convergence import observed_order
from physics import fd, spectral


def _nonperiodic(n):
    x = np.linspace(0.0, 1.0, n)
    e, s, c = np.exp(x), np.sin(3 * x), np.cos(3 * x)
    return x, (e * s, e * (s + 3 * c), e * (-8 * s + 6 * c))


def _periodic(n):
    x = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return x, (
        np.sin(x) + np.cos(3 * x),
        np.cos(x) - 3 * np.sin(3 * x),
        -np.sin(x) - 9 * np.cos(3 * x),
    )


def _fd_1d_error(n, bc, accuracy, order):
    x, (u, du, d2u) = _periodic(n) if bc == "periodic" else _nonperiodic(n)
    condition = fd.Neumann(du[0], du[-1]) if bc == "neumann" else bc
    got = fd.diff(u, x[1] - x[0], order=order, accuracy=accuracy, bc=condition)
    return float(np.max(np.abs(got - (du if order == 1 else d2u)))), x[1] - x[0]


def _fd_2d_laplacian_error(n, bc, accuracy):
    xs, (p, _, d2p) = _periodic(n)
    ys, (q, dq, d2q) = _nonperiodic(n)
    u = p[:, None] * q[None, :]
    exact = d2p[:, None] * q[None, :] + p[:, None] * d2q[None, :]
    ybc = fd.Neumann(p * dq[0], p * dq[-1]) if bc == "neumann" else bc
    got = fd.laplacian(u, (xs[1], ys[1]), accuracy=accuracy, bc=("periodic", ybc))
    return float(np.max(np.abs(got - exact))), ys[1]


def _spectral_error(n, order):
    x = np.linspace(0, 2 * np.pi, n, endpoint=False)
    f = lambda t: jnp.exp(jnp.sin(t))
    g = f
    for _ in range(order):
        g = jax.grad(g)
    exact = jax.vmap(g)(jnp.asarray(x))
    return float(
        jnp.max(jnp.abs(spectral.diff(f(jnp.asarray(x)), x[1] - x[0], order=order) - exact))
    )


def convergence_rows(quick: bool = False) -> list[dict]:
    """One row per operator: observed order, expected order and the errors (float64)."""
    resolutions = (32, 64, 128) if quick else (32, 64, 128, 256, 512)
    rows = []
    with jax.enable_x64(True):
        for bc in ("periodic", "dirichlet", "neumann"):
            for accuracy in (2, 4):
                for order in (1, 2):
                    errors, spacings = zip(
                        *(_fd_1d_error(n, bc, accuracy, order) for n in resolutions), strict=True
                    )
                    rows.append(
                        _row(
                            f"d{order}/dx{order} 1-D",
                            f"FD{accuracy}",
                            bc,
                            accuracy,
                            resolutions,
                            spacings,
                            errors,
                        )
                    )
            if bc != "periodic":
                for accuracy in (2, 4):
                    errors, spacings = zip(
                        *(_fd_2d_laplacian_error(n, bc, accuracy) for n in resolutions), strict=True
                    )
                    rows.append(
                        _row(
                            "Laplacian 2-D",
                            f"FD{accuracy}",
                            f"periodic x {bc}",
                            accuracy,
                            resolutions,
                            spacings,
                            errors,
                        )
                    )
        for order in (1, 2, 3):
            spectral_n = (8, 16, 32, 64)
            errors = [_spectral_error(n, order) for n in spectral_n]
            rows.append(
                {
                    "suite": "convergence",
                    "operator": f"d{order}/dx{order} 1-D",
                    "scheme": "spectral",
                    "boundary": "periodic",
                    "expected_order": "exponential",
                    "observed_order": None,
                    "resolutions": list(spectral_n),
                    "errors": errors,
                    "finest_error": errors[-1],
                }
            )
    return rows


def _row(operator, scheme, boundary, expected, resolutions, spacings, errors):
    return {
        "suite": "convergence",
        "operator": operator,
        "scheme": scheme,
        "boundary": boundary,
        "expected_order": expected,
        "observed_order": round(observed_order(spacings, errors), 3),
        "resolutions": list(resolutions),
        "errors": list(errors),
        "finest_error": errors[-1],
    }
