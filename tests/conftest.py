"""Strict test settings (see STYLE.md 13).

- Rank promotion raises: an accidental broadcast of ``[n]`` against ``[n, 1]`` is a bug.
- Warnings are errors (pyproject.toml ``filterwarnings``), with narrow, commented ignores there.
- Float64 is opt-in per test through the ``x64`` fixture, never flipped by an import.
"""

import jax
import pytest

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats (reference solvers and analytic checks need them)."""
    with jax.enable_x64(True):
        yield


LONG_FIRST = (
    "test_notebooks.py",
    "test_twin_transfer.py",
    "test_multi_domain.py",
    "test_engine_pinn.py",
    "test_engine_few_shot.py",
    "test_graph_workflow.py",
)
"""Modules holding the longest tests (20-95 s each, pytest --durations)."""


def pytest_collection_modifyitems(items):
    """Run the long modules first, so that the xdist workers finish together instead of one
    waiting on a long test collected last (test_twin_transfer.py's, ~2 min, came last)."""
    rank = {name: k for k, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
