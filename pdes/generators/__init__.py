r"""Operator-learning and emulation data sets generated offline by the project's own JAX solvers.

Each generator is a frozen dataclass of its parameters; :func:`generate` draws ``n`` samples
deterministically from a seed, in chunks of ``jit(vmap(sample))``, and returns the arrays and
attributes that :func:`pdes.datasets.write` stores (PDEBench's layouts for Darcy, Burgers and
trajectories).

================================  ===============================================================
name                              data
================================  ===============================================================
``darcy``                         FNO's Darcy flow, coefficient ↦ solution (:class:`Darcy`)
``burgers``                       FNO's periodic Burgers, :math:`u_0 \mapsto u(\cdot, 1)`
``antiderivative``                DeepONet's :math:`u \mapsto \int_0^y u`
``diffusion_reaction``            DeepONet's source ↦ solution of :math:`s_t = Ds_{xx} + ks^2 + u`
``navier_stokes``                 FNO's 2-D periodic vorticity trajectories
``shallow_water``                 2-D periodic shallow-water trajectories (h, u, v), finite volume
================================  ===============================================================

>>> from pdes import generators
>>> arrays, attrs = generators.generate(generators.get("antiderivative", resolution=20), 3, seed=0)
>>> arrays["input"].shape, arrays["output"].shape, attrs["generator"]
((3, 20), (3, 191), 'antiderivative')
"""

from pdes.generators._antiderivative import Antiderivative
from pdes.generators._base import Generator, divisor_grid, generate
from pdes.generators._burgers import Burgers
from pdes.generators._darcy import Darcy
from pdes.generators._diffusion_reaction import DiffusionReaction
from pdes.generators._navier_stokes import NavierStokes
from pdes.generators._shallow_water import ShallowWater

_GENERATORS: dict[str, type[Generator]] = {
    g.name: g
    for g in (Darcy, Burgers, Antiderivative, DiffusionReaction, NavierStokes, ShallowWater)
}


def names() -> list[str]:
    """The generator names, sorted."""
    return sorted(_GENERATORS)


def get(name: str, **params) -> Generator:
    """The generator ``name`` with its parameters (unknown names and fields are errors)."""
    if name not in _GENERATORS:
        raise ValueError(f"unknown data set {name!r}; choose from {', '.join(names())}")
    cls = _GENERATORS[name]
    fields = {f.name for f in cls.__dataclass_fields__.values()}
    unknown = sorted(set(params) - fields)
    if unknown:
        raise ValueError(
            f"{name}: unknown parameter {unknown[0]!r}; parameters are {', '.join(sorted(fields))}"
        )
    return cls(**params)


__all__ = [
    "Antiderivative",
    "Burgers",
    "Darcy",
    "DiffusionReaction",
    "Generator",
    "NavierStokes",
    "divisor_grid",
    "generate",
    "get",
    "names",
]
