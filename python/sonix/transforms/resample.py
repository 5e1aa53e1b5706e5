"""Resampling modules: a drop-in ``torchaudio.transforms.Resample`` and a streaming resampler.

``Resample`` takes torchaudio's constructor arguments with torchaudio's defaults (so it computes the
same filter and, up to rounding, the same output), plus ``quality`` to use a sonix preset instead.
The phase table is computed once and kept as the ``kernel`` buffer (a state_dict key, as in
torchaudio; a loaded ``kernel``, e.g. torchaudio's (new, 1, K) one, is ignored: the table is
rebuilt from the constructor arguments). CPU and CUDA, float16 / bfloat16 / float32 / float64 input (half precision
computed in float32), autograd, ``torch.compile(fullgraph=True)``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .._dtypes import compute_dtype
from ..functional.resample import (
    Plan,
    _rate,
    apply_plan,
    plan,
    resolve_filter,
    tap_table,
)
from ..ops._checks import check_audio

__all__ = ["Resample", "StreamingResampler"]


class Resample(torch.nn.Module):
    """Resamples the last dim of (..., time) signals from ``orig_freq`` to ``new_freq`` Hz.

    With no ``quality``, the filter is torchaudio's (``resampling_method`` "sinc_interp_hann" or
    "sinc_interp_kaiser", ``lowpass_filter_width``, ``rolloff``, ``beta``); with ``quality`` ("fast",
    "default", "best") the sonix preset. ``dtype``: the dtype of the cached table (default float32).
    """

    def __init__(
        self,
        orig_freq: int = 16000,
        new_freq: int = 16000,
        resampling_method: str = "sinc_interp_hann",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
        beta: float | None = None,
        *,
        dtype: torch.dtype | None = None,
        quality: str | None = None,
    ) -> None:
        super().__init__()
        self.orig_freq = _rate(orig_freq, "orig_freq")
        self.new_freq = _rate(new_freq, "new_freq")
        self.resampling_method = resampling_method
        self.lowpass_filter_width = lowpass_filter_width
        self.rolloff = rolloff
        self.beta = beta
        self.quality = quality
        if quality is None:
            filt = resolve_filter("default", lowpass_filter_width, rolloff, resampling_method, beta)
        else:
            filt = resolve_filter(quality)
        self._plan = plan(self.orig_freq, self.new_freq, filt)
        self.gcd = self.orig_freq // self._plan.orig
        if self.orig_freq != self.new_freq and self._plan.taps is not None:
            self.register_buffer("kernel", self._plan.taps.to(dtype or torch.float32))
        else:
            self.kernel = None

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ):
        # The table is a function of the constructor arguments: keep ours, accept any stored kernel.
        key = prefix + "kernel"
        if key in state_dict and self.kernel is not None:
            state_dict[key] = self.kernel.detach().clone()
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
        )

    def forward(self, waveform: Tensor) -> Tensor:
        """(..., time) -> (..., ceil(new_freq * time / orig_freq)), input dtype."""
        check_audio(waveform)
        if self.orig_freq == self.new_freq:
            return waveform
        shape = waveform.shape
        rows = waveform.reshape(-1, shape[-1])
        taps = None
        if self.kernel is not None:
            taps = self.kernel.to(device=rows.device, dtype=compute_dtype(rows.dtype))
        y = apply_plan(self._plan, rows, taps)
        return y.reshape(shape[:-1] + y.shape[-1:])


class StreamingResampler:
    """Resamples a stream fed in chunks of any sizes; the concatenated outputs of ``__call__`` and a
    final ``flush()`` equal ``sonix.functional.resample`` of the whole signal exactly (the same sums
    in the same order).

    Each call returns the outputs whose inputs have all arrived and keeps only the inputs later
    outputs still read (about one filter length). Chunks are (..., n) with the same leading shape,
    dtype and device for the whole stream; n may be 0. Not differentiable across calls' state (each
    call is differentiable w.r.t. its chunk's contribution to its own outputs).
    """

    def __init__(
        self,
        orig_freq: int,
        new_freq: int,
        *,
        quality: str = "default",
        lowpass_filter_width: int | None = None,
        rolloff: float | None = None,
        resampling_method: str | None = None,
        beta: float | None = None,
    ) -> None:
        filt = resolve_filter(quality, lowpass_filter_width, rolloff, resampling_method, beta)
        self.orig_freq = _rate(orig_freq, "orig_freq")
        self.new_freq = _rate(new_freq, "new_freq")
        p = plan(self.orig_freq, self.new_freq, filt)
        if p.taps is None:  # streaming needs the table; build it even when large
            taps, left = tap_table(p.orig, p.up, filt)
            p = Plan(p.orig, p.up, filt, left, taps)
        self._plan = p
        self._width = (p.n_taps + 7) // 8 * 8  # the op reads tables padded to 8 taps
        self.reset()

    def reset(self) -> None:
        """Starts a new stream."""
        self._buf: Tensor | None = None
        self._buf_start = 0  # stream index of _buf[:, 0]
        self._n_in = 0
        self._n_out = 0
        self._taps: Tensor | None = None

    def _emit(self, end: int) -> Tensor:
        p, buf = self._plan, self._buf
        assert buf is not None
        if self._taps is None or self._taps.device != buf.device:
            self._taps = p.taps.to(device=buf.device, dtype=compute_dtype(buf.dtype))
        count = max(end - self._n_out, 0)
        y = torch.ops.sonix.resample_poly(
            buf, self._taps, p.orig, p.up, p.left, self._buf_start, self._n_out, count
        )
        self._n_out += count
        keep = max((self._n_out * p.orig) // p.up - p.left, self._buf_start)
        self._buf = buf[:, keep - self._buf_start :]
        self._buf_start = keep
        return y

    def __call__(self, chunk: Tensor) -> Tensor:
        """Feeds (..., n) samples; returns the (..., m) outputs now determined."""
        if not isinstance(chunk, Tensor) or chunk.dim() < 1:
            raise ValueError("sonix: chunk must be a (..., n) tensor")
        if chunk.numel() > 0:
            check_audio(chunk, "chunk")
        self._lead = chunk.shape[:-1]
        rows = chunk.reshape(math.prod(self._lead), chunk.shape[-1])
        if self.orig_freq == self.new_freq:
            return chunk
        if self._buf is None:
            self._buf = rows[:, :0]
        elif rows.shape[0] != self._buf.shape[0]:
            raise ValueError(
                f"sonix: chunk must keep the leading shape of the stream ({self._buf.shape[0]} rows), got {tuple(chunk.shape)}"
            )
        self._buf = torch.cat([self._buf, rows.to(self._buf.dtype)], dim=1)
        self._n_in += rows.shape[1]
        p = self._plan
        last_base = (
            self._n_in + p.left - self._width
        )  # floor(j orig / up) <= this: all reads have arrived
        end = -(-(last_base + 1) * p.up // p.orig) if last_base + 1 > 0 else 0
        return self._emit(end).reshape(self._lead + (-1,))

    def flush(self) -> Tensor:
        """Ends the stream (the input is zero after it): returns the remaining outputs and resets."""
        if self._buf is None or self.orig_freq == self.new_freq:
            self.reset()
            return torch.empty(0)
        p = self._plan
        y = self._emit(-(-p.up * self._n_in // p.orig)).reshape(self._lead + (-1,))
        self.reset()
        return y
