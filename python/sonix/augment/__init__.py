"""Batched audio augmentation with per-example random parameters, reproducible by seed, CPU and CUDA.

Every transform draws its parameters from counter-based random numbers keyed by (seed, step, example
id), so an example gets the same augmentation whatever the batch size, device or DDP rank; no global
RNG state is used. Consecutive pointwise transforms in a Compose run as one fused kernel pass.
``sonix.augment.torch_audiomentations`` is a drop-in for torch-audiomentations 0.12.
"""

from . import presets, torch_audiomentations
from .base import Augmentation, AugmentContext, AugmentOutput
from .compose import Compose, OneOf, SomeOf
from .filters import (
    BandPass,
    BandPassFilter,
    BandStop,
    BandStopFilter,
    BiquadAugmentation,
    HighPass,
    HighPassFilter,
    HighShelf,
    LowPass,
    LowPassFilter,
    LowShelf,
    PeakingEQ,
)
from .misc import Identity, PeakNormalization, TimeInversion
from .mix import MixOutput, Mixup
from .noise import AddBackgroundNoise, AddColoredNoise, ApplyImpulseResponse
from .pointwise import (
    BitCrush,
    Clipping,
    Gain,
    PointwiseAugmentation,
    PolarityInversion,
    TanhDistortion,
)
from .random import Draws
from .spec import FrequencyMasking, SpecAugment, TimeMasking
from .time import PadTo, PitchShift, RandomCrop, Shift, SpeedPerturb, TimeStretch

__all__ = [
    "AddBackgroundNoise",
    "AddColoredNoise",
    "ApplyImpulseResponse",
    "AugmentContext",
    "AugmentOutput",
    "Augmentation",
    "BandPass",
    "BandPassFilter",
    "BandStop",
    "BandStopFilter",
    "BiquadAugmentation",
    "BitCrush",
    "Clipping",
    "Compose",
    "Draws",
    "FrequencyMasking",
    "Gain",
    "HighPass",
    "HighPassFilter",
    "HighShelf",
    "Identity",
    "LowPass",
    "LowPassFilter",
    "LowShelf",
    "MixOutput",
    "Mixup",
    "OneOf",
    "PadTo",
    "PeakNormalization",
    "PeakingEQ",
    "PitchShift",
    "PointwiseAugmentation",
    "PolarityInversion",
    "RandomCrop",
    "Shift",
    "SomeOf",
    "SpecAugment",
    "SpeedPerturb",
    "TanhDistortion",
    "TimeInversion",
    "TimeMasking",
    "TimeStretch",
    "presets",
    "torch_audiomentations",
]
