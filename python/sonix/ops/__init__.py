"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import antialias, pcen, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "antialias", "pcen", "spectral"]
