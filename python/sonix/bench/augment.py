"""Augment family: batched augmentation against torch-audiomentations and audiomentations.

"compose": 32 clips x 2 s at 16 kHz, mono, float32: the issue's Compose [Gain, PolarityInversion,
AddColoredNoise, LowPassFilter, HighPassFilter, Shift] (every transform p=1, per example) and each
transform alone; "pitch": PitchShift of 8 clips x 2 s; "compose_gpu" (CUDA only): the Compose on
256 clips x 4 s. torch-audiomentations runs in this process on the same tensors; audiomentations
(numpy, one example at a time) loops over the batch. Augmentations are random, so no output is
checked here (tests/test_augment_*.py check them against references).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from .runner import Case, Context, sized_presets, speed_targets, torch_threads
from .signals import test_signals

FAMILY = "augment"
QUICK_CLIPS = 4


@dataclass(frozen=True)
class Preset:
    name: str
    sample_rate: int
    clips: int
    seconds: float
    ops: tuple[str, ...]
    cuda_only: bool = False

    def describe(self) -> str:
        return (
            f"{self.clips} clips x {self.seconds:g} s at {self.sample_rate} Hz, mono float32, "
            f"every transform p=1 per example: {', '.join(self.ops)}"
        )


COMPOSE = (
    "Gain",
    "PolarityInversion",
    "AddColoredNoise",
    "LowPassFilter",
    "HighPassFilter",
    "Shift",
)
SINGLE = COMPOSE + (
    "BandPassFilter",
    "ApplyImpulseResponse",
    "AddBackgroundNoise",
    "TimeStretch",
    "Clipping",
    "TanhDistortion",
    "BitCrush",
)
# Transforms a baseline does not have. torch-audiomentations 0.12 reads IR / noise files with
# torchaudio.info, which torchaudio 2.9+ removed: its file-based transforms cannot run here.
TA_MISSING = {
    "TimeStretch",
    "Clipping",
    "TanhDistortion",
    "BitCrush",
    "ApplyImpulseResponse",
    "AddBackgroundNoise",
}
AM_MISSING = {"ApplyImpulseResponse", "AddBackgroundNoise"}  # they read folders of files per call
PRESETS = {
    "compose": Preset("compose", 16000, 32, 2.0, ("compose",) + SINGLE),
    "pitch": Preset("pitch", 16000, 8, 2.0, ("PitchShift",)),
    "compose_gpu": Preset("compose_gpu", 16000, 256, 4.0, ("compose",), cuda_only=True),
}


@cache
def _banks(sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """8 impulse responses of 0.3 s (decaying noise) and 4 noises of 3 s (filtered noise)."""
    rng = np.random.default_rng(7)
    n_ir = int(0.3 * sample_rate)
    irs = rng.standard_normal((8, n_ir)) * np.exp(-np.arange(n_ir) / (0.05 * sample_rate))
    irs[:, 0] = 1.0
    noises = np.cumsum(rng.standard_normal((4, 3 * sample_rate)), -1)
    noises -= noises.mean(-1, keepdims=True)
    return irs.astype(np.float32), (noises / np.abs(noises).max(-1, keepdims=True)).astype(
        np.float32
    )


def _sonix(op: str, sr: int, device: torch.device):
    from .. import augment as A

    irs, noises = (torch.from_numpy(b).to(device) for b in _banks(sr))
    make = {
        "Gain": lambda: A.Gain(-18.0, 6.0, p=1.0),
        "PolarityInversion": lambda: A.PolarityInversion(p=1.0),
        "AddColoredNoise": lambda: A.AddColoredNoise(p=1.0),
        "LowPassFilter": lambda: A.LowPassFilter(p=1.0),
        "HighPassFilter": lambda: A.HighPassFilter(p=1.0),
        "BandPassFilter": lambda: A.BandPassFilter(p=1.0),
        "Shift": lambda: A.Shift(p=1.0),
        "ApplyImpulseResponse": lambda: A.ApplyImpulseResponse(irs, p=1.0),
        "AddBackgroundNoise": lambda: A.AddBackgroundNoise(noises, p=1.0),
        "TimeStretch": lambda: A.TimeStretch(p=1.0),
        "PitchShift": lambda: A.PitchShift(p=1.0),
        "Clipping": lambda: A.Clipping(p=1.0),
        "TanhDistortion": lambda: A.TanhDistortion(p=1.0),
        "BitCrush": lambda: A.BitCrush(p=1.0),
    }
    if op == "compose":
        t = A.Compose([make[name]() for name in COMPOSE], seed=0)
    else:
        t = make[op]()
    return t.to(device)


def _torch_audiomentations(op: str, sr: int):
    import torch_audiomentations as ta

    kw = {"p": 1.0, "mode": "per_example", "output_type": "tensor"}
    make = {
        "Gain": lambda: ta.Gain(-18.0, 6.0, **kw),
        "PolarityInversion": lambda: ta.PolarityInversion(**kw),
        "AddColoredNoise": lambda: ta.AddColoredNoise(**kw),
        "LowPassFilter": lambda: ta.LowPassFilter(**kw),
        "HighPassFilter": lambda: ta.HighPassFilter(**kw),
        "BandPassFilter": lambda: ta.BandPassFilter(**kw),
        "Shift": lambda: ta.Shift(**kw),
        "PitchShift": lambda: ta.PitchShift(sample_rate=sr, **kw),
    }
    if op == "compose":
        return ta.Compose([make[name]() for name in COMPOSE], output_type="tensor")
    return make[op]()


def _audiomentations(op: str, sr: int):
    import audiomentations as am

    make = {
        "Gain": lambda: am.Gain(min_gain_db=-18.0, max_gain_db=6.0, p=1.0),
        "PolarityInversion": lambda: am.PolarityInversion(p=1.0),
        "AddColoredNoise": lambda: am.AddColorNoise(p=1.0),
        "LowPassFilter": lambda: am.LowPassFilter(p=1.0),
        "HighPassFilter": lambda: am.HighPassFilter(p=1.0),
        "BandPassFilter": lambda: am.BandPassFilter(p=1.0),
        "Shift": lambda: am.Shift(p=1.0),
        "TimeStretch": lambda: am.TimeStretch(p=1.0, leave_length_unchanged=True),
        "PitchShift": lambda: am.PitchShift(p=1.0),
        "Clipping": lambda: am.ClippingDistortion(p=1.0),
        "TanhDistortion": lambda: am.TanhDistortion(p=1.0),
        "BitCrush": lambda: am.BitCrush(p=1.0),
    }
    if op == "compose":
        return am.Compose([make[name]() for name in COMPOSE])
    return make[op]()


def presets_for(ctx: Context) -> list[Preset]:
    return [
        p
        for p in sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)
        if not (p.cuda_only and ctx.device.type != "cuda")
    ]


def build_cases(ctx: Context) -> list[Case]:
    dev = ctx.device
    tthreads = torch_threads(dev)
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.clips * p.seconds
        sr = p.sample_rate

        def data(p=p) -> np.ndarray:
            return test_signals(p.clips, p.seconds, p.sample_rate, ctx.seed)[:, None, :]

        def case(op, impl, make, threads=tthreads, note="", p=p, audio=audio):
            role = "sonix" if impl == "sonix" else "baseline"
            cases.append(
                Case(
                    FAMILY, p.name, op, "fwd", impl, role, threads, p.clips, audio, make, None, note
                )
            )

        def torch_make(build: Callable, p=p, sr=sr) -> Callable:
            def make():
                x = torch.from_numpy(data(p)).to(dev)
                t = build()

                def run():
                    with torch.no_grad():
                        return t(x, sample_rate=sr)

                return run

            return make

        def numpy_make(build: Callable, p=p, sr=sr) -> Callable:
            def make():
                x = data(p)
                t = build()

                def run():
                    return [t(samples=row, sample_rate=sr) for row in x]

                return run

            return make

        for op in p.ops:
            case(op, "sonix", torch_make(lambda op=op, sr=sr: _sonix(op, sr, dev)))
            if "torch-audiomentations" in have and op not in TA_MISSING:
                case(
                    op,
                    "torch-audiomentations",
                    torch_make(lambda op=op, sr=sr: _torch_audiomentations(op, sr).to(dev)),
                )
            if "audiomentations" in have and dev.type == "cpu" and op not in AM_MISSING:
                case(
                    op,
                    "audiomentations",
                    numpy_make(lambda op=op, sr=sr: _audiomentations(op, sr)),
                    threads="1 (numpy)",
                    note="loop over clips",
                )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return [
        c.key for c in cases if c.op == "compose" and c.impl in ("sonix", "torch-audiomentations")
    ]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def targets(results) -> list[dict]:
    """The issue's targets: Compose >= 5x torch-audiomentations (CPU), PitchShift >= 10x, and the
    Compose at 256 x 4 s >= 20x on a GPU."""
    out = []
    for preset, op, target in (
        ("compose", "compose", 5.0),
        ("pitch", "PitchShift", 10.0),
        ("compose_gpu", "compose", 20.0),
    ):
        what = f"torch-audiomentations / sonix ({op})"
        out += speed_targets(
            results, FAMILY, preset, "fwd", "torch-audiomentations", what, target, op=op
        )
    return out


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


NOTES = (
    "augment: every transform at p=1 per example (torch-audiomentations and audiomentations defaults are "
    "p=0.5); audiomentations runs one clip at a time on numpy; torch-audiomentations 0.12's IR and background "
    "noise transforms read files with torchaudio.info, removed in torchaudio 2.9, so they have no row",
)
