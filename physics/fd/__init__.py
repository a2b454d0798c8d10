"""Finite-difference operators on uniform grids (orders 2 and 4; periodic, Dirichlet, Neumann)."""

from physics.fd._boundary import (
    BoundaryCondition,
    Dirichlet,
    Neumann,
    Periodic,
    as_boundaries,
    as_boundary,
)
from physics.fd._operators import (
    arithmetic_mean,
    diff,
    div_a_grad,
    divergence,
    gradient,
    harmonic_mean,
    laplacian,
)
from physics.fd._stencils import taylor_weights

__all__ = [
    "BoundaryCondition",
    "Dirichlet",
    "Neumann",
    "Periodic",
    "arithmetic_mean",
    "as_boundaries",
    "as_boundary",
    "diff",
    "div_a_grad",
    "divergence",
    "gradient",
    "harmonic_mean",
    "laplacian",
    "taylor_weights",
]
