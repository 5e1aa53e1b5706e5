"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import (
    antialias,
    augment,
    causal_conv,
    convolve,
    filters,
    losses,
    pcen,
    resample,
    snake,
    spectral,
)
from .spectral import LogSpec

__all__ = [
    "LogSpec",
    "antialias",
    "augment",
    "causal_conv",
    "convolve",
    "filters",
    "losses",
    "pcen",
    "resample",
    "snake",
    "spectral",
]
