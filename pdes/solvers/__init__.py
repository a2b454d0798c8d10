"""Reference solvers written in JAX: ETDRK4 for stiff 1-D periodic problems (cross-checked by an
adaptive diffrax method of lines), the Cole–Hopf solution of viscous Burgers, a matrix-free
conjugate-gradient elliptic solver, a pseudo-spectral IMEX solver for 2-D periodic
Navier–Stokes in vorticity form, and a conservative finite-volume solver for 2-D shallow water."""

from pdes.solvers._cole_hopf import burgers_cole_hopf, burgers_cole_hopf_grid
from pdes.solvers._diffusion_reaction import solve_diffusion_reaction
from pdes.solvers._elliptic import EllipticInfo, jacobi, solve_elliptic
from pdes.solvers._etdrk4 import etdrk4, etdrk4_coefficients
from pdes.solvers._method_of_lines import method_of_lines
from pdes.solvers._multigrid import multigrid
from pdes.solvers._navier_stokes import solve_navier_stokes_2d
from pdes.solvers._shallow_water import max_cfl, shallow_water_rhs, solve_shallow_water_2d
from pdes.solvers._spectral_terms import allen_cahn_terms, burgers_terms, kdv_terms

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
    "max_cfl",
    "method_of_lines",
    "multigrid",
    "shallow_water_rhs",
    "solve_diffusion_reaction",
    "solve_elliptic",
    "solve_navier_stokes_2d",
    "solve_shallow_water_2d",
]
