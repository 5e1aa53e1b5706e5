"""ITU-R BS.1770-4 integrated loudness (LUFS) and loudness normalisation, batched over examples.

K-weighting is the RBJ high shelf (+4 dB, Q 1/sqrt(2), 1500 Hz) followed by the RBJ high pass (Q 0.5,
38 Hz) designed at the signal's own sample rate (the filters pyloudnorm uses), run by ``sonix::lfilter``.
Mean squares over 400 ms blocks with 75 % overlap, absolute gate -70 LUFS, relative gate -10 LU,
channel weights 1, 1, 1, 1.41, 1.41 (L, R, C, Ls, Rs).
"""

from __future__ import annotations

import math

import torch

from .._dtypes import compute_dtype
from ..ops._checks import check_audio
from ..ops.filters import lfilter as _lfilter
from .filter_design import biquad_coeffs

_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)


def k_weighting(x: torch.Tensor, sample_rate: float) -> torch.Tensor:
    """BS.1770 K-weighting filter of x (..., time) at any sample rate; float32 or float64 compute."""
    dt = compute_dtype(x.dtype)
    b1, a1 = biquad_coeffs("highshelf", sample_rate, 1500.0, 1 / math.sqrt(2), 4.0, device=x.device)
    b2, a2 = biquad_coeffs("highpass", sample_rate, 38.0, 0.5, device=x.device)
    y, _ = _lfilter(x.to(dt), a1.to(dt), b1.to(dt))
    y, _ = _lfilter(y, a2.to(dt), b2.to(dt))
    return y


def integrated_loudness(
    x: torch.Tensor, sample_rate: float, block_size: float = 0.4, overlap: float = 0.75
) -> torch.Tensor:
    """Integrated loudness in LUFS of x (..., channels, time) (1 to 5 channels, BS.1770 order).

    Returns (...,) float64; -inf for input that no block passes the gates (silence). The input must be
    at least one block long. Differentiable almost everywhere (gates are piecewise constant); CPU /
    CUDA. Matches pyloudnorm.Meter(rate).integrated_loudness(x.T) (same block boundaries).
    """
    check_audio(x, "x", min_dim=2)
    C, T = x.shape[-2], x.shape[-1]
    if C > len(_CHANNEL_WEIGHTS):
        raise ValueError(
            f"sonix: x must have at most 5 channels (dim -2), got shape {tuple(x.shape)}"
        )
    block = block_size * sample_rate
    if T < block:
        raise ValueError(
            f"sonix: x must be at least block_size={block_size} s ({int(block)} samples) long, got {T}"
        )
    y = k_weighting(x, sample_rate).to(torch.float64)
    step = 1.0 - overlap
    n_blocks = int(round((T / sample_rate - block_size) / (block_size * step))) + 1
    j = torch.arange(n_blocks, dtype=torch.float64)
    lo = (block_size * (j * step) * sample_rate).long().clamp(max=T)
    hi = (block_size * (j * step + 1) * sample_rate).long().clamp(max=T)
    csum = torch.nn.functional.pad(torch.cumsum(y * y, -1), (1, 0))
    z = (csum[..., hi.to(x.device)] - csum[..., lo.to(x.device)]) / block  # (..., C, n_blocks)
    w = torch.tensor(_CHANNEL_WEIGHTS[:C], dtype=torch.float64, device=x.device)
    power = (z * w[:, None]).sum(-2)  # (..., n_blocks)
    with torch.no_grad():
        l_blocks = -0.691 + 10 * torch.log10(power)
        gate_abs = l_blocks >= -70.0
    mean_abs = (power * gate_abs).sum(-1) / gate_abs.sum(-1).clamp(min=1)
    with torch.no_grad():
        gamma_r = -0.691 + 10 * torch.log10(mean_abs) - 10.0
        gate = gate_abs & (l_blocks > gamma_r.unsqueeze(-1))
    mean = (power * gate).sum(-1) / gate.sum(-1).clamp(min=1)
    return -0.691 + 10 * torch.log10(mean)


def loudness_normalize(
    x: torch.Tensor, sample_rate: float, target_lufs: float | torch.Tensor = -23.0
) -> torch.Tensor:
    """Scales each example of x (..., channels, time) to target_lufs integrated loudness.

    Examples whose loudness is -inf (silence) are returned unchanged. target_lufs may be a tensor of
    the leading dims (per-example targets). Output dtype = x's.
    """
    loud = integrated_loudness(x, sample_rate)
    gain_db = torch.as_tensor(target_lufs, dtype=torch.float64, device=x.device) - loud
    gain = torch.where(torch.isfinite(loud), 10 ** (gain_db / 20), torch.ones_like(loud))
    return x * gain[..., None, None].to(x.dtype)
