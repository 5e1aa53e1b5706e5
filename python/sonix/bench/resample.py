"""Resample family: 16 clips x 10 s, 48 -> 44.1 kHz and 44.1 -> 16 kHz.

sonix's "default" preset (>= 120 dB stopband, >= 110 dB sine SNR) against torchaudio's kaiser_best
filter as a cached ``transforms.Resample`` module, julius's cached ``ResampleFrac`` and soxr HQ; sonix
"best" against soxr VHQ. Errors are quality measurements on sines (sonix.reference.resample), not
against one reference output: the filters differ by design. ``max_abs_err`` is the worst sine's RMS
error relative to the sine (10^(-SNR/20)), ``max_rel_err`` the worst stopband leak (10^(-rejection/20));
the JSON also holds snr_db, stopband_db and ripple_db. soxr runs on one core, torch on its threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from sonix import functional as SF
from sonix.reference import resample as ref

from .runner import Case, Context, sized_presets, target_row, torch_threads
from .signals import test_signals

FAMILY = "resample"
CPU = torch.device("cpu")  # quality is measured on the CPU
QUICK_CLIPS = 2
KAISER_BEST = {
    "resampling_method": "sinc_interp_kaiser",
    "lowpass_filter_width": 64,
    "rolloff": 0.9475937167399596,
    "beta": 14.769656459379492,
}


@dataclass(frozen=True)
class Preset:
    name: str
    orig: int
    new: int
    clips: int
    seconds: float

    def describe(self) -> str:
        return f"{self.clips} clips x {self.seconds:g} s, {self.orig} -> {self.new} Hz, float32"


PRESETS = {
    "48k-44k1": Preset("48k-44k1", 48000, 44100, 16, 10.0),
    "44k1-16k": Preset("44k1-16k", 44100, 16000, 16, 10.0),
}


@cache
def _clips(preset: str, clips: int, seed: int) -> np.ndarray:
    p = PRESETS[preset]
    return test_signals(clips, p.seconds, p.orig, seed)


# ---- implementations: each returns f(x) for (clips, time) input as the impl takes it -----------------


def _sonix(p: Preset, quality: str, device) -> Callable:
    return lambda x: SF.resample(x, p.orig, p.new, quality=quality)


def _torchaudio(p: Preset, device) -> Callable:
    import torchaudio

    return torchaudio.transforms.Resample(p.orig, p.new, **KAISER_BEST).to(device)


def _julius(p: Preset, device) -> Callable:
    import julius

    return julius.ResampleFrac(p.orig, p.new).to(device)


def _soxr(p: Preset, quality: str) -> Callable:
    import soxr

    return lambda y: soxr.resample(np.ascontiguousarray(y.T), p.orig, p.new, quality=quality).T


# ---- quality (measured on sines, once per implementation) ----------------------------------------------


def quality(fn: Callable[[torch.Tensor], torch.Tensor], orig: int, new: int) -> dict:
    """SNR on sines, stopband rejection and passband ripple (dB) of a (1-D float64 -> 1-D) resampler."""
    snr = ref.sine_snr_db(fn, orig, new, seconds=0.25)
    stop = ref.stopband_rejection_db(fn, orig, new, n_freqs=8, seconds=0.25)
    ripple = ref.passband_ripple_db(fn, orig, new, n_freqs=8)
    return {
        "max_abs_err": 10 ** (-snr / 20),
        "unit": "",
        "max_rel_err": 10 ** (-stop / 20),
        "reference": "ideal sines (abs: sine RMS error, rel: stopband leak)",
        "snr_db": snr,
        "stopband_db": stop,
        "ripple_db": ripple,
    }


def _as_1d(fn: Callable, numpy_in: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    if numpy_in:
        return lambda x: torch.from_numpy(
            np.asarray(fn(x[None].numpy().astype(np.float32)))[0]
        ).double()
    return lambda x: fn(x[None].float()).double()[0]


def _check(make_fn: Callable[[], Callable], p: Preset, numpy_in: bool = False) -> Callable:
    def check(out) -> dict:
        return quality(_as_1d(make_fn(), numpy_in), p.orig, p.new)

    return check


# ---- cases ---------------------------------------------------------------------------------------------


def _forward(fn: Callable, x) -> Callable[[], object]:
    def run():
        with torch.no_grad():
            return fn(x)

    return run


def _forward_backward(fn: Callable, x: torch.Tensor) -> Callable[[], None]:
    xg = x.detach().clone().requires_grad_(True)

    def run():
        xg.grad = None
        fn(xg).sum().backward()

    return run


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)


def build_cases(ctx: Context) -> list[Case]:
    dev = ctx.device
    tthreads = torch_threads(dev)
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.clips * p.seconds

        def data(p=p):
            return torch.from_numpy(_clips(p.name, p.clips, ctx.seed)).to(dev)

        def np_data(p=p):
            return _clips(p.name, p.clips, ctx.seed)

        def case(op, mode, impl, make, check=None, threads=tthreads, note="", p=p, audio=audio):
            role = "sonix" if impl.startswith("sonix") else "baseline"
            cases.append(
                Case(
                    FAMILY, p.name, op, mode, impl, role, threads, p.clips, audio, make, check, note
                )
            )

        # default quality vs the strong baselines
        case(
            "resample",
            "fwd",
            "sonix",
            lambda p=p, d=data: _forward(_sonix(p, "default", dev), d()),
            _check(lambda p=p: _sonix(p, "default", CPU), p),
            note="quality='default'",
        )
        if "torchaudio" in have:
            case(
                "resample",
                "fwd",
                "torchaudio",
                lambda p=p, d=data: _forward(_torchaudio(p, dev), d()),
                _check(lambda p=p: _torchaudio(p, CPU), p),
                note="kaiser_best, cached transforms.Resample",
            )
        if "julius" in have:
            case(
                "resample",
                "fwd",
                "julius",
                lambda p=p, d=data: _forward(_julius(p, dev), d()),
                _check(lambda p=p: _julius(p, CPU), p),
                note="cached ResampleFrac",
            )
        if "soxr" in have and dev.type == "cpu":
            case(
                "resample",
                "fwd",
                "soxr",
                lambda p=p, d=np_data: _forward(_soxr(p, "HQ"), d()),
                _check(lambda p=p: _soxr(p, "HQ"), p, numpy_in=True),
                threads="1 (soxr)",
                note="HQ",
            )
        # best quality vs soxr VHQ
        case(
            "resample-best",
            "fwd",
            "sonix",
            lambda p=p, d=data: _forward(_sonix(p, "best", dev), d()),
            _check(lambda p=p: _sonix(p, "best", CPU), p),
            note="quality='best'",
        )
        if "soxr" in have and dev.type == "cpu":
            case(
                "resample-best",
                "fwd",
                "soxr",
                lambda p=p, d=np_data: _forward(_soxr(p, "VHQ"), d()),
                _check(lambda p=p: _soxr(p, "VHQ"), p, numpy_in=True),
                threads="1 (soxr)",
                note="VHQ",
            )
        # forward + backward (differentiable implementations)
        case(
            "resample",
            "fwd+bwd",
            "sonix",
            lambda p=p, d=data: _forward_backward(_sonix(p, "default", dev), d()),
        )
        if "torchaudio" in have:
            case(
                "resample",
                "fwd+bwd",
                "torchaudio",
                lambda p=p, d=data: _forward_backward(_torchaudio(p, dev), d()),
            )
        if "julius" in have:
            case(
                "resample",
                "fwd+bwd",
                "julius",
                lambda p=p, d=data: _forward_backward(_julius(p, dev), d()),
            )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return [
        c.key
        for c in cases
        if c.op == "resample" and c.mode == "fwd" and c.impl in ("sonix", "torchaudio")
    ]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def targets(results) -> list[dict]:
    """The issue's target: sonix default >= 1.5x faster than the fastest of torchaudio kaiser_best,
    julius and soxr HQ (forward), per preset."""
    out = []
    by = {(r.thp, r.preset, r.op, r.mode, r.impl): r for r in results if r.family == FAMILY}
    for (thp, preset, op, mode, impl), r in by.items():
        if (op, mode, impl) != ("resample", "fwd", "sonix") or r.best_s is None:
            continue
        base = [
            b.best_s
            for (t2, p2, o2, m2, i2), b in by.items()
            if (t2, p2, o2, m2) == (thp, preset, op, mode)
            and i2 != "sonix"
            and b.best_s is not None
        ]
        if not base:
            continue
        what = "fastest baseline / sonix default (resample speed-up)"
        out.append(target_row(preset, thp, what, min(base) / r.best_s, 1.5))
    return out


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


NOTES = (
    "resample: quality columns are measured on sines: abs err = worst sine RMS error relative to the sine "
    "(10^(-SNR/20)), rel err = worst stopband leak (10^(-rejection/20)); snr_db, stopband_db, ripple_db in JSON",
    "resample: soxr runs on one core (numpy in, numpy out); torch-based rows use torch's threads",
)
