"""Layers family: Snake activation and causal depthwise conv1d against eager and compiled PyTorch.

* ``snake`` preset: float32 (8, 256, 16384) activations, per-channel alpha (Snake, BigVGAN's
  formula ``x + 1 / (alpha + 1e-9) * sin(alpha x)^2``). Implementations: sonix, eager PyTorch,
  ``torch.compile`` of the same PyTorch, and a plain ``copy_`` of the tensor into an existing buffer
  as the memory-bandwidth bound ("copy"; its GB/s is read + write bytes over time). fwd+bwd: forward,
  sum, gradients w.r.t. the input and alpha.
* ``conv31`` preset: causal depthwise conv width 31 on float32 (8, 512, 16000) with bias, against
  ``nn.Conv1d(groups=C)`` on the left-padded input and its ``torch.compile``. fwd+bwd: gradients
  w.r.t. the input, weight and bias.

Errors: the first example of each output against the float64 plain-torch reference
(``sonix.reference.layers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sonix.functional import layers as FL
from sonix.reference import layers as ref

from .runner import Case, Context, sized_presets, speed_targets, torch_threads

FAMILY = "layers"
QUICK_BATCH = 2
SAMPLE_RATE = (
    16000  # "audio seconds" of a (batch, channels, time) activation: batch * time / 16 kHz
)


@dataclass(frozen=True)
class Preset:
    name: str
    op: str
    batch: int
    channels: int
    time: int
    width: int = 0

    def describe(self) -> str:
        shape = f"float32 ({self.batch}, {self.channels}, {self.time})"
        if self.op == "snake":
            return f"Snake activation on {shape}, per-channel alpha; bound: copy_ of the tensor"
        return f"causal depthwise conv1d, width {self.width}, bias, on {shape}; baseline nn.Conv1d(groups=C) + left pad"


PRESETS = {
    "snake": Preset("snake", "snake", 8, 256, 16384),
    "conv31": Preset("conv31", "causal_conv", 8, 512, 16000, 31),
}


def _input(p: Preset, device, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn((p.batch, p.channels, p.time), generator=g).to(device)


def _params(p: Preset, device, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    if p.op == "snake":
        return {"alpha": (torch.rand(p.channels, generator=g) * 2 + 0.2).to(device)}
    return {
        "weight": (torch.randn(p.channels, 1, p.width, generator=g) / p.width**0.5).to(device),
        "bias": torch.randn(p.channels, generator=g).to(device),
    }


# ---- implementations: each returns f(x, params) -> output ------------------------------------------


def _sonix(p: Preset) -> Callable:
    if p.op == "snake":
        return lambda x, q: FL.snake(x, q["alpha"])
    return lambda x, q: FL.causal_conv1d(x, q["weight"], q["bias"])


def _torch(p: Preset) -> Callable:
    if p.op == "snake":
        return lambda x, q: ref.snake(x, q["alpha"])
    return lambda x, q: F.conv1d(
        F.pad(x, (p.width - 1, 0)), q["weight"], q["bias"], groups=p.channels
    )


def _compiled(p: Preset) -> Callable:
    return torch.compile(_torch(p))


IMPL_FNS = {"sonix": _sonix, "torch": _torch, "torch.compile": _compiled}


def _reference(p: Preset, x: torch.Tensor, q: dict) -> torch.Tensor:
    x0 = x[:1].double().cpu()
    q0 = {k: v.double().cpu() for k, v in q.items()}
    if p.op == "snake":
        return ref.snake(x0, q0["alpha"])
    return ref.causal_conv1d(x0, q0["weight"], q0["bias"])


def _check(p: Preset, want: dict) -> Callable:
    def check(out) -> dict:
        a = out[:1].double().cpu()
        r = want["ref"]
        return {
            "max_abs_err": float((a - r).abs().max()),
            "unit": "",
            "max_rel_err": float((a - r).abs().max() / r.abs().max()),
            "reference": "plain torch float64",
        }

    return check


def _forward(fn: Callable, x: torch.Tensor, q: dict) -> Callable[[], object]:
    def run():
        with torch.no_grad():
            return fn(x, q)

    return run


def _forward_backward(fn: Callable, x: torch.Tensor, q: dict) -> Callable[[], None]:
    xg = x.detach().clone().requires_grad_(True)
    qg = {k: v.detach().clone().requires_grad_(True) for k, v in q.items()}

    def run():
        xg.grad = None
        for v in qg.values():
            v.grad = None
        fn(xg, qg).sum().backward()
        return None

    return run


def _copy(x: torch.Tensor) -> Callable[[], object]:
    out = torch.empty_like(x)

    def run():
        return out.copy_(x)

    return run


def presets_for(ctx: Context) -> list[Preset]:
    return sized_presets(ctx, PRESETS, "batch", QUICK_BATCH)


def build_cases(ctx: Context) -> list[Case]:
    """Every (preset, op, mode, impl) case, sonix first; inputs are built lazily."""
    dev = ctx.device
    tthreads = torch_threads(dev)
    have = set(ctx.baselines)
    cases: list[Case] = []
    for p in presets_for(ctx):
        audio = p.batch * p.time / SAMPLE_RATE
        want: dict = {}

        def data(p=p, want=want):
            x, q = _input(p, dev, ctx.seed), _params(p, dev, ctx.seed)
            if "ref" not in want:
                want["ref"] = _reference(p, x, q)
            return x, q

        def case(mode, impl, make, check=None, role=None, note="", p=p, audio=audio):
            role = role or ("sonix" if impl == "sonix" else "baseline")
            cases.append(
                Case(
                    FAMILY,
                    p.name,
                    p.op,
                    mode,
                    impl,
                    role,
                    tthreads,
                    p.batch,
                    audio,
                    make,
                    check,
                    note,
                )
            )

        impls = [i for i in ("sonix", "torch", "torch.compile") if i == "sonix" or i in have]
        for impl in impls:
            case(
                "fwd",
                impl,
                lambda p=p, i=impl, d=data: _forward(IMPL_FNS[i](p), *d()),
                _check(p, want),
            )
        if p.op == "snake":
            nbytes = 2 * 4 * p.batch * p.channels * p.time
            case(
                "fwd",
                "copy",
                lambda d=data: _copy(d()[0]),
                role="bound",
                note=f"copy_ into an existing buffer ({nbytes / 1e9:.2f} GB read + written per call)",
            )
        for impl in impls:
            case(
                "fwd+bwd", impl, lambda p=p, i=impl, d=data: _forward_backward(IMPL_FNS[i](p), *d())
            )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return []


def describe(ctx: Context) -> dict:
    return {p.name: p.describe() for p in presets_for(ctx)}


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


def targets(results) -> list[dict]:
    """The issue's targets (CPU): snake fwd <= 2.5x a copy and >= 2x faster than torch.compile, snake
    fwd+bwd >= 2x torch.compile; conv31 fwd and fwd+bwd >= 2x nn.Conv1d."""
    goals = (
        ("snake", "fwd", "copy", "sonix snake fwd time / copy time", 2.5, True),
        ("snake", "fwd", "torch.compile", "torch.compile / sonix snake fwd", 2.0, False),
        ("snake", "fwd+bwd", "torch.compile", "torch.compile / sonix snake fwd+bwd", 2.0, False),
        ("conv31", "fwd", "torch", "nn.Conv1d / sonix causal conv fwd", 2.0, False),
        ("conv31", "fwd+bwd", "torch", "nn.Conv1d / sonix causal conv fwd+bwd", 2.0, False),
    )
    return [t for g in goals for t in speed_targets(results, FAMILY, *g)]


NOTES = (
    "layers: audio seconds count batch x time at 16 kHz; the copy row is the memory-bandwidth bound "
    "of the snake forward (bytes read + written = 2 x tensor size)",
    "layers: fwd+bwd = forward, sum of the output, gradients w.r.t. the input and every parameter",
)
