"""Functional STFT / iSTFT / spectrogram / mel / MFCC on the fused sonix ops.

Every function accepts any leading batch dims (..., time), float16 / bfloat16 / float32 / float64
input on CPU or CUDA (half precision is computed in float32), supports autograd with respect to the
signal, and traces under ``torch.compile(fullgraph=True)`` with dynamic lengths.
"""

from __future__ import annotations

import torch

from .._dtypes import compute_dtype
from ..ops import spectral as _sp
from ..ops._checks import check_audio, check_positive_int, check_same_device
from .db import apply_top_db
from .filterbanks import create_dct, melscale_fbanks

_ops = torch.ops.sonix

_PAD_MODES = ("reflect", "constant", "replicate", "circular")


def _frame_args(n_fft: int, hop_length: int | None, win_length: int | None, default_hop) -> tuple[int, int, int]:
    check_positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else check_positive_int(win_length, "win_length")
    if win_length > n_fft:
        raise ValueError(f"sonix: win_length must be <= n_fft={n_fft}, got {win_length}")
    hop_length = default_hop(n_fft, win_length) if hop_length is None else hop_length
    check_positive_int(hop_length, "hop_length")
    return n_fft, hop_length, win_length


def _check_pad_mode(pad_mode: str) -> None:
    if pad_mode not in _PAD_MODES:
        raise ValueError(f"sonix: pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")


def prepare_window(
    window: torch.Tensor | None,
    win_length: int,
    n_fft: int,
    like: torch.Tensor,
    scale: float = 1.0,
) -> torch.Tensor:
    """An n_fft-long window in the compute dtype on ``like``'s device: a window of win_length samples
    (ones when None) zero-padded on both sides as torch.stft does, times ``scale``."""
    dtype = compute_dtype(like.dtype)
    if window is None:
        window = torch.ones(win_length, dtype=dtype, device=like.device)
    else:
        if not isinstance(window, torch.Tensor) or window.dim() != 1:
            raise ValueError(
                f"sonix: window must be a 1-D tensor, got {getattr(window, 'shape', type(window).__name__)}"
            )
        if window.shape[0] != win_length:
            raise ValueError(f"sonix: window must have win_length={win_length} samples, got {window.shape[0]}")
        if not window.is_floating_point():
            raise TypeError(f"sonix: window must be floating point, got {window.dtype}")
        check_same_device(window, "window", like, "input")
        window = window.to(dtype)
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        window = torch.nn.functional.pad(window, (left, n_fft - win_length - left))
    return window * scale if scale != 1.0 else window


def _flatten(x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
    return x.reshape(-1, x.shape[-1]), tuple(x.shape[:-1])


def stft(
    input: torch.Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: torch.Tensor | None = None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: bool | None = None,
    return_complex: bool = True,
) -> torch.Tensor:
    """Short-time Fourier transform with the semantics of ``torch.stft``.

    Args:
        input: real signal (..., time), float16/bfloat16/float32/float64, CPU or CUDA.
    Returns:
        complex (..., n_freq, n_frames) (complex128 for float64 input, else complex64), or the
        ``view_as_real`` of it when ``return_complex=False``. Reflect padding mirrors repeatedly, as
        numpy does, so signals shorter than n_fft // 2 work. Autograd w.r.t. ``input``; compiles.
    """
    check_audio(input, "input")
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length, lambda n, w: n // 4)
    _check_pad_mode(pad_mode)
    onesided = True if onesided is None else onesided
    w = prepare_window(window, win_length, n_fft, input, n_fft**-0.5 if normalized else 1.0)
    x, lead = _flatten(input)
    out = _ops.stft(x, w, n_fft, hop_length, center, pad_mode, onesided)
    out = out.reshape(lead + out.shape[1:])
    return out if return_complex else torch.view_as_real(out)


def istft(
    input: torch.Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: torch.Tensor | None = None,
    center: bool = True,
    normalized: bool = False,
    onesided: bool | None = None,
    length: int | None = None,
    return_complex: bool = False,
) -> torch.Tensor:
    """Inverse STFT with the semantics of ``torch.istft`` (real output).

    Args:
        input: complex (..., n_freq, n_frames) spectrogram.
    Returns:
        real (..., length) signal (float64 for complex128 input, else float32). Autograd w.r.t.
        ``input``; compiles. On CUDA the NOLA check is skipped (it would need a host sync).
    """
    if not isinstance(input, torch.Tensor) or not input.is_complex():
        raise TypeError(
            f"sonix: input must be a complex tensor (..., n_freq, n_frames), got "
            f"{getattr(input, 'dtype', type(input).__name__)}"
        )
    if input.dim() < 2 or input.numel() == 0:
        raise ValueError(f"sonix: input must be a non-empty (..., n_freq, n_frames) tensor, got {tuple(input.shape)}")
    if return_complex:
        raise ValueError("sonix: istft supports real output only (return_complex=False)")
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length, lambda n, w: w // 4)
    if onesided is None:
        onesided = input.shape[-2] != n_fft or n_fft <= 2
    if length is not None:
        check_positive_int(length, "length")
    w = prepare_window(window, win_length, n_fft, input, n_fft**-0.5 if normalized else 1.0)
    lead = tuple(input.shape[:-2])
    spec = input.reshape((-1,) + tuple(input.shape[-2:]))
    y = _ops.istft(spec, w, n_fft, hop_length, center, onesided, -1 if length is None else length)
    return y.reshape(lead + y.shape[-1:])


def _window_norm_scale(normalized, window: torch.Tensor, n_fft: int) -> float | torch.Tensor:
    """torchaudio's ``normalized``: True / "window" divides by the window's L2 norm, "frame_length"
    by sqrt(n_fft) (``torch.stft(normalized=True)``, whose frame length is n_fft, not win_length).
    Folded into the window so the fused op needs no extra pass."""
    if normalized is False or normalized is None:
        return 1.0
    if normalized is True or normalized == "window":
        return 1.0 / window.pow(2).sum().sqrt()
    if normalized == "frame_length":
        return n_fft**-0.5
    raise ValueError(f"sonix: normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")


def _fused(
    waveform: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    window: torch.Tensor | None,
    center: bool,
    pad_mode: str,
    power: float,
    normalized,
    mel_fb: torch.Tensor | None,
    log: _sp.LogSpec | None,
) -> torch.Tensor:
    check_audio(waveform)
    _check_pad_mode(pad_mode)
    if not (isinstance(power, (int, float)) and power > 0):
        raise ValueError(f"sonix: power must be a positive number for a magnitude spectrogram, got {power!r}")
    w = prepare_window(window, win_length, n_fft, waveform)
    scale = _window_norm_scale(normalized, w, n_fft)
    if not (isinstance(scale, float) and scale == 1.0):
        w = w * scale
    if mel_fb is not None:
        check_same_device(mel_fb, "mel_fb", waveform, "waveform")
        if mel_fb.dim() != 2 or mel_fb.shape[0] != n_fft // 2 + 1:
            raise ValueError(
                f"sonix: mel_fb must have shape (n_fft // 2 + 1 = {n_fft // 2 + 1}, n_mels), got {tuple(mel_fb.shape)}"
            )
    x, lead = _flatten(waveform)
    log_args = log.args() if log is not None else _sp.NO_LOG
    y = _ops.mel_spectrogram(x, w, mel_fb, n_fft, hop_length, center, pad_mode, float(power), *log_args)
    return y.reshape(lead + y.shape[1:])


def spectrogram(
    waveform: torch.Tensor,
    n_fft: int = 400,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: torch.Tensor | None = None,
    power: float | None = 2.0,
    normalized: bool | str = False,
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
    pad: int = 0,
) -> torch.Tensor:
    """Spectrogram as ``torchaudio.transforms.Spectrogram`` computes it (hop defaults to win_length // 2).

    Returns (..., n_fft // 2 + 1, n_frames): ``|STFT|^power`` in the input dtype from the fused op, or
    the complex STFT when ``power`` is None.
    """
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length, lambda n, w: w // 2)
    if pad:
        waveform = torch.nn.functional.pad(waveform, (pad, pad))
    if power is None:
        check_audio(waveform)
        w = prepare_window(window, win_length, n_fft, waveform)
        w = w * _window_norm_scale(normalized, w, n_fft)
        x, lead = _flatten(waveform)
        out = _ops.stft(x, w, n_fft, hop_length, center, pad_mode, onesided)
        return out.reshape(lead + out.shape[1:])
    if not onesided:
        raise ValueError("sonix: onesided=False is supported only with power=None (complex output)")
    return _fused(waveform, n_fft, hop_length, win_length, window, center, pad_mode, power, normalized, None, None)


def mel_spectrogram(
    waveform: torch.Tensor,
    sample_rate: int = 16000,
    n_fft: int = 400,
    win_length: int | None = None,
    hop_length: int | None = None,
    f_min: float = 0.0,
    f_max: float | None = None,
    n_mels: int = 128,
    window: torch.Tensor | None = None,
    power: float = 2.0,
    normalized: bool | str = False,
    center: bool = True,
    pad_mode: str = "reflect",
    norm: str | None = None,
    mel_scale: str = "htk",
    mel_fb: torch.Tensor | None = None,
    log: _sp.LogSpec | None = None,
    top_db: float | None = None,
) -> torch.Tensor:
    """Mel spectrogram in one fused pass (frame, window, FFT, power, sparse mel, optional log).

    Defaults follow ``torchaudio.transforms.MelSpectrogram``. ``mel_fb`` (n_freq, n_mels) overrides
    the filterbank built from sample_rate / f_min / f_max / n_mels / norm / mel_scale. ``log`` (a
    :class:`sonix.ops.spectral.LogSpec`) fuses a log / dB; ``top_db`` then clamps each example's
    (..., n_mels, n_frames) spectrogram to its own max minus top_db.

    Returns (..., n_mels, n_frames) in the input dtype. Autograd w.r.t. the waveform; compiles.
    """
    n_fft, hop_length, win_length = _frame_args(n_fft, hop_length, win_length, lambda n, w: w // 2)
    if mel_fb is None:
        f_max = float(sample_rate) / 2 if f_max is None else f_max
        mel_fb = melscale_fbanks(
            n_fft // 2 + 1,
            f_min,
            f_max,
            n_mels,
            sample_rate,
            norm,
            mel_scale,
            dtype=compute_dtype(waveform.dtype) if isinstance(waveform, torch.Tensor) else torch.float32,
            device=waveform.device if isinstance(waveform, torch.Tensor) else None,
        )
    y = _fused(waveform, n_fft, hop_length, win_length, window, center, pad_mode, power, normalized, mel_fb, log)
    return apply_top_db(y, top_db) if top_db is not None else y


def mfcc_from_db(db_mel: torch.Tensor, dct_mat: torch.Tensor, lifter: float = 0.0) -> torch.Tensor:
    """MFCCs from a (..., n_mels, n_frames) log-mel spectrogram: DCT-II over mels (``dct_mat``
    (n_mels, n_mfcc) from :func:`create_dct`), then librosa's sinusoidal lifter when ``lifter > 0``."""
    out = torch.matmul(db_mel.transpose(-1, -2), dct_mat.to(db_mel.dtype)).transpose(-1, -2)
    if lifter > 0:
        n_mfcc = dct_mat.shape[1]
        k = torch.arange(1, n_mfcc + 1, dtype=torch.float64, device=out.device)
        li = 1.0 + (lifter / 2.0) * torch.sin(torch.pi * k / lifter)
        out = out * li.to(out.dtype)[:, None]
    elif lifter < 0:
        raise ValueError(f"sonix: lifter must be >= 0, got {lifter}")
    return out


def mfcc(
    waveform: torch.Tensor,
    sample_rate: int = 16000,
    n_mfcc: int = 40,
    dct_norm: str | None = "ortho",
    log_mels: bool = False,
    lifter: float = 0.0,
    top_db: float | None = 80.0,
    **mel_kwargs,
) -> torch.Tensor:
    """MFCC as ``torchaudio.transforms.MFCC`` computes it: dB (power, top_db 80 per example) or
    ln(mel + 1e-6) (``log_mels=True``) mel spectrogram from the fused op, then an ortho DCT-II.

    Returns (..., n_mfcc, n_frames) in the input dtype. Autograd; compiles.
    """
    n_mels = mel_kwargs.get("n_mels", 128)
    if log_mels:
        log = _sp.LogSpec.log("e", amin=0.0, offset=1e-6)
        top_db = None
    else:
        log = _sp.LogSpec.db(10.0, 1e-10, 1.0)
    db_mel = mel_spectrogram(waveform, sample_rate, log=log, top_db=top_db, **mel_kwargs)
    dct = create_dct(n_mfcc, n_mels, dct_norm, dtype=compute_dtype(db_mel.dtype), device=db_mel.device)
    return mfcc_from_db(db_mel, dct, lifter)
