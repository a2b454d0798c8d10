"""Models, training and workflows on top of :mod:`physics` and :mod:`pdes` (Flax, Optax, Orbax).

The command line is ``sciml`` (see :mod:`sciml.cli`).
"""

__version__ = "0.1.0"
