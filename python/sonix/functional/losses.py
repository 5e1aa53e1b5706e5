"""Functional STFT and mel losses on the fused sonix ops.

* :func:`stft_loss` / :func:`multi_resolution_stft_loss`: auraloss's ``STFTLoss`` /
  ``MultiResolutionSTFTLoss`` (Parallel WaveGAN's multi-resolution STFT loss). One fused op per
  resolution frames, windows and transforms both signals block by block and returns four sums per
  example; the complex spectrograms of the batch never exist, forward or backward.
* :func:`multi_scale_mel_loss`: DAC's ``MelSpectrogramLoss`` (and BigVGAN's log-mel L1) on the fused
  mel op, which never holds the complex spectrogram either; only the (small) mel spectrograms exist.

Inputs: prediction and target of the same shape (..., time), float16 / bfloat16 / float32 / float64
(half precision computed in float32) on CPU or CUDA. Both may require grad. Outputs a scalar, float64
for float64 inputs and float32 otherwise. Traces under ``torch.compile(fullgraph=True)``.

Short signals: the centred STFT reflect-pads by n_fft // 2. Where the signal is not longer than that
pad, ``torch.stft`` (and so auraloss) raises; sonix mirrors repeatedly (numpy's and librosa's
reflect) and returns a finite loss.

Silent target: magnitudes are ``sqrt(max(re^2 + im^2, eps))`` with ``eps > 0`` required, so the
spectral-convergence denominator is at least ``sqrt(eps * n_bins)`` and never zero; the loss is
finite wherever auraloss's is (auraloss divides by zero only with ``eps = 0``, which sonix refuses).
When prediction and target are equal, the spectral-convergence gradient is 0 (as torch.norm's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .._dtypes import compute_dtype
from ..ops._checks import check_audio, check_positive_int, check_same_device
from .filterbanks import mel_filterbank
from .spectral import mel_spectrogram

_ops = torch.ops.sonix

_WINDOWS = ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window")


def _check_pair(input: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    check_audio(input, "input")
    check_audio(target, "target")
    if input.shape != target.shape:
        raise ValueError(
            f"sonix: input and target must have the same shape (..., time), got {tuple(input.shape)} "
            f"and {tuple(target.shape)}"
        )
    check_same_device(input, "input", target, "target")
    dtype = torch.promote_types(input.dtype, target.dtype)
    return input.to(dtype).reshape(-1, input.shape[-1]), target.to(dtype).reshape(
        -1, target.shape[-1]
    )


def _stft_window(
    window: str | torch.Tensor, win_length: int, n_fft: int, like: torch.Tensor
) -> torch.Tensor:
    dtype = compute_dtype(like.dtype)
    if isinstance(window, str):
        if window not in _WINDOWS:
            raise ValueError(
                f"sonix: window must be one of {_WINDOWS} or a 1-D tensor, got {window!r}"
            )
        w = getattr(torch, window)(win_length, dtype=dtype, device=like.device)
    elif isinstance(window, torch.Tensor) and window.dim() == 1 and window.shape[0] == win_length:
        check_same_device(window, "window", like, "input")
        w = window.to(dtype)
    else:
        raise ValueError(
            f"sonix: window must be a window name or a 1-D tensor of win_length={win_length} samples, "
            f"got {getattr(window, 'shape', window)!r}"
        )
    left = (n_fft - win_length) // 2
    return (
        torch.nn.functional.pad(w, (left, n_fft - win_length - left)) if win_length < n_fft else w
    )


def _safe_sqrt(v: torch.Tensor) -> torch.Tensor:
    # sqrt with a zero (not infinite) gradient at 0, as torch.norm's: equal signals give zero gradient.
    return v.clamp_min(torch.finfo(v.dtype).tiny).sqrt()


def stft_loss_terms(
    input: torch.Tensor,
    target: torch.Tensor,
    fft_size: int = 1024,
    hop_size: int = 256,
    win_length: int = 1024,
    window: str | torch.Tensor = "hann_window",
    eps: float = 1e-8,
    reduction: str = "mean",
    mag_distance: str = "L1",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three terms of one resolution: (spectral convergence, log-magnitude distance, linear-magnitude
    distance), scalars; the distances are means (``reduction="mean"``) or sums (``"sum"``) over
    (rows, bins, frames). One fused op call."""
    check_positive_int(fft_size, "fft_size")
    check_positive_int(hop_size, "hop_size")
    check_positive_int(win_length, "win_length")
    if win_length > fft_size:
        raise ValueError(f"sonix: win_length must be <= fft_size={fft_size}, got {win_length}")
    if reduction not in ("mean", "sum"):
        raise ValueError(
            f"sonix: reduction must be 'mean' or 'sum', got {reduction!r} ('none' is not supported)"
        )
    if mag_distance not in ("L1", "L2"):
        raise ValueError(f"sonix: mag_distance must be 'L1' or 'L2', got {mag_distance!r}")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"sonix: eps must be a positive finite number, got {eps!r}")
    x, y = _check_pair(input, target)
    w = _stft_window(window, win_length, fft_size, x)
    distance = 1 if mag_distance == "L1" else 2
    sums = _ops.stft_loss_sums(
        x, y, w, fft_size, hop_size, True, "reflect", float(eps), distance
    ).sum(0)
    sc = _safe_sqrt(sums[0]) / sums[1].sqrt()
    if reduction == "mean":
        n_frames = 1 + (x.shape[-1] + 2 * (fft_size // 2) - fft_size) // hop_size
        count = x.shape[0] * (fft_size // 2 + 1) * n_frames
        return sc, sums[2] / count, sums[3] / count
    return sc, sums[2], sums[3]


def stft_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    fft_size: int = 1024,
    hop_size: int = 256,
    win_length: int = 1024,
    window: str | torch.Tensor = "hann_window",
    w_sc: float = 1.0,
    w_log_mag: float = 1.0,
    w_lin_mag: float = 0.0,
    eps: float = 1e-8,
    reduction: str = "mean",
    mag_distance: str = "L1",
) -> torch.Tensor:
    """``auraloss.freq.STFTLoss`` of prediction ``input`` against ``target`` (both (..., time)).

    ``w_sc * ||Y| - |X||_F / ||Y||_F + w_log_mag * dist(log|X|, log|Y|) + w_lin_mag * dist(|X|, |Y|)``
    with ``|X| = sqrt(max(|STFT(x)|^2, eps))`` (window of win_length centred in fft_size, centred STFT,
    reflect padding) and dist the mean (or sum) of ``|u|`` ("L1") or ``u^2`` ("L2"). Returns a scalar
    (float64 for float64 inputs, else float32). Autograd w.r.t. both signals.
    """
    sc, log_mag, lin_mag = stft_loss_terms(
        input, target, fft_size, hop_size, win_length, window, eps, reduction, mag_distance
    )
    return w_sc * sc + w_log_mag * log_mag + w_lin_mag * lin_mag


def multi_resolution_stft_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    fft_sizes: Sequence[int] = (1024, 2048, 512),
    hop_sizes: Sequence[int] = (120, 240, 50),
    win_lengths: Sequence[int] = (600, 1200, 240),
    window: str | torch.Tensor = "hann_window",
    w_sc: float = 1.0,
    w_log_mag: float = 1.0,
    w_lin_mag: float = 0.0,
    eps: float = 1e-8,
    reduction: str = "mean",
    mag_distance: str = "L1",
) -> torch.Tensor:
    """``auraloss.freq.MultiResolutionSTFTLoss``: the mean of :func:`stft_loss` over the resolutions
    (defaults: Parallel WaveGAN's three). One fused op per resolution."""
    if not (len(fft_sizes) == len(hop_sizes) == len(win_lengths)) or len(fft_sizes) == 0:
        raise ValueError(
            "sonix: fft_sizes, hop_sizes and win_lengths must be non-empty and of the same length, got "
            f"{len(fft_sizes)}, {len(hop_sizes)} and {len(win_lengths)}"
        )
    total = None
    for n, h, wl in zip(fft_sizes, hop_sizes, win_lengths, strict=False):
        term = stft_loss(
            input,
            target,
            n,
            h,
            wl,
            window,
            w_sc,
            w_log_mag,
            w_lin_mag,
            eps,
            reduction,
            mag_distance,
        )
        total = term if total is None else total + term
    return total / len(fft_sizes)


def multi_scale_mel_loss(
    input: torch.Tensor,
    target: torch.Tensor,
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
    """DAC's ``MelSpectrogramLoss`` (defaults) of ``input`` against ``target`` (both (..., time)).

    Per scale: magnitude mel spectrograms ``M`` (periodic hann of the window length, hop
    ``window_length // 4`` unless given, centred reflect-padded STFT, librosa's Slaney mel filterbank
    from ``mel_fmin`` to ``mel_fmax`` (None: Nyquist)) of both signals from the fused mel op, then
    ``log_weight * mean|pow * log_b(max(Mx, clamp_eps)) - (same for My)| + mag_weight * mean|Mx - My|``;
    scales summed. BigVGAN's log-mel L1 is ``log_base="e", pow=1, mag_weight=0``. Returns a scalar;
    autograd w.r.t. both signals.
    """
    scales = len(window_lengths)
    hops = [w // 4 for w in window_lengths] if hop_lengths is None else list(hop_lengths)
    if scales == 0 or not (len(n_mels) == len(hops) == len(mel_fmin) == len(mel_fmax) == scales):
        raise ValueError(
            "sonix: n_mels, window_lengths, hop_lengths, mel_fmin and mel_fmax must be non-empty and of the same "
            f"length, got {len(n_mels)}, {scales}, {len(hops)}, {len(mel_fmin)} and {len(mel_fmax)}"
        )
    if log_base not in ("10", "e"):
        raise ValueError(f"sonix: log_base must be '10' or 'e', got {log_base!r}")
    if not (isinstance(clamp_eps, (int, float)) and clamp_eps > 0):
        raise ValueError(f"sonix: clamp_eps must be a positive number, got {clamp_eps!r}")
    x, y = _check_pair(input, target)
    rows = x.shape[0]
    dtype = compute_dtype(x.dtype)
    both = torch.cat([x, y]).to(
        dtype
    )  # half precision: mel in float32, not rounded to the input dtype
    log_scale = pow / math.log(10.0) if log_base == "10" else float(pow)
    loss = None
    for nm, wl, hop, lo, hi in zip(n_mels, window_lengths, hops, mel_fmin, mel_fmax, strict=False):
        check_positive_int(wl, "window_lengths[i]")
        fb = mel_filterbank(sample_rate, wl, nm, lo, hi, dtype=dtype, device=x.device).t()
        win = torch.hann_window(wl, dtype=dtype, device=x.device)
        m = mel_spectrogram(both, sample_rate, wl, hop_length=hop, window=win, power=1.0, mel_fb=fb)
        mx, my = m[:rows], m[rows:]
        term = mx.new_zeros(())
        if log_weight:
            lx = torch.log(mx.clamp(min=clamp_eps))
            ly = torch.log(my.clamp(min=clamp_eps))
            term = term + log_weight * (log_scale * (lx - ly)).abs().mean()
        if mag_weight:
            term = term + mag_weight * (mx - my).abs().mean()
        loss = term if loss is None else loss + term
    return loss
