"""The training state: one immutable PyTree that a step maps to the next one."""

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import struct

PyTree = Any


class TrainState(struct.PyTreeNode):
    """Everything a training step reads and writes, so that a checkpoint of it resumes exactly.

    Attributes:
        step: optimiser steps taken (int32 scalar).
        params: model parameters.
        opt_state: optimiser state.
        weights: loss-weight state (e.g. one scalar per loss term, or self-adaptive point
            weights); an empty dict when unused.
        key: raw ``uint32[2]`` PRNG key; step ``s`` draws from ``jax.random.fold_in(key, s)``, so
            a resumed run draws exactly what an uninterrupted one would.
    """

    step: jax.Array
    params: PyTree
    opt_state: PyTree
    weights: PyTree
    key: jax.Array

    @classmethod
    def create(
        cls,
        params: PyTree,
        optimizer: optax.GradientTransformation,
        *,
        seed: int | jax.Array,
        weights: PyTree = None,
    ) -> "TrainState":
        """Initial state: step 0, ``optimizer.init(params)``, ``weights`` (default ``{}``)."""
        key = jax.random.PRNGKey(seed) if isinstance(seed, int) else jnp.asarray(seed)
        # own copies: an optimiser state may hold the parameter arrays themselves (L-BFGS), and a
        # donated state must not contain the same buffer twice
        copy = lambda tree: jax.tree.map(lambda x: jnp.array(x, copy=True), tree)
        return cls(
            step=jnp.zeros((), jnp.int32),
            params=params,
            opt_state=copy(optimizer.init(params)),
            weights=copy({} if weights is None else weights),
            key=key,
        )
