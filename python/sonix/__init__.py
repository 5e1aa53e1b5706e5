"""sonix: fast, differentiable, librosa-exact audio ops for PyTorch (CPU and CUDA custom ops)."""

from . import _loader, augment, functional, layers, losses, ops, transforms
from .ops import LogSpec

__version__ = "0.1.0"
WITH_CUDA = _loader.WITH_CUDA

__all__ = ["LogSpec", "WITH_CUDA", "augment", "functional", "layers", "losses", "ops", "transforms"]
