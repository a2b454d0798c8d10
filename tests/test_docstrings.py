"""Every docstring example runs (the docstrings are the specification, STYLE.md 7)."""

import doctest
import importlib
import pkgutil

import pytest

import pdes
import physics
import sciml


def modules():
    names = []
    for package in (physics, pdes, sciml):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
