"""Experiment configs, one module per problem, each with ``get_config(variant)``.

``sciml pinn PROBLEM --config VARIANT`` loads ``sciml.configs.PROBLEM.get_config(VARIANT)``;
every module documents its command, its expected runtime on 2 CPU cores and its expected error.
"""

import importlib
import pkgutil


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(problem: str, variant: str = "default"):
    """The config ``variant`` of ``problem``; clear errors for unknown names."""
    if problem not in names():
        raise ValueError(
            f"no PINN config for problem {problem!r}; configs exist for: {', '.join(names())}"
        )
    module = importlib.import_module(f"sciml.configs.{problem}")
    return module.get_config(variant)
