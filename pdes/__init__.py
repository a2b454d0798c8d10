r"""PDE problems with reference solutions, reference solvers, collocation samplers, metrics and
HDF5 data sets. Depends on :mod:`physics`, jax, diffrax and h5py; never on a training library.

>>> import jax, pdes
>>> problem = pdes.get("heat", dim=2, diffusivity=0.1)
>>> problem.domain.bounds
((0.0, 1.0), (0.0, 1.0), (0.0, 1.0))
>>> points = pdes.samplers.interior(jax.random.key(0), problem.domain, 128)
>>> residual = jax.vmap(problem.residual(problem.exact))(points)
>>> bool(abs(residual).max() < 1e-4)   # the exact solution satisfies the PDE (float32)
True
>>> "burgers" in pdes.names()
True
"""

from pdes import convergence, datasets, metrics, problems, random_fields, samplers, solvers
from pdes._conditions import Condition, Dirichlet, Neumann, Periodic
from pdes._domain import Domain
from pdes._problem import Problem
from pdes._reference import Reference
from pdes._registry import get, names, register

__version__ = "0.1.0"

__all__ = [
    "Condition",
    "Dirichlet",
    "Domain",
    "Neumann",
    "Periodic",
    "Problem",
    "Reference",
    "convergence",
    "datasets",
    "get",
    "metrics",
    "names",
    "problems",
    "random_fields",
    "register",
    "samplers",
    "solvers",
]
