"""Spectral family: log-mel spectrogram (librosa and Whisper presets) and the STFT alone.

Every implementation computes the same thing from the same float32 clips:

* ``librosa`` preset: power mel spectrogram (n_fft 2048, hop 512, periodic Hann, centred with zero
  padding as librosa >= 0.10 does, 128 Slaney mels with Slaney area normalisation), then
  ``power_to_db(ref=1, amin=1e-10, top_db=80)`` per clip. Output in dB.
* ``whisper`` preset: Whisper's ``log_mel_spectrogram``: n_fft 400, hop 160, reflect padding, 80
  Slaney mels, the last frame dropped (``stft[..., :-1]``), ``log10(max(mel, 1e-10))``, clamped to
  each clip's max - 8, then ``(x + 4) / 4``. Errors are reported in dB (1 output unit = 40 dB).

The plain-torch baseline squares with ``re**2 + im**2`` (about twice as fast as Whisper's own
``abs() ** 2``), so it is the stronger baseline; torchaudio and nnAudio run their own modules.
Errors: each output's first ``check_clips`` clips against librosa in float64 (plain torch in
float64 when librosa is absent); the relative error is max|a - r| / max|r| per clip on the linear
(power) scale, or on the complex STFT.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

import sonix
from sonix import functional as SF

from .runner import Case, Context, sized_presets, torch_threads
from .signals import test_signals

FAMILY = "spectral"
QUICK_CLIPS = 2


@dataclass(frozen=True)
class Preset:
    name: str
    sample_rate: int
    clips: int
    seconds: float
    n_fft: int
    hop: int
    n_mels: int
    pad_mode: (
        str  # torch's name: "constant" (librosa >= 0.10 default) or "reflect" (torch.stft default)
    )
    post: str  # "db" | "whisper"

    def describe(self) -> str:
        post = (
            "power_to_db(ref=1, amin=1e-10, top_db=80) per clip"
            if self.post == "db"
            else "drop last frame, log10(max(x, 1e-10)), max - 8 per clip, (x + 4) / 4"
        )
        return (
            f"{self.clips} clips x {self.seconds:g} s at {self.sample_rate} Hz, n_fft {self.n_fft}, hop {self.hop}, "
            f"Hann, {self.pad_mode} padding, {self.n_mels} Slaney mels (Slaney norm), power 2, {post}"
        )


PRESETS = {
    "librosa": Preset("librosa", 22050, 32, 10.0, 2048, 512, 128, "constant", "db"),
    "whisper": Preset("whisper", 16000, 32, 30.0, 400, 160, 80, "reflect", "whisper"),
}

LIBROSA_THREADS = "1 (numpy FFT)"


# ---- shared pieces --------------------------------------------------------------------------------


@cache
def _clips(preset: str, clips: int, seed: int) -> np.ndarray:
    p = PRESETS[preset]
    return test_signals(clips, p.seconds, p.sample_rate, seed)


def _window(p: Preset, device, dtype=torch.float32) -> torch.Tensor:
    return torch.hann_window(p.n_fft, periodic=True, dtype=dtype, device=device)


def _mel_fb(p: Preset, device, dtype=torch.float32) -> torch.Tensor:
    """(n_mels, n_freq): librosa.filters.mel(sr, n_fft, n_mels), Slaney scale and norm."""
    return SF.mel_filterbank(p.sample_rate, p.n_fft, p.n_mels, dtype=dtype, device=device)


def _torch_post(mel: torch.Tensor, p: Preset) -> torch.Tensor:
    """Linear mel power (..., n_mels, frames) -> the preset's log output, in plain torch."""
    if p.post == "db":
        db = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
        return torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - 80.0)
    y = torch.clamp(mel[..., :-1], min=1e-10).log10()
    y = torch.maximum(y, y.amax(dim=(-2, -1), keepdim=True) - 8.0)
    return (y + 4.0) / 4.0


def _numpy_post(mel: np.ndarray, p: Preset) -> np.ndarray:
    import librosa

    if p.post == "db":
        return np.stack([librosa.power_to_db(m, ref=1.0, amin=1e-10, top_db=80.0) for m in mel])
    y = np.log10(np.maximum(mel[..., :-1], 1e-10))
    y = np.maximum(y, y.max(axis=(-2, -1), keepdims=True) - 8.0)
    return (y + 4.0) / 4.0


def _to_linear(y: np.ndarray, p: Preset) -> np.ndarray:
    return 10.0 ** (y / 10.0) if p.post == "db" else 10.0 ** (4.0 * y - 4.0)


def _db_per_unit(p: Preset) -> float:
    return 1.0 if p.post == "db" else 40.0


# ---- log-mel implementations: each returns f(x) -> output (x as the impl takes it) -------------------


def _sonix_logmel(p: Preset, device) -> Callable:
    fb = _mel_fb(p, device).t().contiguous()  # sonix takes (n_freq, n_mels)
    w = _window(p, device)
    common = dict(hop_length=p.hop, mel_fb=fb, window=w, pad_mode=p.pad_mode)
    if p.post == "db":
        log = sonix.LogSpec.db(10.0, 1e-10, 1.0)
        return lambda x: SF.mel_spectrogram(
            x, p.sample_rate, p.n_fft, log=log, top_db=80.0, **common
        )
    log = sonix.LogSpec.log("10", amin=1e-10)

    def whisper(x):
        y = SF.mel_spectrogram(x, p.sample_rate, p.n_fft, log=log, **common)[..., :-1]
        y = torch.maximum(y, y.amax(dim=(-2, -1), keepdim=True) - 8.0)
        return (y + 4.0) / 4.0

    return whisper


def _plain_torch_logmel(p: Preset, device, dtype=torch.float32) -> Callable:
    fb = _mel_fb(p, device, dtype)
    w = _window(p, device, dtype)

    def plain(x):
        s = torch.stft(
            x, p.n_fft, p.hop, window=w, center=True, pad_mode=p.pad_mode, return_complex=True
        )
        mel = torch.matmul(fb, s.real**2 + s.imag**2)
        return _torch_post(mel, p)

    return plain


def _compiled_logmel(p: Preset, device) -> Callable:
    warnings.filterwarnings(
        "ignore", message="Torchinductor does not support code generation for complex"
    )
    return torch.compile(_plain_torch_logmel(p, device), dynamic=False)


def _torchaudio_logmel(p: Preset, device) -> Callable:
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=p.sample_rate,
        n_fft=p.n_fft,
        hop_length=p.hop,
        n_mels=p.n_mels,
        power=2.0,
        center=True,
        pad_mode=p.pad_mode,
        norm="slaney",
        mel_scale="slaney",
    ).to(device)
    if p.post == "db":
        # (batch, 1, time) in, so AmplitudeToDB's top_db applies per clip, not per batch.
        to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0).to(device)
        return lambda x: to_db(mel(x[:, None]))[:, 0]
    return lambda x: _torch_post(mel(x), p)


def _nnaudio_logmel(p: Preset, device) -> Callable:
    from nnAudio import features

    mel = features.MelSpectrogram(
        sr=p.sample_rate,
        n_fft=p.n_fft,
        n_mels=p.n_mels,
        hop_length=p.hop,
        window="hann",
        center=True,
        pad_mode=p.pad_mode,
        power=2.0,
        htk=False,
        norm=1,
        verbose=False,
    ).to(device)
    return lambda x: _torch_post(mel(x), p)


def _librosa_logmel(p: Preset) -> Callable:
    import librosa

    def run(y: np.ndarray) -> np.ndarray:
        mel = librosa.feature.melspectrogram(
            y=y,
            sr=p.sample_rate,
            n_fft=p.n_fft,
            hop_length=p.hop,
            n_mels=p.n_mels,
            pad_mode=p.pad_mode,
            power=2.0,
        )
        return _numpy_post(mel, p)

    return run


# ---- STFT implementations -------------------------------------------------------------------------


def _sonix_stft(p: Preset, device) -> Callable:
    w = _window(p, device)
    return lambda x: SF.stft(x, p.n_fft, p.hop, window=w, center=True, pad_mode=p.pad_mode)


def _torch_stft(p: Preset, device) -> Callable:
    w = _window(p, device)
    return lambda x: torch.stft(
        x, p.n_fft, p.hop, window=w, center=True, pad_mode=p.pad_mode, return_complex=True
    )


def _librosa_stft(p: Preset) -> Callable:
    import librosa

    return lambda y: librosa.stft(
        y, n_fft=p.n_fft, hop_length=p.hop, window="hann", center=True, pad_mode=p.pad_mode
    )


def _frames(x: torch.Tensor, p: Preset) -> torch.Tensor:
    """(batch, frames, n_fft) windowed frames, contiguous: what a bare rfft transforms."""
    pad = p.n_fft // 2
    xp = torch.nn.functional.pad(x[:, None], (pad, pad), mode=p.pad_mode)[:, 0]
    return (xp.unfold(-1, p.n_fft, p.hop) * _window(p, x.device, x.dtype)).contiguous()


# ---- reference and error checks ---------------------------------------------------------------------


@cache
def _reference(preset: str, clips: int, seed: int) -> dict:
    """float64 log-mel (preset units) and complex STFT of the first ``clips`` clips."""
    p = PRESETS[preset]
    y = _clips(preset, clips, seed).astype(np.float64)
    try:
        import librosa
    except ImportError:
        x = torch.from_numpy(y)
        w = _window(p, "cpu", torch.float64)
        stft = torch.stft(
            x, p.n_fft, p.hop, window=w, center=True, pad_mode=p.pad_mode, return_complex=True
        )
        logmel = _plain_torch_logmel(p, "cpu", torch.float64)(x)
        return {
            "logmel": logmel.numpy(),
            "stft": stft.numpy(),
            "name": "torch float64 (librosa not installed)",
        }
    stft = librosa.stft(
        y, n_fft=p.n_fft, hop_length=p.hop, window="hann", center=True, pad_mode=p.pad_mode
    )
    fb = librosa.filters.mel(sr=p.sample_rate, n_fft=p.n_fft, n_mels=p.n_mels, dtype=np.float64)
    mel = np.einsum("mf,...ft->...mt", fb, stft.real**2 + stft.imag**2)
    return {"logmel": _numpy_post(mel, p), "stft": stft, "name": "librosa float64"}


def _as_numpy(out, n: int) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        out = out[:n].detach().cpu()
        return out.to(torch.complex128 if out.is_complex() else torch.float64).numpy()
    return np.asarray(out[:n], dtype=np.complex128 if np.iscomplexobj(out) else np.float64)


def _rel(a: np.ndarray, r: np.ndarray) -> float:
    axes = tuple(range(1, r.ndim))
    return float((np.abs(a - r).max(axis=axes) / np.abs(r).max(axis=axes)).max())


def _logmel_check(p: Preset, clips: int, seed: int) -> Callable:
    def check(out) -> dict:
        ref = _reference(p.name, clips, seed)
        a, r = _as_numpy(out, clips), ref["logmel"]
        return {
            "max_abs_err": float(np.abs(a - r).max()) * _db_per_unit(p),
            "unit": "dB",
            "max_rel_err": _rel(_to_linear(a, p), _to_linear(r, p)),
            "reference": ref["name"],
        }

    return check


def _stft_check(p: Preset, clips: int, seed: int, frames_last: bool = False) -> Callable:
    def check(out) -> dict:
        ref = _reference(p.name, clips, seed)
        a = _as_numpy(out, clips)
        if frames_last:
            a = np.swapaxes(a, -1, -2)
        r = ref["stft"]
        return {
            "max_abs_err": float(np.abs(a - r).max()),
            "unit": "",
            "max_rel_err": _rel(a, r),
            "reference": ref["name"],
        }

    return check


# ---- cases ------------------------------------------------------------------------------------------


def _forward(fn: Callable, x) -> Callable[[], object]:
    def run():
        with torch.no_grad():
            return fn(x)

    return run


def _forward_backward(
    fn: Callable, x: torch.Tensor, complex_out: bool = False
) -> Callable[[], None]:
    """Forward, sum of the output (of its real view for complex output), gradient w.r.t. x."""
    xg = x.detach().clone().requires_grad_(True)

    def run():
        xg.grad = None
        out = fn(xg)
        loss = torch.view_as_real(out).sum() if complex_out else out.sum()
        loss.backward()
        return None

    return run


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)


def build_cases(ctx: Context) -> list[Case]:
    """Every (preset, op, mode, impl) case, sonix first in each group; inputs are built lazily."""
    dev = ctx.device
    tthreads = torch_threads(dev)
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        n_check = min(ctx.check_clips, p.clips)
        audio = p.clips * p.seconds

        def data(p=p):
            return torch.from_numpy(_clips(p.name, p.clips, ctx.seed)).to(dev)

        def np_data(p=p):
            return _clips(p.name, p.clips, ctx.seed)

        def case(
            op, mode, impl, make, check=None, role=None, threads=tthreads, note="", p=p, audio=audio
        ):
            role = role or ("sonix" if impl == "sonix" else "baseline")
            cases.append(
                Case(
                    FAMILY, p.name, op, mode, impl, role, threads, p.clips, audio, make, check, note
                )
            )

        logmel_check = _logmel_check(p, n_check, ctx.seed)
        stft_check = _stft_check(p, n_check, ctx.seed)
        torch_logmel = {
            "sonix": _sonix_logmel,
            "torchaudio": _torchaudio_logmel,
            "nnAudio": _nnaudio_logmel,
            "torch": _plain_torch_logmel,
            "torch.compile": _compiled_logmel,
        }

        # log-mel, forward
        for impl in ("sonix", "librosa", "torchaudio", "nnAudio", "torch", "torch.compile"):
            if impl != "sonix" and impl not in have:
                continue
            if impl == "librosa":
                case(
                    "logmel",
                    "fwd",
                    impl,
                    lambda p=p, d=np_data: _forward(_librosa_logmel(p), d()),
                    logmel_check,
                    threads=LIBROSA_THREADS,
                )
            else:
                case(
                    "logmel",
                    "fwd",
                    impl,
                    lambda p=p, f=torch_logmel[impl], d=data: _forward(f(p, dev), d()),
                    logmel_check,
                )
        # log-mel, forward + backward (librosa has no gradient; nnAudio is timed forward only)
        for impl in ("sonix", "torchaudio", "torch", "torch.compile"):
            if impl != "sonix" and impl not in have:
                continue
            case(
                "logmel",
                "fwd+bwd",
                impl,
                lambda p=p, f=torch_logmel[impl], d=data: _forward_backward(f(p, dev), d()),
            )
        # STFT alone, and a bare rfft of the same (already cut and windowed) frames
        case(
            "stft",
            "fwd",
            "sonix",
            lambda p=p, d=data: _forward(_sonix_stft(p, dev), d()),
            stft_check,
        )
        if "torch" in have:
            case(
                "stft",
                "fwd",
                "torch",
                lambda p=p, d=data: _forward(_torch_stft(p, dev), d()),
                stft_check,
            )
        if "librosa" in have:
            case(
                "stft",
                "fwd",
                "librosa",
                lambda p=p, d=np_data: _forward(_librosa_stft(p), d()),
                stft_check,
                threads=LIBROSA_THREADS,
            )
        case(
            "rfft",
            "fwd",
            "rfft",
            lambda p=p, d=data: _forward(lambda f: torch.fft.rfft(f, dim=-1), _frames(d(), p)),
            _stft_check(p, n_check, ctx.seed, frames_last=True),
            role="bound",
            note="torch.fft.rfft of frames already padded, cut and windowed (framing not timed)",
        )
        case(
            "stft",
            "fwd+bwd",
            "sonix",
            lambda p=p, d=data: _forward_backward(_sonix_stft(p, dev), d(), True),
        )
        if "torch" in have:
            case(
                "stft",
                "fwd+bwd",
                "torch",
                lambda p=p, d=data: _forward_backward(_torch_stft(p, dev), d(), True),
            )
    return cases


# Cases whose peak extra memory is measured on CPU (in a subprocess, see sonix.bench.memory).
MEMORY_IMPLS = ("sonix", "torch", "torchaudio")
MEMORY_OPS = ("logmel",)


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    impls = MEMORY_IMPLS[:2] if quick else MEMORY_IMPLS
    return [c.key for c in cases if c.op in MEMORY_OPS and c.impl in impls]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def targets(results) -> list[dict]:
    """The issue's target: fused log-mel forward no slower than 1.5x a bare rfft of the same frames."""
    out = []
    by = {(r.thp, r.preset, r.op, r.mode, r.impl): r for r in results}
    for (thp, preset, op, mode, impl), r in by.items():
        if (op, mode, impl) != ("rfft", "fwd", "rfft") or r.best_s is None:
            continue
        for what, key in (("fused log-mel", "logmel"), ("stft", "stft")):
            s = by.get((thp, preset, key, "fwd", "sonix"))
            if s is None or s.best_s is None:
                continue
            ratio = s.best_s / r.best_s
            out.append(
                {
                    "preset": preset,
                    "thp": thp,
                    "what": f"sonix {what} / bare rfft",
                    "ratio": ratio,
                    "target": 1.5 if key == "logmel" else None,
                    "met": (ratio <= 1.5) if key == "logmel" else None,
                }
            )
    return out


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


NOTES = (
    "spectral: librosa has no gradient and nnAudio is timed forward only, so fwd+bwd rows list sonix, "
    "torchaudio, torch and torch.compile; fwd+bwd = forward, sum of the output, gradient w.r.t. the waveform",
    "spectral: plain torch squares the STFT as re**2 + im**2 (Whisper's own abs() ** 2 is about twice as slow)",
    "spectral: peak memory covers the whole call: for the whisper preset that includes the post-processing "
    "in torch (last frame dropped, max - 8, (x + 4) / 4), for sonix as for the baselines",
    "spectral: errors are against librosa in float64 on the first clips; whisper-preset errors are converted "
    "to dB (1 output unit = 40 dB); relative errors are max|a - r| / max|r| per clip on the power scale",
)
