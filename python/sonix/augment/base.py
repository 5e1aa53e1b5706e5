"""The base class of every augmentation: shapes, sample rate, lengths, randomness, parameter log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import nn

from ..ops._checks import check_audio
from .random import MODES, Draws, default_stream, resolve_seed

Params = dict[str, torch.Tensor]


class AugmentOutput(NamedTuple):
    """What a transform returns when asked for more than the samples.

    samples: the augmented batch, in the input's shape (time may change: crop, pad, stretch).
    lengths: (batch,) int64 valid lengths of the output, or None when none were given and none changed.
    params: the parameters drawn, keyed by transform path ("Gain", "0.Gain", "2.OneOf/1.LowPass"),
        each a dict of tensors with leading dims (batch, channels_p) and the bool "applied" mask;
        pass it back as ``params=`` to replay the same augmentation exactly.
    """

    samples: torch.Tensor
    lengths: torch.Tensor | None
    params: dict[str, Params]


@dataclass
class AugmentContext:
    """The state of one call, shared by a Compose and its children."""

    seed: int
    step: int
    example_ids: torch.Tensor  # (batch,) int64, on the samples' device
    channels: int
    sample_rate: int | None
    lengths: torch.Tensor | None  # (batch,) int64 valid lengths, or None (all valid)
    active: torch.Tensor | None = None  # (batch,) bool: examples a parent selected (None: all)
    replay: dict[str, Params] | None = None
    log: dict[str, Params] = field(default_factory=dict)
    prefix: str = ""

    def require_sample_rate(self, who: str) -> int:
        if self.sample_rate is None:
            raise ValueError(
                f"sonix: {who} needs sample_rate (pass it to the constructor or to forward)"
            )
        return self.sample_rate


def check_probability(p: float, name: str = "p") -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"sonix: {name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def check_range(
    low: float, high: float, name: str, *, positive: bool = False
) -> tuple[float, float]:
    """(low, high) as floats; refuses low > high (and values <= 0 when positive)."""
    for v, which in ((low, f"min_{name}"), (high, f"max_{name}")):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"sonix: {which} must be a number, got {v!r}")
        if positive and not v > 0:
            raise ValueError(f"sonix: {which} must be > 0, got {v!r}")
    if low > high:
        raise ValueError(f"sonix: min_{name} must be <= max_{name}, got {low} > {high}")
    return float(low), float(high)


def check_sample_rate(sample_rate) -> int | None:
    if sample_rate is None:
        return None
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, (int, float))
        or sample_rate != int(sample_rate)
        or sample_rate <= 0
    ):
        raise ValueError(f"sonix: sample_rate must be a positive integer (Hz), got {sample_rate!r}")
    return int(sample_rate)


def length_mask(lengths: torch.Tensor, time: int) -> torch.Tensor:
    """(batch, 1, time) bool: True on valid samples."""
    return torch.arange(time, device=lengths.device)[None, None, :] < lengths[:, None, None]


def to_bct(samples: torch.Tensor) -> tuple[torch.Tensor, Any]:
    """(time,), (batch, time) or (batch, channels, time) -> (batch, channels, time) and the inverse."""
    check_audio(samples, "samples")
    if samples.dim() == 1:
        return samples[None, None], lambda y: y[0, 0]
    if samples.dim() == 2:
        return samples[:, None], lambda y: y[:, 0]
    if samples.dim() == 3:
        return samples, lambda y: y
    raise ValueError(
        f"sonix: samples must be (time,), (batch, time) or (batch, channels, time), got shape {tuple(samples.shape)}"
    )


class Augmentation(nn.Module):
    """Base of every sonix augmentation.

    Subclasses implement ``draw(d, x, ctx) -> dict`` (parameters from the :class:`Draws` ``d``, leading
    dims (batch, channels_p)) and ``apply(x, params, ctx) -> Tensor`` on x (batch, channels, time).
    ``apply`` must leave the rows whose ``params["applied"]`` is False unchanged; it may update
    ``ctx.lengths`` when it changes lengths. The base draws the apply decision, silences padding after
    transforms that could leak into it, and records the parameters.

    Args:
        p: probability of applying the transform to an example (or channel, or batch, by mode).
        mode: "per_example", "per_channel" or "per_batch": what shares one set of parameters.
        seed: int, torch.Generator (one draw at construction) or None (a fresh OS seed).
        sample_rate: default sample rate for transforms that need one (forward's argument wins).
    """

    supported_modes: tuple[str, ...] = MODES
    # True when apply can write non-zero values into padding (noise, filters, shifts): the base
    # zeroes the padding afterwards when lengths are known.
    leaks_into_padding: bool = True
    # True when apply may change the time axis or lengths: forward then returns lengths.
    changes_lengths: bool = False

    def __init__(
        self,
        p: float = 0.5,
        mode: str = "per_example",
        seed: int | torch.Generator | None = None,
        sample_rate: int | None = None,
    ):
        super().__init__()
        self.p = check_probability(p)
        if mode not in self.supported_modes:
            raise ValueError(
                f"sonix: mode must be one of {self.supported_modes} for {type(self).__name__}, got {mode!r}"
            )
        self.mode = mode
        self.seed = resolve_seed(seed)
        self.sample_rate = check_sample_rate(sample_rate)
        self.step = 0
        self.stream = default_stream(type(self).__name__)

    # ---- to implement -------------------------------------------------------------------------------
    def draw(self, d: Draws, x: torch.Tensor, ctx: AugmentContext) -> Params:
        return {}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        raise NotImplementedError

    # ---- machinery ----------------------------------------------------------------------------------
    def draws(self, ctx: AugmentContext) -> Draws:
        return Draws(ctx.seed, ctx.step, self.stream, self.mode, ctx.example_ids, ctx.channels)

    def key(self, ctx: AugmentContext) -> str:
        return ctx.prefix + type(self).__name__

    def prepare(self, x: torch.Tensor, ctx: AugmentContext) -> Params:
        """Draws (or replays) this call's parameters and records them in ctx.log."""
        key = self.key(ctx)
        if ctx.replay is not None and key in ctx.replay:
            params = {k: v.to(x.device) for k, v in ctx.replay[key].items()}
        else:
            d = self.draws(ctx)
            applied = d.applied(self.p, ctx.active)
            params = {"applied": applied, **self.draw(d, x, ctx)}
        ctx.log[key] = params
        return params

    def run(self, x: torch.Tensor, ctx: AugmentContext) -> torch.Tensor:
        """Draws (or replays) the parameters and applies the transform to x (batch, channels, time)."""
        y = self.apply(x, self.prepare(x, ctx), ctx)
        if ctx.lengths is not None and self.leaks_into_padding:
            y = y * length_mask(ctx.lengths, y.shape[-1]).to(y.dtype)
        return y

    def context(
        self, x: torch.Tensor, sample_rate, lengths, step, example_ids, params
    ) -> AugmentContext:
        batch = x.shape[0]
        if example_ids is None:
            ids = torch.arange(batch, dtype=torch.int64, device=x.device)
        else:
            ids = torch.as_tensor(example_ids, device=x.device)
            if ids.dtype not in (torch.int32, torch.int64) or ids.shape != (batch,):
                raise ValueError(
                    f"sonix: example_ids must be an integer tensor of shape ({batch},), got "
                    f"{tuple(ids.shape)} {ids.dtype}"
                )
            ids = ids.to(torch.int64)
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=x.device)
            if lengths.shape != (batch,) or lengths.is_floating_point():
                raise ValueError(
                    f"sonix: lengths must be an integer tensor of shape ({batch},), got {tuple(lengths.shape)} "
                    f"{lengths.dtype}"
                )
            lengths = lengths.to(torch.int64)
            if not torch.compiler.is_compiling() and bool(
                ((lengths < 0) | (lengths > x.shape[-1])).any()
            ):
                raise ValueError(
                    f"sonix: lengths must be in [0, time={x.shape[-1]}], got {lengths.tolist()}"
                )
        sr = check_sample_rate(sample_rate) if sample_rate is not None else self.sample_rate
        return AugmentContext(
            seed=self.seed,
            step=self.step if step is None else int(step),
            example_ids=ids,
            channels=x.shape[1],
            sample_rate=sr,
            lengths=lengths,
            replay=params,
        )

    def forward(
        self,
        samples: torch.Tensor,
        sample_rate: int | None = None,
        lengths: torch.Tensor | None = None,
        *,
        step: int | None = None,
        example_ids: torch.Tensor | None = None,
        return_params: bool = False,
        params: dict[str, Params] | None = None,
    ) -> torch.Tensor | AugmentOutput:
        """Augments samples (time,), (batch, time) or (batch, channels, time), any float dtype, CPU or CUDA.

        sample_rate: Hz (needed by filters, pitch, stretch...); lengths: (batch,) valid lengths (the
        padding stays silent); step: the training step (default: an internal counter, +1 per call);
        example_ids: (batch,) global ids of the examples (default arange(batch)): with the same seed,
        step and id an example gets the same augmentation in any batch, on any device or rank;
        params: a previous call's ``params`` to replay exactly.

        Returns the augmented tensor, or an :class:`AugmentOutput` when lengths were given, when
        return_params is True, or when the transform changes lengths.
        """
        x, restore = to_bct(samples)
        ctx = self.context(x, sample_rate, lengths, step, example_ids, params)
        y = self.run(x, ctx)
        if step is None:
            self.step += 1
        out = restore(y)
        if lengths is None and not return_params and not self.changes_lengths:
            return out
        return AugmentOutput(out, ctx.lengths, ctx.log)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


def where_applied(applied: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y on the applied rows, x elsewhere; applied (batch, channels_p) broadcast over channels and time."""
    return torch.where(applied[..., None], y, x)


def identity_where_not(applied: torch.Tensor, value: torch.Tensor, identity: float) -> torch.Tensor:
    """A drawn parameter on the applied rows and the transform's identity value elsewhere."""
    return torch.where(applied, value, torch.full_like(value, identity))
