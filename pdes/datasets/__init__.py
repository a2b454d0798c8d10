r"""HDF5 data sets: atomic writes, safe reads, schema checks and PDEBench layouts.

A data set file holds named arrays at its top level and attributes, with PDEBench's names where
PDEBench has them (``tensor``, ``nu``, ``x-coordinate``, ``y-coordinate``, ``t-coordinate``), so
real PDEBench files of the same layout load with the same code. PDEBench stores scalar fields
without a channel axis, this project channel-last (DESIGN.md section 3):

=====================  ======================  ============================================
data                   PDEBench                here
=====================  ======================  ============================================
1-D Burgers            ``tensor [N, T, X]``    ``[N, T, X, 1]``
2-D trajectories       ``tensor [N, T, X, Y]`` ``[N, T, X, Y, 1]`` (:func:`load_trajectories`)
2-D Darcy solution     ``tensor [N, 1, X, Y]`` ``[N, X, Y, 1]`` (``stationary=True``)
2-D Darcy coefficient  ``nu [N, X, Y]``        ``[N, X, Y, 1]``
=====================  ======================  ============================================

PDEBench's 1-D ``t-coordinate`` has one entry more than ``tensor`` has time steps; the schemas
below do not tie the two lengths together.

:func:`write` is atomic: it writes a temporary file in the target directory, flushes and syncs it,
then renames it over the target; on any error the temporary file is removed and the target is
left as it was. It adds the attributes ``format_version``, ``created`` (UTC, ISO 8601),
``sciml_jax_version`` and ``sha256``, a hash of the arrays that ``read(..., verify=True)``
checks. Attributes that are not strings or scalars are stored as JSON strings and decoded on
read. Nothing is ever unpickled. Every problem with a file is a :class:`DatasetError`, one line
that names the file.

>>> import os, tempfile
>>> import numpy as np
>>> from pdes import datasets
>>> path = os.path.join(tempfile.mkdtemp(), "burgers.h5")
>>> u = np.zeros((2, 3, 8), np.float32)  # [N, T, X]
>>> datasets.write(path, {"tensor": u, "x-coordinate": np.linspace(0, 1, 8),
...                       "t-coordinate": np.linspace(0, 1, 4)}, {"params": {"nu": 0.01}})
>>> ds = datasets.read(path, schema=datasets.PDEBENCH_BURGERS_1D, verify=True)
>>> ds.attrs["params"], datasets.pdebench_to_channel_last(ds.arrays["tensor"], 1).shape
({'nu': 0.01}, (2, 3, 8, 1))
"""

from pdes.datasets._hdf5 import (
    FORMAT_VERSION,
    Dataset,
    DatasetError,
    content_hash,
    read,
    write,
)
from pdes.datasets._operator import OperatorData, load_operator
from pdes.datasets._schema import (
    PDEBENCH_BURGERS_1D,
    PDEBENCH_DARCY_2D,
    ArraySpec,
    Schema,
    channel_last_to_pdebench,
    pdebench_to_channel_last,
    validate,
)
from pdes.datasets._trajectory import TrajectoryData, check_history, load_trajectories

__all__ = [
    "FORMAT_VERSION",
    "PDEBENCH_BURGERS_1D",
    "PDEBENCH_DARCY_2D",
    "ArraySpec",
    "Dataset",
    "DatasetError",
    "OperatorData",
    "Schema",
    "TrajectoryData",
    "channel_last_to_pdebench",
    "check_history",
    "content_hash",
    "load_operator",
    "load_trajectories",
    "pdebench_to_channel_last",
    "read",
    "validate",
    "write",
]
