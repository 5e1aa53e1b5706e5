"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import antialias, causal_conv, filters, losses, pcen, resample, snake, spectral
from .spectral import LogSpec

__all__ = [
    "LogSpec",
    "antialias",
    "causal_conv",
    "filters",
    "losses",
    "pcen",
    "resample",
    "snake",
    "spectral",
]
from . import convolve, resample, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "convolve", "resample", "spectral"]
