"""Reference solvers written in JAX: ETDRK4 for stiff 1-D periodic problems, the Cole–Hopf
solution of viscous Burgers, and a matrix-free conjugate-gradient elliptic solver."""

from pdes.solvers._cole_hopf import burgers_cole_hopf, burgers_cole_hopf_grid
from pdes.solvers._elliptic import EllipticInfo, jacobi, solve_elliptic
from pdes.solvers._etdrk4 import (
    allen_cahn_terms,
    burgers_terms,
    etdrk4,
    etdrk4_coefficients,
    kdv_terms,
)

__all__ = [
    "EllipticInfo",
    "allen_cahn_terms",
    "burgers_cole_hopf",
    "burgers_cole_hopf_grid",
    "burgers_terms",
    "etdrk4",
    "etdrk4_coefficients",
    "jacobi",
    "kdv_terms",
    "solve_elliptic",
]
