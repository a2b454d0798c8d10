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
