"""Filters family: a biquad lowpass (lfilter) and a 6th-order Butterworth cascade (sosfilt).

* ``biquad`` preset: RBJ lowpass at 1 kHz (Q 0.707) on 16 clips x 10 s at 44.1 kHz float32 (64 clips
  on CUDA). sonix ``lfilter`` against scipy ``lfilter`` (float32, 2-D, one core) and torchaudio's
  ``lfilter`` (clamp off), forward, and forward + backward (gradient w.r.t. the signal) vs torchaudio.
* ``butter6`` preset: ``scipy.signal.butter(6, 1000, fs=44100, output='sos')`` as float32 sections,
  sonix ``sosfilt`` against scipy ``sosfilt`` float32.

Errors: max|y - r| / max|r| per clip against scipy in float64 on the first ``check_clips`` clips.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from sonix import functional as SF

from .runner import Case, Context, speed_targets, target_row
from .signals import test_signals

FAMILY = "filters"
QUICK_CLIPS = 4
SCIPY_THREADS = "1 (scipy)"


@dataclass(frozen=True)
class Preset:
    name: str
    sample_rate: int
    clips: int
    seconds: float
    op: str  # "lfilter" | "sosfilt"

    def describe(self) -> str:
        what = (
            "RBJ lowpass biquad 1 kHz, Q 0.707"
            if self.op == "lfilter"
            else "6th-order Butterworth lowpass 1 kHz as 3 second-order sections"
        )
        return f"{self.clips} clips x {self.seconds:g} s at {self.sample_rate} Hz float32, {what}"


PRESETS = {
    "biquad": Preset("biquad", 44100, 16, 10.0, "lfilter"),
    "butter6": Preset("butter6", 44100, 16, 10.0, "sosfilt"),
}
CUDA_CLIPS = 64


def _threads(device: torch.device) -> str:
    return "GPU" if device.type == "cuda" else f"{torch.get_num_threads()} (torch)"


@cache
def _clips(preset: str, clips: int, seed: int) -> np.ndarray:
    p = PRESETS[preset]
    return test_signals(clips, p.seconds, p.sample_rate, seed)


@cache
def _design(preset: str) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
    """Float64 coefficients: (b, a) of the biquad, or the (3, 6) sections."""
    p = PRESETS[preset]
    if p.op == "lfilter":
        b, a = SF.biquad_coeffs("lowpass", p.sample_rate, 1000.0, 0.707)
        return b.numpy(), a.numpy()
    return SF.butter_sos(6, 1000.0, fs=p.sample_rate).numpy()


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cache
def _reference(preset: str, clips: int, seed: int) -> np.ndarray:
    import scipy.signal as ss

    x = _clips(preset, clips, seed).astype(np.float64)
    d = _design(preset)
    return (
        ss.lfilter(d[0], d[1], x, axis=-1)
        if PRESETS[preset].op == "lfilter"
        else ss.sosfilt(d, x, axis=-1)
    )


def _check(p: Preset, n: int, seed: int) -> Callable[[object], dict]:
    def check(out) -> dict:
        y = (
            out.detach().cpu().double().numpy()
            if isinstance(out, torch.Tensor)
            else np.asarray(out, np.float64)
        )
        ref = _reference(p.name, n, seed)
        y = y[:n]
        err = np.abs(y - ref).max(axis=-1)
        rel = err / np.abs(ref).max(axis=-1)
        return {
            "max_abs_err": float(err.max()),
            "unit": "",
            "max_rel_err": float(rel.max()),
            "reference": "scipy float64",
        }

    return check


def _sonix(p: Preset, device) -> Callable:
    d = _design(p.name)
    if p.op == "lfilter":
        b = torch.tensor(d[0], dtype=torch.float32, device=device)
        a = torch.tensor(d[1], dtype=torch.float32, device=device)
        return lambda x: SF.lfilter(x, a, b, clamp=False)
    sos = torch.tensor(d, dtype=torch.float32, device=device)
    return lambda x: SF.sosfilt(x, sos)


def _torchaudio(p: Preset, device) -> Callable:
    import torchaudio.functional as TAF

    d = _design(p.name)
    b = torch.tensor(d[0], dtype=torch.float32, device=device)
    a = torch.tensor(d[1], dtype=torch.float32, device=device)
    return lambda x: TAF.lfilter(x, a, b, clamp=False)


def _scipy(p: Preset) -> Callable:
    import scipy.signal as ss

    d = _design(p.name)
    if p.op == "lfilter":
        b, a = d[0].astype(np.float32), d[1].astype(np.float32)
        return lambda x: ss.lfilter(b, a, x, axis=-1)
    sos = d.astype(np.float32)
    return lambda x: ss.sosfilt(sos, x, axis=-1)


def _forward(fn: Callable, x) -> Callable[[], object]:
    def run():
        with torch.no_grad():
            return fn(x)

    return run


def _numpy_forward(fn: Callable, x: np.ndarray) -> Callable[[], object]:
    return lambda: fn(x)


def _forward_backward(fn: Callable, x: torch.Tensor) -> Callable[[], None]:
    xg = x.detach().clone().requires_grad_(True)

    def run():
        xg.grad = None
        fn(xg).sum().backward()

    return run


def presets_for(ctx: Context) -> list[Preset]:
    out = []
    for name in ctx.presets:
        p = PRESETS[name]
        default = CUDA_CLIPS if ctx.device.type == "cuda" else p.clips
        clips = ctx.batch or (QUICK_CLIPS if ctx.quick else default)
        out.append(Preset(**{**p.__dict__, "clips": clips}))
    return out


def build_cases(ctx: Context) -> list[Case]:
    dev = ctx.device
    tthreads = _threads(dev)
    have = set(ctx.baselines)
    scipy_ok = _has("scipy")
    cases: list[Case] = []
    for p in presets_for(ctx):
        n_check = min(ctx.check_clips, p.clips)
        audio = p.clips * p.seconds
        check = _check(p, n_check, ctx.seed) if scipy_ok else None

        def data(p=p):
            return torch.from_numpy(_clips(p.name, p.clips, ctx.seed)).to(dev)

        def np_data(p=p):
            return _clips(p.name, p.clips, ctx.seed)

        def case(mode, impl, make, chk=None, threads=tthreads, p=p, audio=audio, note=""):
            role = "sonix" if impl == "sonix" else "baseline"
            cases.append(
                Case(
                    FAMILY, p.name, p.op, mode, impl, role, threads, p.clips, audio, make, chk, note
                )
            )

        case("fwd", "sonix", lambda p=p, d=data: _forward(_sonix(p, dev), d()), check)
        if scipy_ok:
            case(
                "fwd",
                "scipy",
                lambda p=p, d=np_data: _numpy_forward(_scipy(p), d()),
                check,
                threads=SCIPY_THREADS,
                note="float32, one call on the 2-D batch",
            )
        if p.op == "lfilter" and "torchaudio" in have:
            case("fwd", "torchaudio", lambda p=p, d=data: _forward(_torchaudio(p, dev), d()), check)
        case("fwd+bwd", "sonix", lambda p=p, d=data: _forward_backward(_sonix(p, dev), d()))
        if p.op == "lfilter" and "torchaudio" in have:
            case(
                "fwd+bwd",
                "torchaudio",
                lambda p=p, d=data: _forward_backward(_torchaudio(p, dev), d()),
            )
    return cases


MEMORY_OPS = ("lfilter",)


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return [
        c.key
        for c in cases
        if c.op in MEMORY_OPS and c.impl in ("sonix", "torchaudio") and c.mode == "fwd"
    ]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


def targets(results) -> list[dict]:
    """The issue's targets: biquad forward >= 1.5x scipy and >= 8x torchaudio, forward + backward
    >= 8x torchaudio (speedups), Butterworth-6 float32 error <= 1e-4 of the float64 output."""
    out = []
    goals = (("fwd", "scipy", 1.5), ("fwd", "torchaudio", 8.0), ("fwd+bwd", "torchaudio", 8.0))
    lfilter_presets = dict.fromkeys(
        r.preset for r in results if r.family == FAMILY and r.op == "lfilter"
    )
    for preset in lfilter_presets:
        for mode, base, goal in goals:
            what = f"lfilter {mode}: {base} time / sonix time"
            out += speed_targets(results, FAMILY, preset, mode, base, what, goal, op="lfilter")
    for r in results:
        err = (r.errors or {}).get("max_rel_err")
        is_sosfilt = (r.family, r.op, r.mode, r.impl) == (FAMILY, "sosfilt", "fwd", "sonix")
        if is_sosfilt and r.best_s is not None and err is not None:
            what = "sosfilt float32 max rel. error vs scipy float64"
            out.append(target_row(r.preset, r.thp, what, err, 1e-4, at_most=True))
    return out
