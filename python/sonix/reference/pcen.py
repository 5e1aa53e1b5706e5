"""Plain-torch oracle of per-channel energy normalisation (PCEN, Wang et al. 2017), as librosa.pcen.

On an energy spectrogram E of shape (..., channels, frames), with per-channel s, alpha, delta, r:

    M[t] = (1 - s) * M[t - 1] + s * E[t],   M[-1] = initial state (librosa: 1, the steady state of
                                            scipy.signal.lfilter_zi for a unit input)
    out[t] = (E[t] / (eps + M[t]) ** alpha + delta) ** r - delta ** r

written as librosa does, ``delta**r * expm1(r * log1p(E * (eps + M)**-alpha / delta))``. librosa's
``zi`` / ``zf`` lfilter states are ``(1 - s) * M``: this module's state is M itself.
"""

from __future__ import annotations

import math

import torch


def smoothing_coefficient(
    sr: float = 22050, hop_length: int = 512, time_constant: float = 0.4
) -> float:
    """librosa's default b for a time constant in seconds (FWHM of the smoother's squared response)."""
    t_frames = time_constant * sr / float(hop_length)
    return (math.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)


def pcen(
    energy: torch.Tensor,
    s: torch.Tensor,
    alpha: torch.Tensor,
    delta: torch.Tensor,
    r: torch.Tensor,
    eps: float = 1e-6,
    initial_state: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(out (..., C, T), final state M[T-1] (..., C)) by a plain loop over frames; differentiable."""
    shape = energy.shape
    s, alpha, delta, r = (p.to(energy.dtype)[:, None] for p in (s, alpha, delta, r))
    if initial_state is None:
        m = torch.ones(shape[:-1], dtype=energy.dtype, device=energy.device)
    else:
        m = initial_state.to(energy.dtype)
    smooth = []
    for t in range(shape[-1]):
        m = (1 - s[:, 0]) * m + s[:, 0] * energy[..., t]
        smooth.append(m)
    big_m = torch.stack(smooth, dim=-1)
    gain = torch.exp(-alpha * torch.log(eps + big_m))
    out = delta**r * torch.expm1(r * torch.log1p(energy * gain / delta))
    return out, m
