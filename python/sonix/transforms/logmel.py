"""``LogMelSpectrogram``: a dB / log-mel front end in one fused op, with librosa and Whisper presets."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import EllipsisType
from typing import Any

import torch
from torch import Tensor

from .. import functional as F
from ..ops.spectral import LogSpec

__all__ = ["PRESETS", "LogMelSpectrogram"]

_LN10 = math.log(10.0)


@dataclass(frozen=True)
class _Preset:
    sample_rate: int
    n_fft: int
    hop_length: int | None  # None: win_length // 2
    n_mels: int
    center: bool
    pad_mode: str
    norm: str | None
    mel_scale: str
    librosa_bins: (
        bool  # filterbank from librosa.filters.mel (else torchaudio.functional.melscale_fbanks)
    )
    amin: float = 1e-10
    ref: float = 1.0
    top_db: float | None = 80.0
    out_scale: float = 1.0  # output = out_scale * dB + out_bias
    out_bias: float = 0.0
    drop_last_frame: bool = False
    window_dtype: torch.dtype = torch.float32  # of the default (periodic Hann) window buffer


_LIBROSA_PRESET = _Preset(
    sample_rate=22050,
    n_fft=2048,
    hop_length=512,
    n_mels=128,
    center=True,
    pad_mode="constant",
    norm="slaney",
    mel_scale="slaney",
    librosa_bins=True,
    window_dtype=torch.float64,  # librosa builds its window in float64: so does the preset
)

PRESETS: dict[str | None, _Preset] = {
    # torchaudio MelSpectrogram defaults followed by AmplitudeToDB("power", top_db=80)
    None: _Preset(
        sample_rate=16000,
        n_fft=400,
        hop_length=None,
        n_mels=128,
        center=True,
        pad_mode="reflect",
        norm=None,
        mel_scale="htk",
        librosa_bins=False,
    ),
    # librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr), ref=1.0, amin=1e-10, top_db=80.0)
    "librosa": _LIBROSA_PRESET,
    # the same with librosa.filters.mel(htk=True, norm=None)
    "htk": replace(_LIBROSA_PRESET, norm=None, mel_scale="htk"),
    # whisper.audio.log_mel_spectrogram: (max(log10(mel), max - 8) + 4) / 4 without the last frame;
    # 8 decades are 80 dB and (log10(v) + 4) / 4 = dB / 40 + 1
    "whisper": _Preset(
        sample_rate=16000,
        n_fft=400,
        hop_length=160,
        n_mels=80,
        center=True,
        pad_mode="reflect",
        norm="slaney",
        mel_scale="slaney",
        librosa_bins=True,
        top_db=80.0,
        out_scale=1 / 40,
        out_bias=1.0,
        drop_last_frame=True,
    ),
}


def _pick(value: Any, default: Any, unset: Any = None) -> Any:
    return default if value is unset else value


class LogMelSpectrogram(torch.nn.Module):
    r"""Log-mel (dB) spectrogram in one fused op: frame, window, FFT, power, mel, log, top_db.

    ``y = out_scale * (10 log10(max(mel, amin)) - 10 log10(max(amin, ref))) + out_bias``, clamped
    below at ``max(y) - out_scale * top_db`` where the max is taken per example (over the last two
    dims (n_mels, n_frames) of the output).

    Presets (arguments left at None / ``...`` take the preset's value; any given value overrides it):

    * ``None``: torchaudio ``MelSpectrogram()`` defaults (16 kHz, n_fft 400, hop win_length // 2,
      128 HTK mels, no norm, reflect padding) then ``AmplitudeToDB("power", top_db=80)``.
    * ``"librosa"``: ``librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr), ref=1.0,
      amin=1e-10, top_db=80.0)`` with librosa 0.11's defaults: sr 22050, n_fft 2048, hop 512,
      128 mels, Slaney scale and Slaney area norm, centred with zero ("constant") padding.
    * ``"htk"``: as "librosa" with ``librosa.filters.mel(htk=True, norm=None)``.
    * ``"whisper"``: OpenAI Whisper's ``log_mel_spectrogram``: 16 kHz, n_fft 400, hop 160, 80 mels
      (pass ``n_mels=128`` for large-v3) from ``librosa.filters.mel(sr=16000, n_fft=400)``, reflect
      padding, the last STFT frame dropped, ``log10(max(mel, 1e-10))`` clamped to (max - 8), then
      ``(x + 4) / 4``. Whisper takes that max over the whole input tensor; sonix takes it per example,
      which is the same for single-example input (Whisper's usual call) but not for a batch.

    librosa takes the top_db max over the whole array too; likewise per example here.

    Args:
        sample_rate, n_fft, hop_length, n_mels: as in torchaudio's MelSpectrogram.
        win_length: window length (default n_fft).
        f_min, f_max: mel band limits in Hz (f_max default sample_rate / 2).
        window_fn, wkwargs: the window is ``window_fn(win_length, **wkwargs)``. Default: periodic
            Hann, float32, except for the "librosa" / "htk" presets where it is float64 as in
            librosa (it is cast to the compute dtype inside the op), so that float64 input
            reproduces librosa to ~1e-6 dB rather than ~1e-4 dB.
        power: exponent of the magnitude spectrum (2: power; 1: magnitude).
        center, pad_mode: framing as in :func:`sonix.functional.stft`.
        norm: mel normalisation (None, "slaney" or a p-norm for the librosa presets).
        mel_scale: "htk" or "slaney".
        amin, ref: dB floor and reference: ``10 log10(max(v, amin) / max(amin, ref))``.
        top_db: dynamic range in dB below each example's max, or None for no clamp.
        preset: None, "librosa", "htk" or "whisper".

    Buffers: ``window`` (win_length,) (float32, or float64 for the librosa presets) and ``fb``
    (n_fft // 2 + 1, n_mels) (float32, librosa's and torchaudio's filterbank dtype), persistent, so
    ``.to(device)`` moves them.

    Shapes: (..., time) -> (..., n_mels, n_frames) (n_frames - 1 with the "whisper" preset), in the
    input dtype (float16 / bfloat16 computed in float32). CPU and CUDA. Autograd with respect to the
    waveform (the clamp passes no gradient to clamped bins); torch.compile(fullgraph=True).
    """

    def __init__(
        self,
        sample_rate: int | None = None,
        n_fft: int | None = None,
        hop_length: int | None = None,
        n_mels: int | None = None,
        *,
        win_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        window_fn: Callable[..., Tensor] | None = None,
        wkwargs: dict | None = None,
        power: float = 2.0,
        center: bool | None = None,
        pad_mode: str | None = None,
        norm: str | float | None | EllipsisType = ...,
        mel_scale: str | None = None,
        amin: float | None = None,
        ref: float | None = None,
        top_db: float | None | EllipsisType = ...,
        preset: str | None = None,
    ) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ValueError(f"sonix: preset must be one of {list(PRESETS)}, got {preset!r}")
        p = PRESETS[preset]
        self.preset = preset
        self.sample_rate = _pick(sample_rate, p.sample_rate)
        self.n_fft = _pick(n_fft, p.n_fft)
        self.win_length = _pick(win_length, self.n_fft)
        hop_length = _pick(hop_length, p.hop_length)
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.n_mels = _pick(n_mels, p.n_mels)
        self.f_min = f_min
        self.f_max = f_max
        self.power = power
        self.center = _pick(center, p.center)
        self.pad_mode = _pick(pad_mode, p.pad_mode)
        self.norm = _pick(norm, p.norm, ...)
        self.mel_scale = _pick(mel_scale, p.mel_scale)
        self.amin = _pick(amin, p.amin)
        self.ref = _pick(ref, p.ref)
        self.top_db = _pick(top_db, p.top_db, ...)
        if self.top_db is not None and self.top_db < 0:
            raise ValueError(f"sonix: top_db must be non-negative, got {self.top_db}")
        self.out_scale = p.out_scale
        self.out_bias = p.out_bias
        self.drop_last_frame = p.drop_last_frame

        if window_fn is None:
            window = torch.hann_window(self.win_length, dtype=p.window_dtype, **(wkwargs or {}))
        else:
            window = (
                window_fn(self.win_length)
                if wkwargs is None
                else window_fn(self.win_length, **wkwargs)
            )
        self.register_buffer("window", window)
        self.window: Tensor
        if p.librosa_bins:
            fb = F.mel_filterbank(
                self.sample_rate,
                self.n_fft,
                self.n_mels,
                self.f_min,
                self.f_max,
                htk=self.mel_scale == "htk",
                norm=self.norm,
            ).t()
        else:
            f_max = self.f_max if self.f_max is not None else float(self.sample_rate // 2)
            fb = F.melscale_fbanks(
                self.n_fft // 2 + 1,
                self.f_min,
                f_max,
                self.n_mels,
                self.sample_rate,
                self.norm,
                self.mel_scale,
            )
        self.register_buffer("fb", fb.contiguous())
        self.fb: Tensor
        db = LogSpec.db(10.0, self.amin, self.ref)
        self.log_spec = LogSpec(
            self.out_scale * db.scale, 0.0, db.amin, self.out_scale * db.bias + self.out_bias
        )

    def extra_repr(self) -> str:
        return (
            f"preset={self.preset!r}, sample_rate={self.sample_rate}, n_fft={self.n_fft}, "
            f"hop_length={self.hop_length}, n_mels={self.n_mels}, top_db={self.top_db}"
        )

    def forward(self, waveform: Tensor) -> Tensor:
        """(..., time) -> (..., n_mels, n_frames) log-mel spectrogram."""
        y = F.mel_spectrogram(
            waveform,
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            window=self.window,
            power=self.power,
            center=self.center,
            pad_mode=self.pad_mode,
            mel_fb=self.fb,
            log=self.log_spec,
        )
        if self.drop_last_frame:
            y = y[..., :-1]
        if self.top_db is not None:
            y = F.apply_top_db(y, self.top_db * self.out_scale)
        return y
