"""Mel filterbanks (librosa and torchaudio conventions) and the DCT matrix used by MFCC.

Built in float64 with plain torch on any device, then cast; these are small constant matrices.
"""

from __future__ import annotations

import math

import torch

_SLANEY_F_SP = 200.0 / 3  # Hz per mel below 1 kHz
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(freqs: torch.Tensor, mel_scale: str = "slaney") -> torch.Tensor:
    """Hz to mel on the "htk" (2595 log10(1 + f/700)) or "slaney" (linear below 1 kHz, log above) scale."""
    freqs = torch.as_tensor(freqs, dtype=torch.float64)
    if mel_scale == "htk":
        return 2595.0 * torch.log10(1.0 + freqs / 700.0)
    _check_scale(mel_scale)
    lin = freqs / _SLANEY_F_SP
    log = _SLANEY_MIN_LOG_MEL + torch.log(freqs.clamp_min(1e-300) / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return torch.where(freqs >= _SLANEY_MIN_LOG_HZ, log, lin)


def mel_to_hz(mels: torch.Tensor, mel_scale: str = "slaney") -> torch.Tensor:
    """Inverse of :func:`hz_to_mel`."""
    mels = torch.as_tensor(mels, dtype=torch.float64)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    _check_scale(mel_scale)
    lin = _SLANEY_F_SP * mels
    log = _SLANEY_MIN_LOG_HZ * torch.exp(_SLANEY_LOGSTEP * (mels - _SLANEY_MIN_LOG_MEL))
    return torch.where(mels >= _SLANEY_MIN_LOG_MEL, log, lin)


def _check_scale(mel_scale: str) -> None:
    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f"sonix: mel_scale must be 'htk' or 'slaney', got {mel_scale!r}")


def _triangles(all_freqs: torch.Tensor, f_pts: torch.Tensor) -> torch.Tensor:
    """(n_freq, n_mels) triangular filters with corners at f_pts (n_mels + 2 points)."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


def _check_fb_args(n_mels: int, f_min: float, f_max: float, sample_rate: float) -> None:
    if isinstance(n_mels, bool) or not isinstance(n_mels, int) or n_mels < 1:
        raise ValueError(f"sonix: n_mels must be a positive integer, got {n_mels!r}")
    if not sample_rate > 0:
        raise ValueError(f"sonix: sample_rate must be > 0, got {sample_rate!r}")
    if f_min < 0:
        raise ValueError(f"sonix: f_min must be >= 0, got {f_min}")
    if f_max > sample_rate / 2 + 1e-9:
        raise ValueError(f"sonix: f_max must be <= sample_rate / 2 = {sample_rate / 2}, got {f_max}")
    if f_min >= f_max:
        raise ValueError(f"sonix: f_min must be < f_max, got f_min={f_min} and f_max={f_max}")


def _normalize(fb: torch.Tensor, f_pts: torch.Tensor, n_mels: int, norm) -> torch.Tensor:
    if norm is None:
        return fb
    if norm == "slaney":
        return fb * (2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels]))[None, :]
    if isinstance(norm, (int, float)) and not isinstance(norm, bool):
        return fb / torch.linalg.vector_norm(fb, ord=norm, dim=0, keepdim=True).clamp_min(1e-300)
    raise ValueError(f"sonix: norm must be None, 'slaney' or a number (p-norm), got {norm!r}")


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """torchaudio.functional.melscale_fbanks: a (n_freqs, n_mels) filterbank.

    Same conventions as torchaudio (bin frequencies ``linspace(0, sample_rate // 2, n_freqs)``,
    HTK scale and no normalisation by default).
    """
    _check_fb_args(n_mels, f_min, f_max, sample_rate)
    _check_scale(mel_scale)
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs, dtype=torch.float64, device=device)
    m = torch.linspace(
        float(hz_to_mel(torch.tensor(f_min), mel_scale)),
        float(hz_to_mel(torch.tensor(f_max), mel_scale)),
        n_mels + 2,
        dtype=torch.float64,
    )
    f_pts = mel_to_hz(m, mel_scale).to(device)
    fb = _normalize(_triangles(all_freqs, f_pts), f_pts, n_mels, norm)
    return fb.to(dtype)


def mel_filterbank(
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | float | None = "slaney",
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """librosa.filters.mel: a (n_mels, 1 + n_fft // 2) filterbank (librosa's layout and defaults).

    Slaney mel scale and Slaney area normalisation unless ``htk=True`` / ``norm=None``.
    """
    fmax = sr / 2.0 if fmax is None else float(fmax)
    _check_fb_args(n_mels, fmin, fmax, sr)
    scale = "htk" if htk else "slaney"
    # librosa.fft_frequencies (np.fft.rfftfreq): k * sr / n_fft, which stops short of sr / 2 for odd n_fft
    all_freqs = torch.arange(1 + n_fft // 2, dtype=torch.float64, device=device) * (float(sr) / n_fft)
    m = torch.linspace(
        float(hz_to_mel(torch.tensor(float(fmin)), scale)),
        float(hz_to_mel(torch.tensor(fmax), scale)),
        n_mels + 2,
        dtype=torch.float64,
    )
    f_pts = mel_to_hz(m, scale).to(device)
    fb = _normalize(_triangles(all_freqs, f_pts), f_pts, n_mels, norm)
    return fb.t().contiguous().to(dtype)


def create_dct(
    n_mfcc: int,
    n_mels: int,
    norm: str | None = "ortho",
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """torchaudio.functional.create_dct: (n_mels, n_mfcc) DCT-II matrix, ``norm`` None or "ortho"."""
    if norm not in (None, "ortho"):
        raise ValueError(f"sonix: norm must be None or 'ortho', got {norm!r}")
    if n_mfcc < 1 or n_mfcc > n_mels:
        raise ValueError(f"sonix: n_mfcc must be in [1, n_mels={n_mels}], got {n_mfcc}")
    n = torch.arange(n_mels, dtype=torch.float64, device=device)
    k = torch.arange(n_mfcc, dtype=torch.float64, device=device)[:, None]
    dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)  # (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct = dct * math.sqrt(2.0 / n_mels)
    return dct.t().contiguous().to(dtype)
