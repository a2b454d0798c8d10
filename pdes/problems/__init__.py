"""The problem catalogue; importing it registers every problem with :func:`pdes.get`."""

from pdes.problems._advection import Advection
from pdes.problems._allen_cahn import AllenCahn
from pdes.problems._burgers import Burgers
from pdes.problems._heat import Heat
from pdes.problems._kdv import KdV
from pdes.problems._poisson import Poisson
from pdes.problems._wave import Wave

__all__ = ["Advection", "AllenCahn", "Burgers", "Heat", "KdV", "Poisson", "Wave"]
