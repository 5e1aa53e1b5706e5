"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import losses, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "losses", "spectral"]
