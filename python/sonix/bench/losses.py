"""Losses family: multi-resolution STFT loss (auraloss defaults) and multi-scale mel loss (DAC's).

Codec-training size: 16 clips x 65536 samples float32, prediction = target + a little noise; the
prediction requires grad. Implementations compute the same loss:

* ``mrstft``: ``auraloss.freq.MultiResolutionSTFTLoss()`` (fft 1024/2048/512, hop 120/240/50, win
  600/1200/240, hann, sc + log-magnitude). Baselines: auraloss itself (when installed, with the
  ``torch`` baseline), plain torch (torch.stft, re^2 + im^2, one stft call for both signals) and
  torch.compile of that plain torch.
* ``mel``: DAC's ``MelSpectrogramLoss`` defaults (n_mels 150/80, windows 2048/512, hop win/4, log10
  of clamped mel, pow 2, mag + log L1) at 44.1 kHz. Baselines: plain torch (torch.stft, abs, mel
  matmul) and torch.compile of it.

Errors: the loss value against the float64 plain-torch reference (sonix.reference.losses) on the
same batch; max_abs_err is the absolute error of the loss, max_rel_err the relative one.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import torch

import sonix.losses as SL
from sonix.functional import mel_filterbank
from sonix.reference import losses as ref

from .runner import Case, Context, sized_presets, speed_targets, torch_threads
from .signals import test_signals

FAMILY = "losses"
QUICK_CLIPS = 2


@dataclass(frozen=True)
class Preset:
    name: str
    sample_rate: int
    clips: int
    samples: int

    def describe(self) -> str:
        what = {
            "mrstft": "auraloss MultiResolutionSTFTLoss defaults (fft 1024/2048/512, hop 120/240/50, "
            "win 600/1200/240, hann, spectral convergence + log magnitude)",
            "mel": "DAC MelSpectrogramLoss defaults (n_mels 150/80, windows 2048/512, hop win/4, "
            "log10(clamp(mel, 1e-5))^2 + mag L1)",
        }[self.name]
        return (
            f"{self.clips} clips x {self.samples} samples at {self.sample_rate} Hz float32, {what}"
        )


PRESETS = {
    "mrstft": Preset("mrstft", 24000, 16, 65536),
    "mel": Preset("mel", 44100, 16, 65536),
}

MRSTFT = dict(fft_sizes=(1024, 2048, 512), hop_sizes=(120, 240, 50), win_lengths=(600, 1200, 240))
MEL = dict(n_mels=(150, 80), window_lengths=(2048, 512))


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)


def _pair(p: Preset, seed: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    target = torch.from_numpy(test_signals(p.clips, p.samples / p.sample_rate, p.sample_rate, seed))
    g = torch.Generator().manual_seed(seed)
    pred = target + 0.05 * torch.randn(target.shape, generator=g)
    return pred.to(device), target.to(device)


# ---- plain-torch baselines ----------------------------------------------------------------------


def _plain_mrstft(device) -> Callable:
    windows = {}
    for n, wl in zip(MRSTFT["fft_sizes"], MRSTFT["win_lengths"], strict=True):
        windows[n] = torch.hann_window(wl, device=device)

    def loss(x, y):
        total = 0.0
        b = x.shape[0]
        for n, h, wl in zip(*MRSTFT.values(), strict=True):
            s = torch.stft(torch.cat([x, y]), n, h, wl, windows[n], return_complex=True)
            mag = torch.sqrt(torch.clamp(s.real**2 + s.imag**2, min=1e-8))
            mx, my = mag[:b], mag[b:]
            sc = torch.linalg.vector_norm(my - mx) / torch.linalg.vector_norm(my)
            total = total + sc + (torch.log(mx) - torch.log(my)).abs().mean()
        return total / 3

    return loss


def _plain_mel(p: Preset, device) -> Callable:
    fbs = [
        mel_filterbank(p.sample_rate, w, m, device=device)
        for m, w in zip(MEL["n_mels"], MEL["window_lengths"], strict=True)
    ]
    wins = [torch.hann_window(w, device=device) for w in MEL["window_lengths"]]

    def loss(x, y):
        total = 0.0
        b = x.shape[0]
        for fb, win, w in zip(fbs, wins, MEL["window_lengths"], strict=True):
            s = torch.stft(torch.cat([x, y]), w, w // 4, window=win, return_complex=True)
            mel = fb @ s.abs()
            mx, my = mel[:b], mel[b:]
            lx, ly = mx.clamp(min=1e-5).pow(2).log10(), my.clamp(min=1e-5).pow(2).log10()
            total = total + (lx - ly).abs().mean() + (mx - my).abs().mean()
        return total

    return loss


def _impl(p: Preset, impl: str, device) -> Callable:
    if p.name == "mrstft":
        if impl == "sonix":
            return SL.MultiResolutionSTFTLoss()
        if impl == "auraloss":
            import auraloss

            m = auraloss.freq.MultiResolutionSTFTLoss()
            return lambda x, y: m(x[:, None], y[:, None])
        plain = _plain_mrstft(device)
    else:
        if impl == "sonix":
            return SL.MultiScaleMelLoss(sample_rate=p.sample_rate)
        plain = _plain_mel(p, device)
    return torch.compile(plain, dynamic=False) if impl == "torch.compile" else plain


def _check(p: Preset, seed: int) -> Callable:
    def check(out) -> dict:
        x, y = _pair(p, seed, "cpu")
        x, y = x.double(), y.double()
        if p.name == "mrstft":
            r = ref.multi_resolution_stft_loss(x, y, **MRSTFT)
        else:
            r = ref.multi_scale_mel_loss(x, y, p.sample_rate, **MEL)
        err = abs(float(out) - float(r))
        return {
            "max_abs_err": err,
            "unit": "",
            "max_rel_err": err / abs(float(r)),
            "reference": "plain torch float64",
        }

    return check


def _forward(fn: Callable, x: torch.Tensor, y: torch.Tensor) -> Callable[[], object]:
    def run():
        with torch.no_grad():
            return fn(x, y)

    return run


def _forward_backward(fn: Callable, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    xg = x.detach().clone().requires_grad_(True)

    def run():
        xg.grad = None
        fn(xg, y).backward()

    return run


def build_cases(ctx: Context) -> list[Case]:
    """(preset, op, mode, impl) cases, sonix first in each group; inputs are built lazily."""
    dev = ctx.device
    threads = torch_threads(dev)
    have = set(ctx.baselines)
    if "torch" in have and importlib.util.find_spec("auraloss") is not None:
        have.add("auraloss")
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.clips * p.samples / p.sample_rate
        impls = (
            ["sonix", "auraloss", "torch", "torch.compile"]
            if p.name == "mrstft"
            else ["sonix", "torch", "torch.compile"]
        )
        for mode in ("fwd", "fwd+bwd"):
            for impl in impls:
                if impl != "sonix" and impl not in have:
                    continue

                def make(p=p, impl=impl, mode=mode):
                    x, y = _pair(p, ctx.seed, dev)
                    fn = _impl(p, impl, dev)
                    return _forward(fn, x, y) if mode == "fwd" else _forward_backward(fn, x, y)

                cases.append(
                    Case(
                        FAMILY,
                        p.name,
                        p.name,
                        mode,
                        impl,
                        "sonix" if impl == "sonix" else "baseline",
                        threads,
                        p.clips,
                        audio,
                        make,
                        _check(p, ctx.seed) if mode == "fwd" else None,
                    )
                )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    impls = ("sonix", "torch") if quick else ("sonix", "torch", "auraloss")
    return [c.key for c in cases if c.impl in impls]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


def targets(results) -> list[dict]:
    """The issue's target: multi-resolution STFT loss forward+backward at least 2x auraloss."""
    what = "auraloss / sonix, multi-resolution STFT loss fwd+bwd"
    return speed_targets(results, FAMILY, "mrstft", "fwd+bwd", "auraloss", what, 2.0)


NOTES = (
    "losses: auraloss runs whenever it is installed and the torch baseline is selected; fwd+bwd = "
    "forward, gradient of the loss w.r.t. the prediction (the target does not require grad)",
    "losses: sonix never holds the complex spectrograms (fused per-block sums for the STFT loss, the "
    "fused mel op for the mel loss); the mel loss holds the mel spectrograms",
)
