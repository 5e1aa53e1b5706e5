"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import antialias, causal_conv, convolve, filters, losses, pcen, resample, snake, spectral
from .spectral import LogSpec

__all__ = [
    "LogSpec",
    "antialias",
    "causal_conv",
    "convolve",
    "filters",
    "losses",
    "pcen",
    "resample",
    "snake",
    "spectral",
]
