"""librosa.feature: ``melspectrogram`` and ``mfcc``, on the fused sonix mel op."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ... import functional as F
from ...ops.spectral import LogSpec
from ._common import (
    ArrayLike,
    as_tensor,
    check_positive_int,
    frame_padding,
    get_window,
    real_float,
    to_output,
)
from .filters import mel as _mel

__all__ = ["melspectrogram", "mfcc"]


def _mel_basis(sr: float, n_fft: int, like: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    """librosa.filters.mel(sr, n_fft, **kwargs) in its ``dtype`` (float32 by default, as librosa),
    then in ``like``'s dtype and device: (n_mels, n_freq)."""
    dtype = kwargs.pop("dtype", np.float32)
    fb = torch.from_numpy(_mel(sr=sr, n_fft=n_fft, dtype=dtype, **kwargs))
    return fb.to(like.device, like.dtype if like.dtype == torch.float64 else torch.float32)


def _fused_mel(
    y: ArrayLike,
    sr: float,
    n_fft: int,
    hop_length: int,
    win_length: int | None,
    window: Any,
    center: bool,
    pad_mode: str,
    power: float,
    log: LogSpec | None,
    mel_kwargs: dict,
) -> tuple[torch.Tensor, bool]:
    x, was_numpy = as_tensor(y, "y")
    x = real_float(x)
    n_fft = check_positive_int(n_fft, "n_fft")
    hop_length = check_positive_int(hop_length, "hop_length")
    win_length = n_fft if win_length is None else win_length
    fb = _mel_basis(sr, n_fft, x, **mel_kwargs)
    w = get_window(window, win_length).to(x.device)
    x, centered, op_pad = frame_padding(x, n_fft, center, pad_mode)
    S = F.mel_spectrogram(
        x,
        n_fft=n_fft,
        win_length=win_length,
        hop_length=hop_length,
        window=w,
        power=power,
        center=centered,
        pad_mode=op_pad,
        mel_fb=fb.t(),
        log=log,
    )
    return S, was_numpy


def melspectrogram(
    *,
    y: ArrayLike | None = None,
    sr: float = 22050,
    S: ArrayLike | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    **kwargs: Any,
) -> Any:
    """librosa.feature.melspectrogram: (..., n_mels, n_frames) mel spectrogram of ``y`` (..., n), or
    the mel projection of a given spectrogram ``S`` (..., 1 + n_fft // 2, n_frames).

    librosa 0.11's defaults (sr 22050, n_fft 2048, hop 512, Hann, centred, zero padding, power 2);
    ``kwargs`` go to :func:`sonix.compat.librosa.filters.mel` (n_mels, fmin, fmax, htk, norm, dtype).
    From ``y`` the whole chain (frame, window, FFT, power, mel) is one fused sonix op. The filterbank
    is rounded to its ``dtype`` (float32) first, exactly as librosa, also for float64 input.

    numpy in -> numpy out (float32 for float32 input, float64 for float64); a tensor in -> a tensor
    on its device (autograd with respect to y or S, torch.compile).
    """
    if S is not None:
        spec, was_numpy = as_tensor(S, "S")
        spec = real_float(spec)
        if n_fft is None or n_fft // 2 + 1 != spec.shape[-2]:
            n_fft = 2 * (spec.shape[-2] - 1)
        fb = _mel_basis(sr, n_fft, spec, **kwargs).to(
            torch.promote_types(spec.dtype, torch.float32)
        )
        out = torch.matmul(fb, spec.to(fb.dtype))
        return to_output(out, was_numpy)
    if y is None:
        raise ValueError("sonix: input signal must be provided to compute a spectrogram")
    out, was_numpy = _fused_mel(
        y, sr, n_fft, hop_length, win_length, window, center, pad_mode, power, None, kwargs
    )
    return to_output(out, was_numpy)


def _dct_matrix(n_mfcc: int, n_mels: int, norm: str | None, like: torch.Tensor) -> torch.Tensor:
    """(n_mels, min(n_mfcc, n_mels)) matrix of scipy.fft.dct(type=2, norm=norm) along the mel axis."""
    n_keep = min(n_mfcc, n_mels)
    if norm in (None, "backward", "ortho"):
        dct = F.create_dct(
            n_keep, n_mels, "ortho" if norm == "ortho" else None, dtype=torch.float64
        )
    elif norm == "forward":
        dct = F.create_dct(n_keep, n_mels, None, dtype=torch.float64) / (2.0 * n_mels)
    else:
        raise ValueError(
            f"sonix: norm must be None, 'backward', 'ortho' or 'forward', got {norm!r}"
        )
    return dct.to(like.device, like.dtype)


def mfcc(
    *,
    y: ArrayLike | None = None,
    sr: float = 22050,
    S: ArrayLike | None = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: str | None = "ortho",
    lifter: float = 0,
    mel_norm: str | float | None = "slaney",
    **kwargs: Any,
) -> Any:
    """librosa.feature.mfcc: (..., n_mfcc, n_frames) MFCCs of ``y`` (..., n), or of a log-power mel
    spectrogram ``S`` (..., n_mels, n_frames).

    From ``y``: ``power_to_db(melspectrogram(y=y, sr=sr, norm=mel_norm, **kwargs))`` with the dB
    fused into the mel op and top_db 80 below the max of the WHOLE array (as librosa), then a
    DCT-II along the mel axis (``norm`` None / "ortho" / "backward" / "forward") and librosa's
    sinusoidal ``lifter``. Only ``dct_type=2`` is supported (ValueError otherwise).

    numpy in -> numpy out in the input's float dtype; a tensor in -> a tensor on its device
    (autograd, torch.compile).
    """
    if dct_type != 2:
        raise ValueError(f"sonix: only dct_type=2 is supported, got dct_type={dct_type!r}")
    if lifter < 0:
        raise ValueError(f"sonix: MFCC lifter={lifter} must be a non-negative number")
    if S is None:
        if y is None:
            raise ValueError("sonix: input signal must be provided to compute a spectrogram")
        mel_keys = ("n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "power")
        spec_kw = {k: kwargs.pop(k) for k in mel_keys if k in kwargs}
        spec_kw = {
            "n_fft": 2048,
            "hop_length": 512,
            "win_length": None,
            "window": "hann",
            "center": True,
            "pad_mode": "constant",
            "power": 2.0,
            **spec_kw,
        }
        db, was_numpy = _fused_mel(
            y,
            sr,
            log=LogSpec.db(10.0, 1e-10, 1.0),
            mel_kwargs={"norm": mel_norm, **kwargs},
            **spec_kw,
        )
        db = torch.maximum(db, db.amax() - 80.0)
    else:
        db, was_numpy = as_tensor(S, "S")
        db = real_float(db)
    dct = _dct_matrix(n_mfcc, db.shape[-2], norm, db)
    M = torch.matmul(dct.t(), db)
    if lifter > 0:
        k = torch.arange(1, dct.shape[1] + 1, dtype=torch.float64, device=M.device)
        M = M * (1.0 + (lifter / 2.0) * torch.sin(math.pi * k / lifter)).to(M.dtype)[:, None]
    return to_output(M, was_numpy)
