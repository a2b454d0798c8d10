"""Models, training and workflows on top of :mod:`physics` and :mod:`pdes` (Flax, Optax, Orbax).

The command line is ``sciml`` (see :mod:`sciml.cli`). Importing the package sets XLA's CPU flags
of :mod:`sciml._xla_flags` unless you set them yourself.
"""

from sciml._xla_flags import apply_defaults

apply_defaults()

__version__ = "0.1.0"
