"""layers_extra family: the fused anti-aliased activation (BigVGAN Activation1d, SnakeBeta) and PCEN.

* ``antialias`` preset: float32 (8, 256, 8192) activations (BigVGAN-v2-like: ratio 2, 12-tap Kaiser
  sincs, SnakeBeta with log-scale parameters). Baselines: the plain-torch re-expression of BigVGAN's
  torch code (``sonix.reference.antialias``: replicate pad, grouped conv_transpose1d, Snake, replicate
  pad, grouped strided conv1d) eagerly and under torch.compile. fwd+bwd = forward, sum, gradients of
  the input and both parameter vectors.
* ``pcen`` preset: float32 (32, 128, 2000) mel energies with librosa.pcen's defaults. Baselines:
  librosa.pcen (one clip at a time, numpy / scipy.signal.lfilter: one core) forward only, and a
  plain-torch reference (a Python loop over frames for the smoother, then elementwise torch ops),
  forward and fwd+bwd (gradients of the input and the four per-channel parameters).

Errors: max|a - r| / max|r| on the first check clips against the float64 plain-torch reference
(antialias) or librosa.pcen in float64 (pcen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

import sonix.functional as SF
from sonix.reference import antialias as ref_aa
from sonix.reference import pcen as ref_pcen

from .runner import Case, Context, sized_presets, speed_targets

FAMILY = "layers_extra"
QUICK_CLIPS = 2


@dataclass(frozen=True)
class Preset:
    name: str
    clips: int
    channels: int
    length: int
    seconds_per_clip: float

    def describe(self) -> str:
        if self.name == "antialias":
            return (
                f"{self.clips} x {self.channels} channels x {self.length} samples float32, up/down ratio 2, "
                "12-tap Kaiser sincs, SnakeBeta (log-scale parameters)"
            )
        return (
            f"{self.clips} x {self.channels} mels x {self.length} frames float32 energies, librosa.pcen defaults "
            "(gain 0.98, bias 2, power 0.5, time constant 0.4 s at sr 22050 / hop 512, eps 1e-6)"
        )


PRESETS = {
    # Audio seconds: BigVGAN at 24 kHz; PCEN frames at hop 512, sr 22050.
    "antialias": Preset("antialias", 8, 256, 8192, 8192 / 24000),
    "pcen": Preset("pcen", 32, 128, 2000, 2000 * 512 / 22050),
}


def _threads(device: torch.device) -> str:
    return "GPU" if device.type == "cuda" else f"{torch.get_num_threads()} (torch)"


@cache
def _data(name: str, clips: int, seed: int) -> np.ndarray:
    p = PRESETS[name]
    rng = np.random.default_rng([seed, 7])
    if name == "antialias":
        return (0.5 * rng.standard_normal((clips, p.channels, p.length))).astype(np.float32)
    return (rng.random((clips, p.channels, p.length)) ** 4 * 10).astype(np.float32)


def _aa_params(p: Preset, device, dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    alpha = 0.3 * torch.randn(p.channels, generator=g, dtype=torch.float64)
    beta = 0.3 * torch.randn(p.channels, generator=g, dtype=torch.float64)
    filt = SF.antialias_filter(2, 12, torch.float64)
    return [t.to(device=device, dtype=dtype) for t in (alpha, beta, filt)]


def _aa_impl(impl: str, p: Preset, device) -> Callable:
    if impl == "sonix":
        return lambda x, a, b, f: SF.anti_alias_activation(x, a, b, 2, 2, f, f, log_scale=True)

    def plain(x, a, b, f):
        return ref_aa.anti_alias_activation(x, a, b, f, f, 2, 2, True)

    return torch.compile(plain, fullgraph=True) if impl == "torch.compile" else plain


def _aa_case(
    impl: str, p: Preset, device, clips: int, seed: int, backward: bool
) -> Callable[[], object]:
    x = torch.from_numpy(_data(p.name, clips, seed)).to(device)
    alpha, beta, filt = _aa_params(p, device)
    fn = _aa_impl(impl, p, device)
    if not backward:

        def fwd():
            with torch.no_grad():
                return fn(x, alpha, beta, filt)

        return fwd
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, alpha, beta)]

    def fwd_bwd():
        for t in leaves:
            t.grad = None
        fn(leaves[0], leaves[1], leaves[2], filt).sum().backward()
        return None

    return fwd_bwd


def _pcen_params(p: Preset, device, dtype=torch.float32):
    s = ref_pcen.smoothing_coefficient()
    vals = (s, 0.98, 2.0, 0.5)
    return [torch.full((p.channels,), v, dtype=dtype, device=device) for v in vals]


def _pcen_torch(x, s, a, d, r):
    return ref_pcen.pcen(x, s, a, d, r, 1e-6)[0]


def _pcen_case(
    impl: str, p: Preset, device, clips: int, seed: int, backward: bool
) -> Callable[[], object]:
    if impl == "librosa":
        import librosa

        data = _data(p.name, clips, seed)
        return lambda: np.stack([librosa.pcen(c) for c in data])
    x = torch.from_numpy(_data(p.name, clips, seed)).to(device)
    params = _pcen_params(p, device)
    if impl == "sonix":
        fn = lambda x, s, a, d, r: SF.pcen(x, gain=a, bias=d, power=r, b=s)  # noqa: E731
    else:
        fn = _pcen_torch
    if not backward:

        def fwd():
            with torch.no_grad():
                return fn(x, *params)

        return fwd
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, *params)]

    def fwd_bwd():
        for t in leaves:
            t.grad = None
        fn(*leaves).sum().backward()
        return None

    return fwd_bwd


def _rel(a: np.ndarray, r: np.ndarray) -> float:
    return float(np.abs(a - r).max() / max(np.abs(r).max(), 1e-300))


def _check(p: Preset, n: int, seed: int) -> Callable[[object], dict]:
    def check(out) -> dict:
        a = out.detach().cpu().numpy()[:n] if isinstance(out, torch.Tensor) else np.asarray(out)[:n]
        data = _data(p.name, max(n, 1), seed)[:n].astype(np.float64)
        if p.name == "antialias":
            alpha, beta, filt = _aa_params(p, "cpu", torch.float64)
            r = ref_aa.anti_alias_activation(
                torch.from_numpy(data), alpha, beta, filt, filt, 2, 2, True
            ).numpy()
            name = "plain torch float64"
        else:
            try:
                import librosa

                r = np.stack([librosa.pcen(c) for c in data])
                name = "librosa float64"
            except ImportError:
                r = _pcen_torch(
                    torch.from_numpy(data), *_pcen_params(p, "cpu", torch.float64)
                ).numpy()
                name = "plain torch float64"
        return {
            "max_abs_err": float(np.abs(a - r).max()),
            "unit": "",
            "max_rel_err": _rel(a, r),
            "reference": name,
        }

    return check


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "clips", QUICK_CLIPS)


def build_cases(ctx: Context) -> list[Case]:
    dev = ctx.device
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.clips * p.seconds_per_clip
        n_check = min(ctx.check_clips, p.clips)
        check = _check(p, n_check, ctx.seed)
        op = "antialias" if p.name == "antialias" else "pcen"
        make = _aa_case if p.name == "antialias" else _pcen_case
        impls = (
            ("sonix", "torch", "torch.compile")
            if p.name == "antialias"
            else ("sonix", "librosa", "torch")
        )
        for mode in ("fwd", "fwd+bwd"):
            for impl in impls:
                if impl != "sonix" and impl not in have:
                    continue
                if impl == "librosa" and mode != "fwd":
                    continue
                threads = "1 (numpy / scipy)" if impl == "librosa" else _threads(dev)
                role = "sonix" if impl == "sonix" else "baseline"
                cases.append(
                    Case(
                        FAMILY,
                        p.name,
                        op,
                        mode,
                        impl,
                        role,
                        threads,
                        p.clips,
                        audio,
                        lambda impl=impl, p=p, mode=mode, make=make: make(
                            impl, p, dev, p.clips, ctx.seed, mode == "fwd+bwd"
                        ),
                        check if mode == "fwd" else None,
                    )
                )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return [
        c.key
        for c in cases
        if c.op == "antialias" and c.impl in ("sonix", "torch") and c.mode == "fwd"
    ]


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


def targets(results) -> list[dict]:
    """The issue's target: anti-aliased activation forward+backward at least 3x eager PyTorch (CPU)."""
    what = "eager torch / sonix, anti-aliased activation fwd+bwd"
    return speed_targets(results, FAMILY, "antialias", "fwd+bwd", "torch", what, 3.0)


NOTES = (
    "layers_extra: librosa.pcen runs one clip at a time on one core and has no gradient; the torch PCEN "
    "baseline loops over frames in Python for the smoother",
    "layers_extra: antialias baselines are the plain-torch re-expression of BigVGAN's alias_free_activation "
    "torch code (sonix.reference.antialias), eager and torch.compile(fullgraph=True)",
)
