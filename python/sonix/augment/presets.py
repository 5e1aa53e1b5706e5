"""Named augmentation chains for training scripts and the ``sonix train --augment`` option."""

from __future__ import annotations

import torch

from .base import Augmentation
from .compose import Compose, OneOf
from .filters import HighPassFilter, LowPassFilter, PeakingEQ
from .noise import AddColoredNoise
from .pointwise import Gain, PolarityInversion
from .time import Shift

PRESETS = ("none", "light", "standard")


def make(
    name: str, seed: int | torch.Generator | None = None, sample_rate: int | None = None
) -> Augmentation | None:
    """The chain called ``name``, or None for "none".

    "light": Gain (-6..6 dB, p 0.5), PolarityInversion (p 0.5), Shift (+-10%, rollover, p 0.5).
    "standard": light's gain and polarity, AddColoredNoise (10..40 dB SNR, p 0.3), one of a
    low-pass / high-pass / peaking EQ (p 0.3), Shift (p 0.5). Every draw is keyed by (seed, step,
    example id): the chain reproduces with the seed.
    """
    if name == "none":
        return None
    if name == "light":
        chain = [Gain(-6.0, 6.0, p=0.5), PolarityInversion(p=0.5), Shift(-0.1, 0.1, p=0.5)]
    elif name == "standard":
        chain = [
            Gain(-6.0, 6.0, p=0.5),
            PolarityInversion(p=0.5),
            AddColoredNoise(10.0, 40.0, p=0.3),
            OneOf([LowPassFilter(p=1.0), HighPassFilter(p=1.0), PeakingEQ(p=1.0)], p=0.3),
            Shift(-0.1, 0.1, p=0.5),
        ]
    else:
        raise ValueError(f"sonix: augmentation preset must be one of {PRESETS}, got {name!r}")
    return Compose(chain, seed=seed, sample_rate=sample_rate)
