"""Typed, frozen experiment configs and ``--set key=value`` overrides.

A config is a frozen dataclass whose fields are scalars, strings, tuples or nested frozen
dataclasses. :func:`override` applies dotted ``key=value`` strings, converting each value to the
field's type; an unknown key or a value of the wrong type is a ``ValueError`` naming the key.

>>> import dataclasses
>>> @dataclasses.dataclass(frozen=True)
... class Optim:
...     steps: int = 100
...     learning_rate: float = 1e-3
>>> @dataclasses.dataclass(frozen=True)
... class Config:
...     optim: Optim = Optim()
...     name: str = "run"
>>> override(Config(), ["optim.steps=500", "name=long"])
Config(optim=Optim(steps=500, learning_rate=0.001), name='long')
"""

import ast
import dataclasses
import typing
from collections.abc import Iterable
from typing import Any


def flatten(tree: dict, prefix: str = "") -> dict:
    """Nested dicts as one dict of dotted keys: ``{"a": {"b": 1}} -> {"a.b": 1}``."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _keys(config, prefix: str = "") -> list[str]:
    return list(flatten(dataclasses.asdict(config), prefix))


def _convert(key: str, text: str, current: Any, annotation: Any) -> Any:
    """``text`` as a value of the field's type (judged from its annotation and current value)."""
    kind = type(current)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is str:
            return text
        if kind is tuple or typing.get_origin(annotation) is tuple:
            value = ast.literal_eval(text)
            return tuple(value) if isinstance(value, list | tuple) else (value,)
        if current is None:
            return None if text.lower() == "none" else ast.literal_eval(text)
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"config key {key!r}: cannot read {text!r} as {kind.__name__}") from None


def _value(config, path: list[str], text: str, full_key: str):
    """The converted value for ``path`` in ``config`` (unknown keys and sections are errors)."""
    field_types = {f.name: f.type for f in dataclasses.fields(config)}
    name = path[0]
    if name not in field_types:
        prefix = full_key[: len(full_key) - len(".".join(path))]
        valid = ", ".join(_keys(config, prefix))
        raise ValueError(f"unknown config key {full_key!r}; valid keys: {valid}")
    current = getattr(config, name)
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise ValueError(f"unknown config key {full_key!r}: {name!r} has no sub-keys")
        return _value(current, path[1:], text, full_key)
    if dataclasses.is_dataclass(current):
        raise ValueError(f"config key {full_key!r} is a section; set one of its keys")
    hints = typing.get_type_hints(type(config))
    return _convert(full_key, text, current, hints.get(name, field_types[name]))


def _apply(config, changes: dict):
    updates = {
        name: _apply(getattr(config, name), change) if isinstance(change, dict) else change
        for name, change in changes.items()
    }
    return dataclasses.replace(config, **updates)


def override(config, assignments: Iterable[str]):
    """A copy of ``config`` with every ``"dotted.key=value"`` applied at once, so validation
    sees them together (``optim.lbfgs_rounds=2 optim.lbfgs_steps=1400`` in either order)."""
    changes: dict = {}
    for assignment in assignments:
        if "=" not in assignment:
            raise ValueError(f"override {assignment!r} is not of the form key=value")
        key, text = (part.strip() for part in assignment.split("=", 1))
        path = key.split(".")
        value = _value(config, path, text, key)
        section = changes
        for name in path[:-1]:
            section = section.setdefault(name, {})
        section[path[-1]] = value
    return _apply(config, changes)


def to_dict(config) -> dict:
    """The config as plain JSON-ready data."""
    return dataclasses.asdict(config)


def refuse_changed(run_dir, saved: dict, current: dict) -> None:
    """Fail in one line when a run directory holds a run of another (flattened) config."""
    changed = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
    if changed:
        key = changed[0]
        raise ValueError(
            f"{run_dir} holds a run of another config ({key}: {saved.get(key)!r} -> "
            f"{current.get(key)!r}); resume it with that config or choose another --out"
        )
