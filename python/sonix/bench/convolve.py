"""Convolve family: room impulse responses on a training batch.

16 clips x 4 s at 16 kHz, each convolved ("full") with its own 0.5 s impulse response (exponentially
decaying noise). sonix.functional.fftconvolve against scipy.signal.fftconvolve batched over the
last axis (axes=-1) and looped per clip, and torchaudio.functional.fftconvolve. Errors against
scipy in float64 on the first clips. scipy runs on one core, torch on its threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from sonix import functional as SF

from .runner import Case, Context, sized_presets, torch_threads
from .signals import test_signals

FAMILY = "convolve"
QUICK_CLIPS = 2


@dataclass(frozen=True)
class Preset:
    name: str
    sample_rate: int
    clips: int
    seconds: float
    ir_seconds: float

    def describe(self) -> str:
        return (
            f"{self.clips} clips x {self.seconds:g} s at {self.sample_rate} Hz, one {self.ir_seconds:g} s "
            "impulse response per clip, mode 'full', float32"
        )


PRESETS = {"rir": Preset("rir", 16000, 16, 4.0, 0.5)}


@cache
def _data(preset: str, clips: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    p = PRESETS[preset]
    x = test_signals(clips, p.seconds, p.sample_rate, seed).astype(np.float32)
    n = int(p.ir_seconds * p.sample_rate)
    rng = np.random.default_rng(seed + 1)
    decay = np.exp(-np.arange(n) / (0.1 * p.sample_rate))
    h = (rng.standard_normal((clips, n)) * decay).astype(np.float32)
    return x, h


def _scipy_batched(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    from scipy import signal

    return signal.fftconvolve(x, h, mode="full", axes=-1)


def _scipy_looped(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    from scipy import signal

    return np.stack([signal.fftconvolve(a, b, mode="full") for a, b in zip(x, h, strict=True)])


def _torchaudio(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    import torchaudio

    return torchaudio.functional.fftconvolve(x, h, mode="full")


@cache
def _reference(preset: str, clips: int, seed: int) -> np.ndarray:
    x, h = _data(preset, clips, seed)
    return _scipy_batched(x.astype(np.float64), h.astype(np.float64))


def _check(p: Preset, clips: int, seed: int) -> Callable:
    def check(out) -> dict:
        r = _reference(p.name, clips, seed)
        a = (
            out[:clips].detach().cpu().double().numpy()
            if isinstance(out, torch.Tensor)
            else np.asarray(out[:clips], np.float64)
        )
        axes = tuple(range(1, r.ndim))
        return {
            "max_abs_err": float(np.abs(a - r).max()),
            "unit": "",
            "max_rel_err": float((np.abs(a - r).max(axis=axes) / np.abs(r).max(axis=axes)).max()),
            "reference": "scipy.signal.fftconvolve float64",
        }

    return check


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)


def build_cases(ctx: Context) -> list[Case]:
    dev = ctx.device
    tthreads = torch_threads(dev)
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.clips * p.seconds
        check = _check(p, min(ctx.check_clips, p.clips), ctx.seed)

        def tdata(p=p):
            x, h = _data(p.name, p.clips, ctx.seed)
            return torch.from_numpy(x).to(dev), torch.from_numpy(h).to(dev)

        def ndata(p=p):
            return _data(p.name, p.clips, ctx.seed)

        def case(op, mode, impl, make, check=check, threads=tthreads, note="", p=p, audio=audio):
            role = "sonix" if impl == "sonix" else "baseline"
            cases.append(
                Case(
                    FAMILY, p.name, op, mode, impl, role, threads, p.clips, audio, make, check, note
                )
            )

        def fwd(fn, d):
            def make():
                a, b = d()

                def run():
                    with torch.no_grad():
                        return fn(a, b)

                return run

            return make

        def fwd_bwd(fn, d):
            def make():
                a, b = (t.detach().clone().requires_grad_(True) for t in d())

                def run():
                    a.grad = b.grad = None
                    fn(a, b).sum().backward()

                return run

            return make

        case("fftconvolve", "fwd", "sonix", fwd(lambda a, b: SF.fftconvolve(a, b), tdata))
        if "scipy" in have:
            case(
                "fftconvolve",
                "fwd",
                "scipy",
                fwd(_scipy_batched, ndata),
                threads="1 (scipy)",
                note="axes=-1",
            )
            case(
                "fftconvolve",
                "fwd",
                "scipy-loop",
                fwd(_scipy_looped, ndata),
                threads="1 (scipy)",
                note="per clip",
            )
        if "torchaudio" in have:
            case("fftconvolve", "fwd", "torchaudio", fwd(_torchaudio, tdata))
        case(
            "fftconvolve",
            "fwd+bwd",
            "sonix",
            fwd_bwd(lambda a, b: SF.fftconvolve(a, b), tdata),
            check=None,
        )
        if "torchaudio" in have:
            case("fftconvolve", "fwd+bwd", "torchaudio", fwd_bwd(_torchaudio, tdata), check=None)
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return [c.key for c in cases if c.mode == "fwd" and c.impl in ("sonix", "torchaudio")]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def targets(results) -> list[dict]:
    return []


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


NOTES = (
    "convolve: scipy runs on one core; scipy-loop calls scipy.signal.fftconvolve once per clip",
)
