"""Plain-torch oracle of BigVGAN's anti-aliased activation (``alias_free_activation.torch``).

What it computes, for x of shape (batch, channels, time):

1. ``upsample``: replicate-pad x by ``pad = K_up // r_up - 1`` on both sides, transposed grouped
   convolution with the (K_up,) filter at stride r_up, times r_up, then keep ``T * r_up`` samples
   starting at ``pad * r_up + (K_up - r_up) // 2``.
2. Snake / SnakeBeta per channel: ``u + 1 / (b + 1e-9) * sin(a * u)^2`` (Snake: b = a; with
   ``log_scale`` a = exp(alpha), b = exp(beta)).
3. ``downsample``: replicate-pad by ``(K_down // 2 - (K_down even), K_down // 2)``, grouped convolution
   with the (K_down,) filter at stride r_down: ``(T * r_up - 1) // r_down + 1`` samples.

Both filters are BigVGAN's ``kaiser_sinc_filter1d(0.5 / r, 0.6 / r, K)``. One deliberate difference:
BigVGAN crops with ``x[..., pad_left:-pad_right]``, which is empty when K_up == r_up (pad_right is 0);
here the crop is by length, so that case gives the intended T * r_up samples.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SNAKE_EPS = 1e-9


def kaiser_sinc_filter1d(
    cutoff: float, half_width: float, kernel_size: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """(kernel_size,) Kaiser-windowed sinc low-pass normalised to unit sum (BigVGAN's filter).

    ``cutoff`` and ``half_width`` are in cycles per sample; the Kaiser beta follows Kaiser's formula
    for the attenuation implied by the transition width.
    """
    even = kernel_size % 2 == 0
    half_size = kernel_size // 2
    delta_f = 4 * half_width
    attenuation = 2.285 * (half_size - 1) * math.pi * delta_f + 7.95
    if attenuation > 50.0:
        beta = 0.1102 * (attenuation - 8.7)
    elif attenuation >= 21.0:
        beta = 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, beta=beta, periodic=False, dtype=torch.float64)
    if even:
        time = torch.arange(-half_size, half_size, dtype=torch.float64) + 0.5
    else:
        time = torch.arange(kernel_size, dtype=torch.float64) - half_size
    if cutoff == 0:
        return torch.zeros(kernel_size, dtype=dtype)
    filt = 2 * cutoff * window * torch.sinc(2 * cutoff * time)
    return (filt / filt.sum()).to(dtype)


def upsample(x: torch.Tensor, filt: torch.Tensor, ratio: int) -> torch.Tensor:
    """BigVGAN's UpSample1d on (B, C, T): (B, C, T * ratio)."""
    k = filt.numel()
    channels, length = x.shape[1], x.shape[2]
    pad = k // ratio - 1
    crop = pad * ratio + (k - ratio) // 2
    xp = F.pad(x, (pad, pad), mode="replicate")
    w = filt.to(x.dtype).reshape(1, 1, k).expand(channels, -1, -1)
    y = ratio * F.conv_transpose1d(xp, w, stride=ratio, groups=channels)
    return y[..., crop : crop + length * ratio]


def downsample(x: torch.Tensor, filt: torch.Tensor, ratio: int) -> torch.Tensor:
    """BigVGAN's DownSample1d (LowPassFilter1d with replicate padding) on (B, C, L)."""
    k = filt.numel()
    channels = x.shape[1]
    xp = F.pad(x, (k // 2 - int(k % 2 == 0), k // 2), mode="replicate")
    w = filt.to(x.dtype).reshape(1, 1, k).expand(channels, -1, -1)
    return F.conv1d(xp, w, stride=ratio, groups=channels)


def snake(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor | None = None, log_scale: bool = False
) -> torch.Tensor:
    """Snake (beta None) or SnakeBeta on (B, C, T) with per-channel (C,) parameters."""
    a = alpha.to(x.dtype)[None, :, None]
    b = a if beta is None else beta.to(x.dtype)[None, :, None]
    if log_scale:
        a, b = torch.exp(a), torch.exp(b)
    return x + 1.0 / (b + SNAKE_EPS) * torch.sin(x * a) ** 2


def anti_alias_activation(
    x: torch.Tensor,
    alpha: torch.Tensor,
    beta: torch.Tensor | None,
    up_filter: torch.Tensor,
    down_filter: torch.Tensor,
    up_ratio: int = 2,
    down_ratio: int = 2,
    log_scale: bool = False,
) -> torch.Tensor:
    """upsample -> Snake/SnakeBeta -> low-pass + downsample on (B, C, T), differentiable."""
    u = upsample(x, up_filter.reshape(-1), up_ratio)
    return downsample(snake(u, alpha, beta, log_scale), down_filter.reshape(-1), down_ratio)
