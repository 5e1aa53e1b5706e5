"""The raw custom ops (torch.ops.sonix.*) with their fake kernels and autograd registrations."""

from . import filters, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "filters", "spectral"]
from . import resample, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "resample", "spectral"]
from . import causal_conv, snake, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "causal_conv", "snake", "spectral"]
from . import antialias, pcen, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "antialias", "pcen", "spectral"]
from . import losses, spectral
from .spectral import LogSpec

__all__ = ["LogSpec", "losses", "spectral"]
