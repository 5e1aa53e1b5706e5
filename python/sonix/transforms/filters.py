"""nn.Module front ends of the IIR filters and BS.1770 loudness."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import functional as F

__all__ = ["Biquad", "LoudnessNormalize", "SOSFilter"]


class Biquad(nn.Module):
    """RBJ-cookbook biquad (see :func:`sonix.functional.biquad_coeffs`) applied along the last axis.

    freq, Q, gain_db are fixed at construction (buffers b, a of shape (..., 3); tensor parameters give
    per-example filters broadcast over the input's leading dims). No clamping. CPU / CUDA, autograd.
    """

    def __init__(self, kind: str, sample_rate: float, freq, Q=0.707, gain_db=0.0) -> None:
        super().__init__()
        b, a = F.biquad_coeffs(kind, sample_rate, freq, Q, gain_db)
        self.register_buffer("b", b)
        self.register_buffer("a", a)

    def forward(self, x: Tensor) -> Tensor:
        return F.lfilter(x, self.a, self.b, clamp=False, batching=self.a.dim() == 2)


class SOSFilter(nn.Module):
    """Cascade of second-order sections (e.g. :func:`sonix.functional.butter_sos`), zero initial state."""

    def __init__(self, sos: Tensor) -> None:
        super().__init__()
        self.register_buffer("sos", torch.as_tensor(sos))

    def forward(self, x: Tensor) -> Tensor:
        return F.sosfilt(x, self.sos)


class LoudnessNormalize(nn.Module):
    """Scales each example of (..., channels, time) audio to target_lufs (BS.1770-4 integrated)."""

    def __init__(self, sample_rate: float, target_lufs: float = -23.0) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.target_lufs = target_lufs

    def forward(self, x: Tensor) -> Tensor:
        return F.loudness_normalize(x, self.sample_rate, self.target_lufs)
