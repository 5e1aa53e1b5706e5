"""librosa.stft / istft / power_to_db / amplitude_to_db with librosa 0.11's signatures, on sonix ops."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

from ... import functional as F
from ._common import (
    ArrayLike,
    as_tensor,
    check_positive_int,
    frame_padding,
    get_window,
    pad_center,
    real_float,
    to_output,
    torch_dtype,
    window_sumsquare,
)

__all__ = ["amplitude_to_db", "istft", "power_to_db", "stft"]

_log_compress = torch.ops.sonix.log_compress
_LN10 = math.log(10.0)


def _complex_of(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def _write_out(result: torch.Tensor, out: Any, was_numpy: bool) -> Any:
    """librosa's ``out=``: fill out (or its leading frames when it is longer) and return that view."""
    if out is None:
        return to_output(result, was_numpy)
    if tuple(out.shape[:-1]) != tuple(result.shape[:-1]) or out.shape[-1] < result.shape[-1]:
        raise ValueError(
            f"sonix: shape mismatch for provided output array out.shape={tuple(out.shape)} and target shape={tuple(result.shape)}"
        )
    view = out[..., : result.shape[-1]]
    if isinstance(out, torch.Tensor):
        view.copy_(result)
    else:
        view[...] = result.detach().cpu().numpy()
    return view


def stft(
    y: ArrayLike,
    *,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    dtype: Any = None,
    pad_mode: str = "constant",
    out: Any = None,
) -> Any:
    """librosa.stft: complex (..., 1 + n_fft // 2, n_frames) STFT of a real (..., n) signal.

    Same defaults as librosa 0.11: ``win_length`` n_fft, ``hop_length`` win_length // 4, periodic
    Hann window, centred frames with zero ("constant") padding. ``window`` may be a name (see
    :func:`sonix.compat.librosa.filters.get_window`), a callable, or an array / tensor of win_length.
    ``pad_mode``: "constant", "reflect", "edge", "symmetric", "linear_ramp" or "empty" (zeros).

    numpy in -> numpy out (complex64 for float32, complex128 for float64, or ``dtype``); a tensor
    in -> a tensor on its device (autograd and torch.compile through the sonix stft op). A
    ``dtype`` of complex128 for float32 input computes in float64, as librosa does.
    """
    x, was_numpy = as_tensor(y, "y")
    x = real_float(x)
    win_length = n_fft if win_length is None else win_length
    hop_length = (
        win_length // 4 if hop_length is None else check_positive_int(hop_length, "hop_length")
    )
    out_dtype = torch_dtype(dtype) if dtype is not None else None
    if out_dtype is not None:
        if not out_dtype.is_complex:
            raise TypeError(f"sonix: stft dtype must be complex, got {out_dtype}")
        if out_dtype == torch.complex128 and x.dtype != torch.float64:
            x = x.to(torch.float64)
    if center and n_fft > x.shape[-1]:
        warnings.warn(
            f"n_fft={n_fft} is too large for input signal of length={x.shape[-1]}", stacklevel=2
        )
    if not center and n_fft > x.shape[-1]:
        raise ValueError(
            f"sonix: n_fft={n_fft} is too large for uncentered analysis of input signal of length={x.shape[-1]}"
        )
    w = get_window(window, win_length).to(x.device)
    x, centered, op_pad = frame_padding(x, n_fft, center, pad_mode)
    S = F.stft(x, n_fft, hop_length, win_length, w, centered, op_pad)
    if out_dtype is not None and S.dtype != out_dtype:
        S = S.to(out_dtype)
    return _write_out(S, out, was_numpy)


def _istft_overlap_add(
    spec: torch.Tensor, window: torch.Tensor, env: torch.Tensor, n_fft: int, hop_length: int
) -> torch.Tensor:
    """Plain-torch inverse (irfft, window, overlap-add, divide where the envelope exceeds tiny), for
    the window / hop combinations that the NOLA check of the sonix istft op refuses but librosa
    inverts anyway. (rows, n_freq, n_frames) -> (rows, n_fft + hop * (n_frames - 1))."""
    frames = torch.fft.irfft(spec, n=n_fft, dim=-2) * window[:, None]
    full = n_fft + hop_length * (spec.shape[-1] - 1)
    y = torch.nn.functional.fold(frames, (1, full), (1, n_fft), stride=(1, hop_length)).reshape(
        spec.shape[0], full
    )
    tiny = torch.finfo(y.dtype).tiny
    return torch.where(env > tiny, y / torch.where(env > tiny, env, 1.0), y)


def istft(
    stft_matrix: ArrayLike,
    *,
    hop_length: int | None = None,
    win_length: int | None = None,
    n_fft: int | None = None,
    window: Any = "hann",
    center: bool = True,
    dtype: Any = None,
    length: int | None = None,
    out: Any = None,
) -> Any:
    """librosa.istft: real (..., n) signal from a complex (..., 1 + n_fft // 2, n_frames) STFT.

    Defaults as librosa 0.11 (``n_fft`` 2 * (n_freq - 1), ``win_length`` n_fft, ``hop_length``
    win_length // 4, Hann, centred); ``length`` zero-pads or trims to exactly that many samples.
    Samples where the squared-window envelope vanishes are left undivided (librosa's rule): those
    window / hop / length combinations, which the sonix istft op's NOLA check refuses, go through a
    plain-torch overlap-add instead.

    numpy in -> numpy out (float32 for complex64, float64 for complex128, or ``dtype``); a tensor
    in -> a tensor on its device, with autograd.
    """
    spec, was_numpy = as_tensor(stft_matrix, "stft_matrix")
    if not spec.is_complex():
        spec = real_float(spec).to(_complex_of(real_float(spec).dtype))
    n_fft = 2 * (spec.shape[-2] - 1) if n_fft is None else n_fft
    win_length = n_fft if win_length is None else win_length
    hop_length = (
        win_length // 4 if hop_length is None else check_positive_int(hop_length, "hop_length")
    )
    length = length or None  # librosa: `if length:`
    w64 = pad_center(get_window(window, win_length), n_fft)
    n_frames = spec.shape[-1]
    if length is not None:
        padded = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, math.ceil(padded / hop_length))
        spec = spec[..., :n_frames]
    # the output samples the op divides by the envelope: [start, end) of the overlap-added signal
    full = n_fft + hop_length * (n_frames - 1)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (full - start if center else full)
    env64 = window_sumsquare(w64, n_frames, hop_length)
    nola_ok = bool(env64[start:end].min() > 1e-10) if end > start else True

    w = w64.to(spec.device)
    if nola_ok:
        y = F.istft(spec, n_fft, hop_length, n_fft, w, center, onesided=True, length=length)
    else:
        real = torch.float64 if spec.dtype == torch.complex128 else torch.float32
        lead = spec.shape[:-2]
        flat = spec.reshape((-1,) + tuple(spec.shape[-2:]))
        full_y = _istft_overlap_add(
            flat, w.to(real), env64.to(spec.device, real), n_fft, hop_length
        )
        n_out = length if length is not None else end - start
        y = full_y[:, start : start + n_out]
        if y.shape[-1] < n_out:
            y = torch.nn.functional.pad(y, (0, n_out - y.shape[-1]))
        y = y.reshape(tuple(lead) + (n_out,))
    if dtype is not None:
        y = y.to(torch_dtype(dtype))
    if out is not None:
        if tuple(out.shape) != tuple(y.shape):
            raise ValueError(
                f"sonix: shape mismatch for provided output array out.shape={tuple(out.shape)} != {tuple(y.shape)}"
            )
        return _write_out(y, out, was_numpy)
    return to_output(y, was_numpy)


def _db(
    S: ArrayLike, multiplier: float, ref: Any, amin: float, top_db: float | None, name: str
) -> Any:
    x, was_numpy = as_tensor(S, "S")
    if not amin > 0:
        raise ValueError("sonix: amin must be strictly positive")
    if x.is_complex():
        warnings.warn(
            f"{name} was called on complex input so phase information will be discarded.",
            stacklevel=3,
        )
        x = x.abs()
    elif multiplier == 20.0:
        x = x.abs()
    x = real_float(x)
    shape = x.shape
    flat = x.reshape(-1)
    if flat.numel() == 0:
        return to_output(x.clone(), was_numpy)
    if ref is np.max or ref is np.amax or ref is torch.max or ref is torch.amax:
        db = _log_compress(flat, multiplier / _LN10, 0.0, amin, 0.0)
        db = db - db.amax()  # log is monotonic: max of the dB is the dB of the (amin-clamped) max
    elif callable(ref):
        r = ref(to_output(x, was_numpy))  # librosa calls ref on the magnitude
        db = _log_compress(flat, multiplier / _LN10, 0.0, amin, 0.0)
        if isinstance(r, torch.Tensor):
            db = db - multiplier * torch.log10(r.abs().to(db.dtype).clamp_min(amin))
        else:
            db = db - multiplier * math.log10(max(amin, abs(float(r))))
    else:
        bias = -multiplier * math.log10(max(amin, abs(float(ref))))
        db = _log_compress(flat, multiplier / _LN10, 0.0, amin, bias)
    if top_db is not None:
        if top_db < 0:
            raise ValueError("sonix: top_db must be non-negative")
        db = torch.maximum(db, db.amax() - top_db)  # librosa: the max of the whole array
    return to_output(db.reshape(shape), was_numpy)


def power_to_db(
    S: ArrayLike, *, ref: Any = 1.0, amin: float = 1e-10, top_db: float | None = 80.0
) -> Any:
    """librosa.power_to_db: ``10 log10(max(S, amin) / max(amin, |ref|))``, then clamped to
    (max - top_db) where the max is over the WHOLE array (all channels / examples), as librosa does.

    ``ref`` may be a number or a callable (``np.max`` is computed on device without a host sync).
    Complex input is reduced to its magnitude with a warning. numpy in -> numpy out in the input
    dtype (float32 stays float32); a tensor in -> a tensor on its device (fused
    ``sonix::log_compress``, autograd, torch.compile).
    """
    return _db(S, 10.0, ref, amin, top_db, "power_to_db")


def amplitude_to_db(
    S: ArrayLike, *, ref: Any = 1.0, amin: float = 1e-5, top_db: float | None = 80.0
) -> Any:
    """librosa.amplitude_to_db: ``20 log10(max(|S|, amin) / max(amin, |ref|))``, clamped to (max -
    top_db) over the whole array. Same types, devices and properties as :func:`power_to_db`."""
    return _db(S, 20.0, ref, amin, top_db, "amplitude_to_db")
