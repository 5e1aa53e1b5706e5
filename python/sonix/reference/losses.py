"""Plain-torch, float64-capable references of the sonix losses (also the documentation of their math).

* :func:`stft_loss` / :func:`multi_resolution_stft_loss`: Parallel WaveGAN's multi-resolution STFT
  loss with the conventions of ``auraloss.freq.STFTLoss`` / ``MultiResolutionSTFTLoss``: hann window
  of ``win_length`` centred in ``n_fft``, ``center=True`` with reflect padding, magnitude
  ``sqrt(max(re^2 + im^2, eps))``, spectral convergence ``||Y| - |X||_F / ||Y||_F`` over the whole
  batch, log-magnitude distance ``mean |log|Y| - log|X||`` (L1, or squared for "L2"), optional
  linear-magnitude distance; resolutions averaged.
* :func:`multi_scale_mel_loss`: DAC's ``MelSpectrogramLoss`` (and BigVGAN's log-mel L1 with
  ``log_base="e"``, ``pow=1``, ``mag_weight=0``): per scale, magnitude mel spectrograms (Slaney mel
  filterbank of librosa) of both signals, ``log_weight * mean|pow * log(max(Mx, eps)) - (same for y)|``
  plus ``mag_weight * mean|Mx - My|``; scales summed.

Reflect padding follows numpy (repeated mirroring) when the signal is not longer than the pad, where
``torch.stft`` (and so auraloss) raises.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ..functional.filterbanks import mel_filterbank


def reflect_pad(x2: torch.Tensor, pad: int) -> torch.Tensor:
    """numpy's ``np.pad(mode="reflect")`` of (rows, time) by ``pad`` on both sides (differentiable)."""
    n = x2.shape[-1]
    if pad == 0:
        return x2
    if n == 1:
        return x2[:, [0] * (n + 2 * pad)]
    idx = torch.arange(-pad, n + pad, device=x2.device)
    period = 2 * (n - 1)
    idx = torch.remainder(idx, period)
    idx = torch.where(idx < n, idx, period - idx)
    return x2[:, idx]


def hann_window(win_length: int, n_fft: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """Periodic hann of win_length samples zero-padded (centred) to n_fft, as torch.stft pads it."""
    w = torch.hann_window(win_length, dtype=dtype, device=device)
    left = (n_fft - win_length) // 2
    return torch.nn.functional.pad(w, (left, n_fft - win_length - left))


def stft_power(x: torch.Tensor, window: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """re^2 + im^2 of the centred, reflect-padded STFT of (..., time): (rows, n_freq, n_frames)."""
    x2 = reflect_pad(x.reshape(-1, x.shape[-1]), n_fft // 2)
    spec = torch.stft(x2, n_fft, hop, window=window.to(x2.dtype), center=False, return_complex=True)
    return spec.real**2 + spec.imag**2


def stft_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    fft_size: int = 1024,
    hop_size: int = 256,
    win_length: int = 1024,
    w_sc: float = 1.0,
    w_log_mag: float = 1.0,
    w_lin_mag: float = 0.0,
    eps: float = 1e-8,
    reduction: str = "mean",
    mag_distance: str = "L1",
) -> torch.Tensor:
    """Single-resolution STFT loss of prediction ``x`` against target ``y`` (same shape (..., time))."""
    w = hann_window(win_length, fft_size, x.dtype, x.device)
    mx = torch.sqrt(torch.clamp(stft_power(x, w, fft_size, hop_size), min=eps))
    my = torch.sqrt(torch.clamp(stft_power(y, w, fft_size, hop_size), min=eps))

    def dist(a, b):
        d = (a - b).abs() if mag_distance == "L1" else (a - b) ** 2
        return d.sum() if reduction == "sum" else d.mean()

    loss = x.new_zeros(())
    if w_sc:
        loss = loss + w_sc * torch.linalg.vector_norm(my - mx) / torch.linalg.vector_norm(my)
    if w_log_mag:
        loss = loss + w_log_mag * dist(torch.log(mx), torch.log(my))
    if w_lin_mag:
        loss = loss + w_lin_mag * dist(mx, my)
    return loss


def multi_resolution_stft_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    fft_sizes: Sequence[int] = (1024, 2048, 512),
    hop_sizes: Sequence[int] = (120, 240, 50),
    win_lengths: Sequence[int] = (600, 1200, 240),
    **kwargs,
) -> torch.Tensor:
    """Mean of :func:`stft_loss` over the resolutions (auraloss's defaults)."""
    losses = [
        stft_loss(x, y, n, h, w, **kwargs)
        for n, h, w in zip(fft_sizes, hop_sizes, win_lengths, strict=False)
    ]
    return sum(losses) / len(losses)


def mel_magnitude(
    x: torch.Tensor,
    sample_rate: float,
    n_mels: int,
    n_fft: int,
    hop: int,
    fmin: float,
    fmax: float | None,
) -> torch.Tensor:
    """|STFT| (hann, centred, reflect) projected on librosa's Slaney mel filterbank: (rows, n_mels, frames)."""
    w = hann_window(n_fft, n_fft, x.dtype, x.device)
    mag = stft_power(x, w, n_fft, hop).sqrt()
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax, dtype=x.dtype, device=x.device)
    return fb @ mag


def multi_scale_mel_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    sample_rate: float = 44100,
    n_mels: Sequence[int] = (150, 80),
    window_lengths: Sequence[int] = (2048, 512),
    hop_lengths: Sequence[int] | None = None,
    mel_fmin: Sequence[float] = (0.0, 0.0),
    mel_fmax: Sequence[float | None] = (None, None),
    clamp_eps: float = 1e-5,
    mag_weight: float = 1.0,
    log_weight: float = 1.0,
    pow: float = 2.0,
    log_base: str = "10",
) -> torch.Tensor:
    """Sum over scales of log_weight * L1(pow * log(max(mel, eps))) + mag_weight * L1(mel) (DAC's loss)."""
    hops = [w // 4 for w in window_lengths] if hop_lengths is None else hop_lengths
    inv_ln = 1.0 / math.log(10.0) if log_base == "10" else 1.0
    loss = x.new_zeros(())
    for nm, wl, hop, lo, hi in zip(n_mels, window_lengths, hops, mel_fmin, mel_fmax, strict=False):
        mx = mel_magnitude(x, sample_rate, nm, wl, hop, lo, hi)
        my = mel_magnitude(y, sample_rate, nm, wl, hop, lo, hi)
        lx = pow * inv_ln * torch.log(mx.clamp(min=clamp_eps))
        ly = pow * inv_ln * torch.log(my.clamp(min=clamp_eps))
        loss = loss + log_weight * (lx - ly).abs().mean() + mag_weight * (mx - my).abs().mean()
    return loss
