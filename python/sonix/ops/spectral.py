"""Python side of the spectral custom ops: fake (meta) kernels, autograd, and thin 2-D wrappers.

The C++ ops take (batch, time) inputs and an n_fft-long window with any normalisation folded in;
everything here is shape bookkeeping so the ops trace under torch.compile(fullgraph=True).
Backward passes are custom ops themselves (``sonix::*_backward``), so they trace too.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


def _complex_of(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def _real_of(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype in (torch.float64, torch.complex128) else torch.float32


def _n_frames(length, n_fft: int, hop: int, center: bool):
    pad = n_fft // 2 if center else 0
    return 1 + (length + 2 * pad - n_fft) // hop


def _n_freq(n_fft: int, onesided: bool) -> int:
    return n_fft // 2 + 1 if onesided else n_fft


# ---- stft ---------------------------------------------------------------------------------------


@torch.library.register_fake("sonix::stft")
def _stft_fake(input, window, n_fft, hop_length, center, pad_mode, onesided):
    rows, length = input.shape
    n_frames = _n_frames(length, n_fft, hop_length, center)
    out = input.new_empty((rows, n_frames, _n_freq(n_fft, onesided)), dtype=_complex_of(input.dtype))
    return out.transpose(1, 2)


@torch.library.register_fake("sonix::stft_backward")
def _stft_backward_fake(grad, window, n_fft, hop_length, center, pad_mode, onesided, length):
    return grad.new_empty((grad.shape[0], length), dtype=_real_of(grad.dtype))


def _stft_setup(ctx, inputs, output):
    input, window, n_fft, hop_length, center, pad_mode, onesided = inputs
    ctx.save_for_backward(window)
    ctx.args = (n_fft, hop_length, center, pad_mode, onesided)
    ctx.length = input.shape[1]
    ctx.dtype = input.dtype


def _stft_backward(ctx, grad):
    (window,) = ctx.saved_tensors
    gx = _ops.stft_backward(grad, window, *ctx.args, ctx.length)
    return gx.to(ctx.dtype), None, None, None, None, None, None


torch.library.register_autograd("sonix::stft", _stft_backward, setup_context=_stft_setup)


# ---- istft --------------------------------------------------------------------------------------


def _istft_out_len(n_frames, n_fft: int, hop: int, center: bool, length: int):
    if length >= 0:
        return length
    return n_fft + hop * (n_frames - 1) - (2 * (n_fft // 2) if center else 0)


@torch.library.register_fake("sonix::istft")
def _istft_fake(input, window, n_fft, hop_length, center, onesided, length):
    rows, _, n_frames = input.shape
    out_len = _istft_out_len(n_frames, n_fft, hop_length, center, length)
    return input.new_empty((rows, out_len), dtype=_real_of(input.dtype))


@torch.library.register_fake("sonix::istft_backward")
def _istft_backward_fake(grad, window, n_fft, hop_length, center, onesided, n_frames):
    out = grad.new_empty((grad.shape[0], n_frames, _n_freq(n_fft, onesided)), dtype=_complex_of(grad.dtype))
    return out.transpose(1, 2)


def _istft_setup(ctx, inputs, output):
    input, window, n_fft, hop_length, center, onesided, length = inputs
    ctx.save_for_backward(window)
    ctx.args = (n_fft, hop_length, center, onesided)
    ctx.n_frames = input.shape[2]
    ctx.dtype = input.dtype


def _istft_backward(ctx, grad):
    (window,) = ctx.saved_tensors
    gs = _ops.istft_backward(grad, window, *ctx.args, ctx.n_frames)
    return gs.to(ctx.dtype), None, None, None, None, None, None


torch.library.register_autograd("sonix::istft", _istft_backward, setup_context=_istft_setup)


# ---- fused spectrogram / mel / log ---------------------------------------------------------------


@torch.library.register_fake("sonix::mel_spectrogram")
def _mel_fake(input, window, mel_fb, n_fft, hop_length, center, pad_mode, power, log, scale, offset, amin, bias):
    rows, length = input.shape
    n_out = mel_fb.shape[1] if mel_fb is not None else n_fft // 2 + 1
    return input.new_empty((rows, n_out, _n_frames(length, n_fft, hop_length, center)))


@torch.library.register_fake("sonix::mel_spectrogram_backward")
def _mel_backward_fake(grad, input, window, mel_fb, n_fft, hop_length, center, pad_mode, power, log, *rest):
    return input.new_empty(input.shape, dtype=_real_of(input.dtype))


def _mel_setup(ctx, inputs, output):
    input, window, mel_fb, *args = inputs
    ctx.save_for_backward(input, window, mel_fb)
    ctx.args = args


def _mel_backward(ctx, grad):
    input, window, mel_fb = ctx.saved_tensors
    gx = _ops.mel_spectrogram_backward(grad, input, window, mel_fb, *ctx.args)
    return (gx.to(input.dtype),) + (None,) * 12


torch.library.register_autograd("sonix::mel_spectrogram", _mel_backward, setup_context=_mel_setup)


# ---- elementwise log compression -----------------------------------------------------------------


@torch.library.register_fake("sonix::log_compress")
def _log_compress_fake(input, scale, offset, amin, bias):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


@torch.library.register_fake("sonix::log_compress_backward")
def _log_compress_backward_fake(grad, input, scale, offset, amin, bias):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


def _log_compress_setup(ctx, inputs, output):
    input, *args = inputs
    ctx.save_for_backward(input)
    ctx.args = args


def _log_compress_backward(ctx, grad):
    (input,) = ctx.saved_tensors
    return _ops.log_compress_backward(grad, input, *ctx.args), None, None, None, None


torch.library.register_autograd("sonix::log_compress", _log_compress_backward, setup_context=_log_compress_setup)


# ---- log specification shared by the functional API ----------------------------------------------

_LN10 = 2.302585092994046


@dataclass(frozen=True)
class LogSpec:
    """y = scale * ln(max(v + offset, amin)) + bias, the form every log the ops fuse takes."""

    scale: float
    offset: float = 0.0
    amin: float = 0.0
    bias: float = 0.0

    @staticmethod
    def db(multiplier: float = 10.0, amin: float = 1e-10, ref: float = 1.0) -> LogSpec:
        """``multiplier * log10(max(v, amin)) - multiplier * log10(max(amin, ref))`` (librosa's dB)."""
        import math

        if amin <= 0:
            raise ValueError(f"sonix: amin must be > 0, got {amin}")
        if not ref > 0:
            raise ValueError(f"sonix: ref must be > 0, got {ref}")
        return LogSpec(multiplier / _LN10, 0.0, amin, -multiplier * math.log10(max(amin, ref)))

    @staticmethod
    def log(base: str = "e", amin: float = 1e-10, offset: float = 0.0) -> LogSpec:
        """``log_base(max(v + offset, amin))`` for base "e" or "10"."""
        if base not in ("e", "10"):
            raise ValueError(f"sonix: log base must be 'e' or '10', got {base!r}")
        if amin < 0:
            raise ValueError(f"sonix: amin must be >= 0, got {amin}")
        return LogSpec(1.0 if base == "e" else 1.0 / _LN10, offset, amin, 0.0)

    def args(self) -> tuple[bool, float, float, float, float]:
        return (True, float(self.scale), float(self.offset), float(self.amin), float(self.bias))


NO_LOG = (False, 1.0, 0.0, 0.0, 0.0)
