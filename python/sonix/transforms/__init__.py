"""nn.Module front ends: drop-in replacements for torchaudio's spectral transforms, and LogMelSpectrogram.

``from sonix.transforms import MelSpectrogram`` replaces ``torchaudio.transforms.MelSpectrogram``:
same constructor, attributes and state_dict keys, computed by the fused sonix ops.
"""

from .filters import Biquad, LoudnessNormalize, SOSFilter
from .logmel import PRESETS, LogMelSpectrogram
from .resample import Resample, StreamingResampler
from .spectral import MFCC, AmplitudeToDB, InverseSpectrogram, MelScale, MelSpectrogram, Spectrogram

__all__ = [
    "MFCC",
    "PRESETS",
    "AmplitudeToDB",
    "Biquad",
    "InverseSpectrogram",
    "LoudnessNormalize",
    "LogMelSpectrogram",
    "MelScale",
    "MelSpectrogram",
    "Resample",
    "SOSFilter",
    "Spectrogram",
    "StreamingResampler",
]
