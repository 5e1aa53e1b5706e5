"""Compose, OneOf and SomeOf: containers whose choices are keyed random draws like any parameter.

In a Compose, consecutive pointwise transforms (Gain, PolarityInversion, Clipping, TanhDistortion,
BitCrush) run as one pass of the fused ``sonix::augment_pointwise`` op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
from torch import nn

from .base import Augmentation, AugmentContext, Params
from .pointwise import PointwiseAugmentation, Stage, run_stages
from .random import Draws, default_stream


class _Container(Augmentation):
    """Holds child transforms; they share the container's seed, step and example ids, and each gets
    its own random stream (from its position), so two Gains in one Compose draw independently."""

    leaks_into_padding = False  # the children mask their own output

    def __init__(self, transforms: Sequence[Augmentation], p: float, seed, sample_rate):
        super().__init__(p, "per_example", seed, sample_rate)
        transforms = list(transforms)
        if not transforms:
            raise ValueError(f"sonix: {type(self).__name__} needs at least one transform, got none")
        for t in transforms:
            if not isinstance(t, Augmentation):
                raise TypeError(
                    f"sonix: {type(self).__name__} takes sonix.augment transforms, got {type(t).__name__}"
                )
        self.transforms = nn.ModuleList(transforms)
        self._assign_streams(self.stream)

    def _assign_streams(self, base: int) -> None:
        for i, t in enumerate(self.transforms):
            t.stream = default_stream(f"{base}/{i}/{type(t).__name__}")
            if isinstance(t, _Container):
                t._assign_streams(t.stream)

    @property
    def changes_lengths(self) -> bool:  # type: ignore[override]
        return any(t.changes_lengths for t in self.transforms)

    def _child_prefix(self, ctx: AugmentContext, i: int) -> str:
        return (ctx.prefix + type(self).__name__ + "/" if ctx.prefix else "") + f"{i}."

    @contextlib.contextmanager
    def _child(self, ctx: AugmentContext, i: int, active: torch.Tensor):
        """ctx as child i sees it: its log prefix, and the examples it may augment."""
        saved = ctx.prefix, ctx.active
        ctx.prefix, ctx.active = self._child_prefix(ctx, i), active
        try:
            yield ctx
        finally:
            ctx.prefix, ctx.active = saved

    def _run_child(
        self, t: Augmentation, i: int, x: torch.Tensor, ctx: AugmentContext, active
    ) -> torch.Tensor:
        with self._child(ctx, i, active):
            return t.run(x, ctx)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Compose(_Container):
    """Applies the transforms in order (to each example with probability p).

    shuffle=True: a new random order per call (one order for the batch, keyed by seed and step).
    Consecutive pointwise transforms are fused into one kernel pass.
    """

    def __init__(
        self,
        transforms: Sequence[Augmentation],
        p: float = 1.0,
        shuffle: bool = False,
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(transforms, p, seed, sample_rate)
        self.shuffle = bool(shuffle)

    def draw(self, d: Draws, x, ctx) -> Params:
        if not self.shuffle:
            return {}
        order = Draws(d.seed, d.step, d.stream, "per_batch", d.example_ids, d.channels).uniform(
            len(self.transforms)
        )
        return {"order": order[0, 0].argsort()}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        active = params["applied"][:, 0]  # already ANDed with ctx.active when drawn
        order = params["order"].tolist() if "order" in params else range(len(self.transforms))
        group: list[Stage] = []
        for i in order:
            t = self.transforms[i]
            if isinstance(t, PointwiseAugmentation):
                if t.data_dependent and group:
                    x, group = run_stages(x, group), []
                with self._child(ctx, i, active):
                    group.extend(t.stages(x, t.prepare(x, ctx), ctx))
                continue
            if group:
                x, group = run_stages(x, group), []
            x = self._run_child(t, i, x, ctx, active)
        return run_stages(x, group) if group else x


class OneOf(_Container):
    """Applies exactly one of the transforms to each selected example, chosen per example with
    probabilities proportional to ``weights`` (default: uniform)."""

    def __init__(
        self,
        transforms: Sequence[Augmentation],
        p: float = 1.0,
        weights: Sequence[float] | None = None,
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(transforms, p, seed, sample_rate)
        n = len(self.transforms)
        w = [1.0] * n if weights is None else [float(v) for v in weights]
        if len(w) != n or any(not v >= 0 for v in w) or sum(w) <= 0:
            raise ValueError(
                f"sonix: weights must be {n} non-negative numbers with a positive sum, got {weights!r}"
            )
        total = sum(w)
        self.register_buffer(
            "cumulative", torch.tensor(w, dtype=torch.float64).cumsum(0) / total, persistent=False
        )

    def draw(self, d: Draws, x, ctx) -> Params:
        u = d.uniform()[:, :1]
        choice = torch.searchsorted(self.cumulative.to(u.device), u.contiguous(), right=True)
        return {"choice": choice.clamp_max(len(self.transforms) - 1)}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        active = params["applied"][:, 0]  # already ANDed with ctx.active when drawn
        for i, t in enumerate(self.transforms):
            x = self._run_child(t, i, x, ctx, active & (params["choice"][:, 0] == i))
        return x


class SomeOf(_Container):
    """Applies a random subset of the transforms to each selected example, in the listed order.

    num_transforms: an int k (exactly k per example) or a (min, max) pair (a count uniform in it per
    example; max None means all).
    """

    def __init__(
        self,
        num_transforms: int | tuple[int, int | None],
        transforms: Sequence[Augmentation],
        p: float = 1.0,
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(transforms, p, seed, sample_rate)
        n = len(self.transforms)
        lo, hi = (
            (num_transforms, num_transforms) if isinstance(num_transforms, int) else num_transforms
        )
        hi = n if hi is None else hi
        if (
            isinstance(lo, bool)
            or not isinstance(lo, int)
            or not isinstance(hi, int)
            or not 0 <= lo <= hi <= n
        ):
            raise ValueError(
                f"sonix: num_transforms must be an int or (min, max) with 0 <= min <= max <= {n}, got {num_transforms!r}"
            )
        self.num_transforms = (lo, hi)

    def draw(self, d: Draws, x, ctx) -> Params:
        count = d.integers(*self.num_transforms)[:, 0]
        u = d.uniform(len(self.transforms))[:, 0]
        rank = u.argsort(-1).argsort(-1)
        return {"chosen": rank < count[:, None]}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        active = params["applied"][:, 0]  # already ANDed with ctx.active when drawn
        for i, t in enumerate(self.transforms):
            x = self._run_child(t, i, x, ctx, active & params["chosen"][:, i])
        return x


__all__ = ["Compose", "OneOf", "SomeOf"]
