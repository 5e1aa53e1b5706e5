"""Batched audio augmentation with per-example random parameters, reproducible by seed, CPU and CUDA.

Every transform draws its parameters from counter-based random numbers keyed by (seed, step, example
id), so an example gets the same augmentation whatever the batch size, device or DDP rank; no global
RNG state is used. Consecutive pointwise transforms in a Compose run as one fused kernel pass.
"""

from .base import Augmentation, AugmentContext, AugmentOutput
from .compose import Compose, OneOf, SomeOf
from .pointwise import (
    BitCrush,
    Clipping,
    Gain,
    PointwiseAugmentation,
    PolarityInversion,
    TanhDistortion,
)
from .random import Draws

__all__ = [
    "AugmentContext",
    "AugmentOutput",
    "Augmentation",
    "BitCrush",
    "Clipping",
    "Compose",
    "Draws",
    "Gain",
    "OneOf",
    "PointwiseAugmentation",
    "PolarityInversion",
    "SomeOf",
    "TanhDistortion",
]
