"""Problem registry: ``pdes.get(name, **params)`` and ``pdes.names()``."""

import dataclasses
import difflib

from pdes._problem import Problem

_REGISTRY: dict[str, type[Problem]] = {}


def register(cls: type[Problem]) -> type[Problem]:
    """Class decorator adding a problem (a frozen dataclass with a ``name``) to the registry."""
    if cls.name in _REGISTRY:
        raise ValueError(f"problem {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def names() -> list[str]:
    """Names of every registered problem, sorted."""
    return sorted(_REGISTRY)


def get(name: str, **params) -> Problem:
    """The problem ``name`` with its default coefficients overridden by ``params``.

    >>> import pdes
    >>> pdes.get("burgers", viscosity=0.02).viscosity
    0.02
    """
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown problem {name!r}{hint}; known problems: {', '.join(names())}")
    cls = _REGISTRY[name]
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ValueError(
            f"problem {name!r} has no parameter {unknown[0]!r}; its parameters are: "
            f"{', '.join(fields)}"
        )
    return cls(**params)
