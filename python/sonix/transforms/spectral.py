"""Drop-in replacements for ``torchaudio.transforms`` spectral modules, computed by the fused sonix ops.

Each class takes the same constructor arguments, has the same defaults, attributes, submodules and
registered buffers as its torchaudio namesake, so ``state_dict`` s load both ways with
``strict=True``. ``forward`` never calls torchaudio: the whole |STFT|^power -> mel -> dB chain runs in
one ``sonix::mel_spectrogram`` call (the mel filterbank is the ``mel_scale.fb`` buffer, the log is
fused), so the linear spectrogram is never materialised.

Common properties of every module here:

* Devices: CPU and CUDA; buffers follow ``.to(device)``, and the input must be on the buffers' device.
* Dtypes: float16 / bfloat16 / float32 / float64 input (half precision is computed in float32);
  real outputs have the input dtype. Buffers are float32 (as in torchaudio) and are cast to the
  compute dtype inside the op, so a float64 input works without ``.double()``.
* Autograd with respect to the input; ``torch.compile(fullgraph=True)`` traces ``forward``.
  TorchScript is not supported (the ops are called through Python).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
from torch import Tensor

from .. import functional as F
from ..ops.spectral import LogSpec

__all__ = [
    "AmplitudeToDB",
    "InverseSpectrogram",
    "MFCC",
    "MelScale",
    "MelSpectrogram",
    "Spectrogram",
]

_LN10 = math.log(10.0)


def _make_window(window_fn: Callable[..., Tensor], win_length: int, wkwargs: dict | None) -> Tensor:
    return window_fn(win_length) if wkwargs is None else window_fn(win_length, **wkwargs)


def _spec_norms(normalized: bool | str) -> tuple[bool, bool]:
    """(frame_length_norm, window_norm) as torchaudio's ``_get_spec_norms`` decodes ``normalized``."""
    if isinstance(normalized, str):
        if normalized not in ("frame_length", "window"):
            raise ValueError(
                f"sonix: normalized must be a bool, 'window' or 'frame_length', got {normalized!r}"
            )
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError(f"sonix: normalized must be a bool or a str, got {type(normalized).__name__}")


def _top_db_packed(x_db: Tensor, top_db: float) -> Tensor:
    """torchaudio's ``amplitude_to_DB`` clamp: the max is taken over the last three dims (channel,
    freq, time) when the input has more than two dims, else over (freq, time)."""
    return F.apply_top_db(x_db, top_db, dims=min(x_db.dim(), 3))


class Spectrogram(torch.nn.Module):
    r"""``torchaudio.transforms.Spectrogram``: ``|STFT|^power`` (or the complex STFT when ``power`` is None).

    Args:
        n_fft: FFT size; the output has ``n_fft // 2 + 1`` frequency bins. Default 400.
        win_length: window size (default ``n_fft``); the window is zero-padded to n_fft, centred.
        hop_length: hop between frames (default ``win_length // 2``).
        pad: two-sided zero padding of the signal.
        window_fn: builds the window buffer, called as ``window_fn(win_length, **wkwargs)``.
        power: exponent of the magnitude (> 0), or None for the complex spectrum.
        normalized: False, True / "window" (divide by the window's L2 norm) or "frame_length"
            (divide by sqrt(n_fft)).
        wkwargs: keyword arguments for ``window_fn``.
        center: pad the signal by n_fft // 2 on both sides so frame t is centred at t * hop_length.
        pad_mode: "reflect" (numpy-style, also for signals shorter than n_fft // 2), "constant",
            "replicate" or "circular".
        onesided: half spectrum; False is supported only with ``power=None``.
        return_complex: deprecated and unused (as in torchaudio).

    Buffers: ``window`` (win_length,), float32, persistent.

    Shapes: (..., time) -> (..., n_fft // 2 + 1, n_frames); real in the input dtype, or complex64 /
    complex128 when ``power`` is None. Autograd; torch.compile.
    """

    __constants__ = ["n_fft", "win_length", "hop_length", "pad", "power", "normalized"]

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool | str = False,
        wkwargs: dict | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        return_complex: bool | None = None,
    ) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.window: Tensor
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided
        if return_complex is not None:
            warnings.warn(
                "`return_complex` is deprecated and has no effect: Spectrogram(power=None) always "
                "returns a complex tensor.",
                stacklevel=2,
            )

    def forward(self, waveform: Tensor) -> Tensor:
        """(..., time) -> (..., n_fft // 2 + 1, n_frames)."""
        return F.spectrogram(
            waveform,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.window,
            self.power,
            self.normalized,
            self.center,
            self.pad_mode,
            self.onesided,
            self.pad if self.pad > 0 else 0,
        )


class InverseSpectrogram(torch.nn.Module):
    r"""``torchaudio.transforms.InverseSpectrogram``: least-squares signal from a complex spectrogram.

    Args: as :class:`Spectrogram` (``pad_mode`` is accepted and unused, as in torchaudio; ``pad`` is
    removed from both ends only when ``length`` is given).

    Buffers: ``window`` (win_length,), float32, persistent.

    Shapes: complex (..., n_fft // 2 + 1, n_frames) -> real (..., time) (float64 for complex128,
    else float32). Raises when the window and hop violate NOLA (checked on CPU only). Autograd with
    respect to the spectrogram; torch.compile.
    """

    __constants__ = ["n_fft", "win_length", "hop_length", "pad", "power", "normalized"]

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        normalized: bool | str = False,
        wkwargs: dict | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
    ) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.window: Tensor
        self.pad = pad
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, spectrogram: Tensor, length: int | None = None) -> Tensor:
        """Complex (..., freq, n_frames) -> (..., time); ``length`` fixes the output length."""
        frame_length_norm, window_norm = _spec_norms(self.normalized)
        window = self.window
        if window_norm:
            # istft divides by the window envelope, so a window scaled by 1/c scales the output by c:
            # the same as torchaudio's spectrogram * ||window||, without a pass over the spectrogram.
            if spectrogram.dtype == torch.complex128:
                window = window.to(torch.float64)
            window = window / window.pow(2.0).sum().sqrt()
        y = F.istft(
            spectrogram,
            self.n_fft,
            self.hop_length,
            self.win_length,
            window,
            self.center,
            frame_length_norm,
            self.onesided,
            length + 2 * self.pad if length is not None else None,
        )
        if length is not None and self.pad > 0:
            y = y[..., self.pad : -self.pad]
        return y


class AmplitudeToDB(torch.nn.Module):
    r"""``torchaudio.transforms.AmplitudeToDB``: ``multiplier * log10(max(x, amin))`` with amin 1e-10.

    Args:
        stype: "power" (multiplier 10) or "magnitude" (multiplier 20).
        top_db: clamp to (max - top_db); the max is taken per (channel, freq, time) block for inputs
            with more than two dims (torchaudio's packing), else over the whole (freq, time) input.

    No buffers. Any floating (..., freq, time) input on CPU or CUDA, output in the input dtype, by
    the fused ``sonix::log_compress`` op. Autograd; torch.compile.
    """

    __constants__ = ["multiplier", "amin", "ref_value", "db_multiplier"]

    def __init__(self, stype: str = "power", top_db: float | None = None) -> None:
        super().__init__()
        self.stype = stype
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.top_db = top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def log_spec(self) -> LogSpec:
        """This module's dB as the :class:`~sonix.LogSpec` the fused ops take (top_db excluded)."""
        return LogSpec(
            self.multiplier / _LN10, 0.0, self.amin, -self.multiplier * self.db_multiplier
        )

    def forward(self, x: Tensor) -> Tensor:
        """(..., freq, time) power or magnitude -> dB, same shape and dtype."""
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MelScale(torch.nn.Module):
    r"""``torchaudio.transforms.MelScale``: project a (..., n_stft, time) spectrogram onto mel bands.

    Args:
        n_mels: number of mel bands. Default 128.
        sample_rate: sample rate in Hz. Default 16000.
        f_min, f_max: band limits in Hz (f_max defaults to ``float(sample_rate // 2)``).
        n_stft: number of STFT bins (``n_fft // 2 + 1``). Default 201.
        norm: None or "slaney" (area normalisation).
        mel_scale: "htk" or "slaney".

    Buffers: ``fb`` (n_stft, n_mels), float32, persistent (torchaudio's layout and values).

    Shapes: (..., n_stft, time) -> (..., n_mels, time), in the result dtype of the matmul with the
    (cast) filterbank. Autograd; torch.compile. :class:`MelSpectrogram` does not call this module's
    forward: it hands ``fb`` to the fused op.
    """

    __constants__ = ["n_mels", "sample_rate", "f_min", "f_max", "n_stft"]

    def __init__(
        self,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_stft: int = 201,
        norm: str | None = None,
        mel_scale: str = "htk",
    ) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.n_stft = n_stft
        self.norm = norm
        self.mel_scale = mel_scale
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        fb = F.melscale_fbanks(n_stft, f_min, self.f_max, n_mels, sample_rate, norm, mel_scale)
        self.register_buffer("fb", fb)
        self.fb: Tensor

    def forward(self, specgram: Tensor) -> Tensor:
        """(..., n_stft, time) -> (..., n_mels, time)."""
        fb = self.fb if specgram.dtype == self.fb.dtype else self.fb.to(specgram.dtype)
        return torch.matmul(specgram.transpose(-1, -2), fb).transpose(-1, -2)


class MelSpectrogram(torch.nn.Module):
    r"""``torchaudio.transforms.MelSpectrogram`` in one fused pass (frame, window, FFT, power, mel).

    Args: as torchaudio (``sample_rate`` 16000, ``n_fft`` 400, ``win_length`` n_fft, ``hop_length``
    win_length // 2, ``f_min`` 0, ``f_max`` None (sample_rate // 2), ``pad`` 0, ``n_mels`` 128,
    ``window_fn`` hann, ``power`` 2, ``normalized`` False, ``wkwargs``, ``center`` True,
    ``pad_mode`` "reflect", ``onesided`` (deprecated, unused), ``norm`` None, ``mel_scale`` "htk").

    Submodules and buffers: ``spectrogram`` (:class:`Spectrogram`, buffer ``spectrogram.window``) and
    ``mel_scale`` (:class:`MelScale`, buffer ``mel_scale.fb`` (n_fft // 2 + 1, n_mels)); both float32
    and persistent, as in torchaudio. ``forward`` reads the STFT settings from ``spectrogram`` and the
    filterbank from ``mel_scale.fb``, so edits to either (or a loaded state_dict) take effect.

    Shapes: (..., time) -> (..., n_mels, n_frames) in the input dtype. Autograd with respect to
    the waveform; torch.compile(fullgraph=True).
    """

    __constants__ = ["sample_rate", "n_fft", "win_length", "hop_length", "pad", "n_mels", "f_min"]

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        power: float = 2.0,
        normalized: bool = False,
        wkwargs: dict | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
    ) -> None:
        super().__init__()
        if onesided is not None:
            warnings.warn(
                "Argument 'onesided' has been deprecated and has no influence on the behavior of this module.",
                stacklevel=2,
            )
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.n_mels = n_mels
        self.f_max = f_max
        self.f_min = f_min
        self.spectrogram = Spectrogram(
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            pad=self.pad,
            window_fn=window_fn,
            power=self.power,
            normalized=self.normalized,
            wkwargs=wkwargs,
            center=center,
            pad_mode=pad_mode,
            onesided=True,
        )
        self.mel_scale = MelScale(
            self.n_mels,
            self.sample_rate,
            self.f_min,
            self.f_max,
            self.n_fft // 2 + 1,
            norm,
            mel_scale,
        )

    def fused(self, waveform: Tensor, log: LogSpec | None = None) -> Tensor:
        """The mel spectrogram with ``log`` (a :class:`~sonix.LogSpec`) fused into the same op."""
        spec = self.spectrogram
        if spec.power is None:
            raise ValueError(
                "sonix: MelSpectrogram needs a magnitude spectrogram (spectrogram.power must not be None)"
            )
        if spec.pad > 0:
            waveform = torch.nn.functional.pad(waveform, (spec.pad, spec.pad))
        return F.mel_spectrogram(
            waveform,
            n_fft=spec.n_fft,
            win_length=spec.win_length,
            hop_length=spec.hop_length,
            window=spec.window,
            power=spec.power,
            normalized=spec.normalized,
            center=spec.center,
            pad_mode=spec.pad_mode,
            mel_fb=self.mel_scale.fb,
            log=log,
        )

    def forward(self, waveform: Tensor) -> Tensor:
        """(..., time) -> (..., n_mels, n_frames)."""
        return self.fused(waveform)


class MFCC(torch.nn.Module):
    r"""``torchaudio.transforms.MFCC``: DCT-II of the dB (or natural-log) mel spectrogram.

    Args:
        sample_rate: sample rate in Hz. Default 16000.
        n_mfcc: number of coefficients kept (<= n_mels). Default 40.
        dct_type: only 2 (as torchaudio).
        norm: DCT normalisation, "ortho" or None.
        log_mels: ln(mel + 1e-6) instead of dB.
        melkwargs: keyword arguments for the inner :class:`MelSpectrogram`.

    Submodules and buffers (torchaudio's names): ``amplitude_to_DB`` (:class:`AmplitudeToDB`, top_db
    80), ``MelSpectrogram`` (:class:`MelSpectrogram`, buffers ``MelSpectrogram.spectrogram.window``
    and ``MelSpectrogram.mel_scale.fb``) and the buffer ``dct_mat`` (n_mels, n_mfcc), all float32.

    The dB is fused into the mel op; the top_db clamp follows torchaudio: for a (..., channel, time)
    waveform the max is over (channel, n_mels, frames) of each leading index, for a (time,) waveform
    over the whole output. Shapes: (..., time) -> (..., n_mfcc, n_frames) in the input dtype.
    Autograd; torch.compile.
    """

    __constants__ = ["sample_rate", "n_mfcc", "dct_type", "top_db", "log_mels"]

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mfcc: int = 40,
        dct_type: int = 2,
        norm: str = "ortho",
        log_mels: bool = False,
        melkwargs: dict | None = None,
    ) -> None:
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=self.sample_rate, **(melkwargs or {}))
        if self.n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError("Cannot select more MFCC coefficients than # mel bins")
        self.register_buffer(
            "dct_mat", F.create_dct(self.n_mfcc, self.MelSpectrogram.n_mels, self.norm)
        )
        self.dct_mat: Tensor
        self.log_mels = log_mels

    def forward(self, waveform: Tensor) -> Tensor:
        """(..., time) -> (..., n_mfcc, n_frames)."""
        if self.log_mels:
            mel = self.MelSpectrogram.fused(waveform, LogSpec.log("e", amin=0.0, offset=1e-6))
        else:
            to_db = self.amplitude_to_DB
            mel = self.MelSpectrogram.fused(waveform, to_db.log_spec())
            if to_db.top_db is not None:
                mel = _top_db_packed(mel, to_db.top_db)
        dct = self.dct_mat if mel.dtype == self.dct_mat.dtype else self.dct_mat.to(mel.dtype)
        return torch.matmul(mel.transpose(-1, -2), dct).transpose(-1, -2)
