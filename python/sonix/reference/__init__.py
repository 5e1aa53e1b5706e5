"""Plain-torch oracles: slow, obvious implementations (float64-capable) that document the math the
fused kernels compute and that the tests compare against."""

from . import antialias, pcen
from .spectral import log_compress, mel_spectrogram, spectrogram

__all__ = ["antialias", "log_compress", "mel_spectrogram", "pcen", "spectrogram"]
