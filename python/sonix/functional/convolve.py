"""Linear convolution along the last dim with scipy.signal's modes ("full", "same", "valid").

``fftconvolve(x, h)`` / ``convolve(x, h)``: x (..., n) and h (..., m) with broadcastable leading dims
(one kernel per example, e.g. a room impulse response per utterance, or one kernel for all);
float16 / bfloat16 / float32 / float64 on CPU or CUDA (half precision computed in float32, result in
the promoted dtype). Short kernels use a direct grouped convolution; long ones FFT overlap-add in
blocks (memory ~2x the signal). Autograd w.r.t. both inputs; torch.compile(fullgraph=True).
"""

from __future__ import annotations

import torch

from ..ops import convolve as _cv  # noqa: F401  (fake kernels and autograd)
from ..ops._checks import check_audio, check_same_device

_ops = torch.ops.sonix

_MODES = ("full", "same", "valid")
_METHODS = {"auto": 0, "direct": 1, "fft": 2}


def _convolve(x: torch.Tensor, h: torch.Tensor, mode: str, method: str) -> torch.Tensor:
    check_audio(x, "x")
    check_audio(h, "h")
    check_same_device(x, "x", h, "h")
    if mode not in _MODES:
        raise ValueError(f"sonix: mode must be one of {_MODES}, got {mode!r}")
    if method not in _METHODS:
        raise ValueError(f"sonix: method must be one of {tuple(_METHODS)}, got {method!r}")
    n, m = x.shape[-1], h.shape[-1]
    try:
        lead = torch.broadcast_shapes(x.shape[:-1], h.shape[:-1])
    except RuntimeError as exc:
        raise ValueError(
            f"sonix: the leading dims of x {tuple(x.shape)} and h {tuple(h.shape)} must broadcast"
        ) from exc
    rows = x.expand(lead + (n,)).reshape(-1, n)
    if h.shape[:-1].numel() == 1:
        taps = h.reshape(1, m)
    else:
        taps = h.expand(lead + (m,)).reshape(-1, m)
    y = _ops.fftconvolve(rows, taps, _METHODS[method])
    if mode == "same":
        y = y[:, (m - 1) // 2 : (m - 1) // 2 + n]
    elif mode == "valid":
        if n < m:  # scipy swaps the operands so the longer one slides
            y = y[:, n - 1 : m]
        else:
            y = y[:, m - 1 : n]
    return y.reshape(lead + y.shape[-1:])


def fftconvolve(x: torch.Tensor, h: torch.Tensor, mode: str = "full") -> torch.Tensor:
    """Convolution of x (..., n) with h (..., m) along the last dim by FFT (overlap-add in blocks for
    long signals). ``mode`` as scipy.signal.fftconvolve: "full" (n + m - 1), "same" (n, centred on
    the full output), "valid" (max(n, m) - min(n, m) + 1)."""
    return _convolve(x, h, mode, "fft")


def convolve(
    x: torch.Tensor, h: torch.Tensor, mode: str = "full", method: str = "auto"
) -> torch.Tensor:
    """As :func:`fftconvolve`, with ``method`` "auto" (direct for kernels of <= 48 taps, FFT
    otherwise), "direct" or "fft"."""
    return _convolve(x, h, mode, method)
