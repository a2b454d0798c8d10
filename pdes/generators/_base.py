r"""The generator contract and the chunked, seeded, batched driver shared by every data set.

A :class:`Generator` describes one data set: ``sample(key)`` computes one input–output pair as
a pure function of a PRNG key (``jit``- and ``vmap``-able), ``coordinates()`` the grids, and
``to_file(samples, coordinates)`` the arrays as they are stored (PDEBench's names and layouts
where PDEBench has the data set, see :mod:`pdes.datasets`).

:func:`generate` draws per-sample keys ``jax.random.split(key(seed), n)``, so sample ``i`` is the
same whatever the chunk size, and solves chunk after chunk with one compiled
``jit(vmap(sample))`` (the last chunk is padded to the chunk size, so nothing recompiles). The
solvers run in float64 and the arrays are stored in float32. A non-finite sample is an error
naming its index.
"""

import abc
import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer


class Generator(abc.ABC):
    """One data set: its parameters (dataclass fields) and how to compute one sample."""

    name: ClassVar[str]
    description: ClassVar[str]
    resolution: int  # grid points per axis of the stored arrays
    # names of the last axis of a trajectory ``tensor [N, T, *space, C]``; None: a scalar field
    channels: ClassVar[tuple[str, ...] | None] = None

    @abc.abstractmethod
    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        """One sample as named arrays (float64 inside ``jax.enable_x64``)."""

    @abc.abstractmethod
    def coordinates(self) -> dict[str, np.ndarray]:
        """The grids, by their stored names (``x-coordinate``, ...)."""

    @abc.abstractmethod
    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The stored arrays, from the stacked samples (coordinates are added by the driver)."""

    def params(self) -> dict[str, Any]:
        """Every parameter, for the file's attributes."""
        return dataclasses.asdict(self)


def _check_finite(samples: dict[str, np.ndarray], offset: int, name: str) -> None:
    for key, array in samples.items():
        bad = ~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)
        if bad.any():
            raise FloatingPointError(
                f"{name}: sample {offset + int(np.argmax(bad))} has non-finite values in {key!r}"
            )


def generate(
    generator: Generator,
    n: int,
    *,
    seed: int,
    chunk: int = 64,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Draw ``n`` samples and return ``(arrays, attrs)`` ready for :func:`pdes.datasets.write`.

    Args:
        generator: the data set and its parameters.
        n: number of samples.
        seed: root seed; sample ``i`` uses ``split(key(seed), n)[i]``.
        chunk: samples solved per compiled call (bounds memory).
        progress: called with the number of samples finished after each chunk.
    """
    integer("generate", 1, n=n, chunk=chunk)
    integer("generate", 0, seed=seed)
    chunk = min(chunk, n)
    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.key(seed), n)
        solve = jax.jit(jax.vmap(generator.sample))
        parts: list[dict[str, np.ndarray]] = []
        for start in range(0, n, chunk):
            batch = keys[start : start + chunk]
            filled = batch.shape[0]
            if filled < chunk:  # pad with copies: one compiled shape for every chunk
                batch = jnp.concatenate([batch, jnp.repeat(batch[:1], chunk - filled)])
            out = jax.device_get(solve(batch))
            out = {k: np.asarray(v[:filled]) for k, v in out.items()}
            _check_finite(out, start, generator.name)
            parts.append({k: v.astype(np.float32) for k, v in out.items()})
            if progress is not None:
                progress(filled)
    stacked = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    arrays = generator.to_file(stacked)
    arrays |= {k: v.astype(np.float32) for k, v in generator.coordinates().items()}
    attrs = {
        "generator": generator.name,
        "description": generator.description,
        "params": generator.params(),
        "seed": seed,
        "samples": n,
    }
    if generator.channels is not None:
        attrs["channels"] = list(generator.channels)
    return arrays, attrs


def divisor_grid(resolution: int, minimum: int) -> int:
    """The smallest node count ``(resolution - 1) k + 1 >= minimum``: a fine grid whose every
    ``k``-th node is a node of the stored grid (FNO subsamples 421 nodes by 2, 3, 5 to
    211, 141, 85)."""
    k = max(1, math.ceil((minimum - 1) / (resolution - 1)))
    return (resolution - 1) * k + 1


Registry = Mapping[str, type[Generator]]
