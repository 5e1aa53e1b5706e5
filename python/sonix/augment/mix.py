"""Mixup (Zhang et al. 2018): each example mixed with a partner from the batch, targets mixed alike."""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..ops._checks import check_audio
from .base import Augmentation, AugmentContext, Params
from .random import Draws


class MixOutput(NamedTuple):
    """What :class:`Mixup` returns when lengths were given or return_params is True.

    samples: the mixed batch (input shape); targets: the mixed targets (float) or None;
    lengths: (batch,) int64, the longer of the two mixed examples' lengths, or None;
    params: {"Mixup": {"applied", "lam", "partner"}}, each (batch, 1), to replay with ``params=``.
    """

    samples: torch.Tensor
    targets: torch.Tensor | None
    lengths: torch.Tensor | None
    params: dict[str, Params]


def _as_float_targets(targets, batch: int, dtype: torch.dtype, num_classes: int | None):
    if not isinstance(targets, torch.Tensor):
        raise TypeError(f"sonix: targets must be a torch.Tensor, got {type(targets).__name__}")
    if targets.dim() == 0 or targets.shape[0] != batch:
        raise ValueError(
            f"sonix: targets must have the batch size {batch} as first dim, got shape "
            f"{tuple(targets.shape)}"
        )
    if targets.is_complex():
        raise TypeError(f"sonix: targets must be real, got {targets.dtype}")
    if targets.is_floating_point():
        return targets
    if targets.dtype == torch.bool:  # multi-hot
        return targets.to(dtype)
    if num_classes is None:
        raise ValueError(
            f"sonix: Mixup got integer class targets ({targets.dtype}); pass num_classes= to the "
            "constructor to one-hot them, or give float one-hot / multi-hot / soft targets"
        )
    if bool(((targets < 0) | (targets >= num_classes)).any()):
        raise ValueError(
            f"sonix: integer targets must be class indices in [0, num_classes={num_classes}), got "
            f"values in [{int(targets.min())}, {int(targets.max())}]"
        )
    return torch.nn.functional.one_hot(targets.long(), num_classes).to(dtype)


class Mixup(Augmentation):
    """mixed = lam * x + (1 - lam) * x[partner], with lam ~ Beta(alpha, alpha) per example.

    The partner of each example comes from one keyed random permutation of the batch (drawn per
    call from the seed and step; an example can be its own partner). Targets of shape (batch, ...)
    are mixed with the same lam: float one-hot / multi-hot / soft targets as given, bool multi-hot
    as float, integer class indices one-hot with ``num_classes`` (required for them). The valid
    length of a mix is the longer of the two. Examples not applied (probability 1 - p) keep lam = 1
    and are returned unchanged (they can still be partners of others).

    Args:
        alpha: Beta(alpha, alpha) concentration (> 0); 0.4 is a common choice for audio.
        p: probability of mixing an example.
        mode: "per_example" (a lam per example) or "per_batch" (one lam for the batch).
        seed: int, torch.Generator or None.
        num_classes: the class count for integer class targets.
    """

    supported_modes = ("per_example", "per_batch")
    leaks_into_padding = False  # zero padding mixes to zero past the longer length

    def __init__(
        self,
        alpha: float = 0.4,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
        num_classes: int | None = None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
            raise ValueError(f"sonix: alpha must be a number > 0, got {alpha!r}")
        if num_classes is not None and (
            isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1
        ):
            raise ValueError(f"sonix: num_classes must be a positive integer, got {num_classes!r}")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def draw(self, d: Draws, x: torch.Tensor, ctx: AugmentContext) -> Params:
        lam = d.beta(self.alpha, self.alpha)  # (batch, 1)
        # The permutation is a per-batch draw on its own stream (a per_batch lam uses the batch key).
        perm = Draws(d.seed, d.step, (d.stream + 0x2A5) & 0x7FFF, "per_batch", d.example_ids, 1)
        partner = perm.uniform(d.batch)[0, 0].argsort()
        return {"lam": lam, "partner": partner[:, None]}

    def _lam(self, params: Params) -> torch.Tensor:
        """(batch,) float64: the drawn lam on applied rows, 1 elsewhere."""
        applied = params["applied"][:, 0]
        return torch.where(applied, params["lam"][:, 0], torch.ones_like(params["lam"][:, 0]))

    @staticmethod
    def _mix(v: torch.Tensor, lam: torch.Tensor, partner: torch.Tensor, applied: torch.Tensor):
        """lam * v + (1 - lam) * v[partner] over the leading batch dim; v unchanged where not applied."""
        shape = (-1,) + (1,) * (v.dim() - 1)
        mixed = torch.lerp(v[partner], v, lam.to(v.dtype).reshape(shape))  # one fused pass
        if torch.compiler.is_compiling() or not bool(applied.all()):
            mixed = torch.where(applied.reshape(shape), mixed, v)
        return mixed

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        applied = params["applied"]  # (batch, 1)
        partner = params["partner"][:, 0]
        y = self._mix(x, self._lam(params), partner, applied[:, 0])
        if ctx.lengths is not None:
            longer = torch.maximum(ctx.lengths, ctx.lengths[partner])
            ctx.lengths = torch.where(applied[:, 0], longer, ctx.lengths)
        return y

    def forward(  # type: ignore[override]
        self,
        samples: torch.Tensor,
        targets: torch.Tensor | None = None,
        sample_rate: int | None = None,
        lengths: torch.Tensor | None = None,
        *,
        step: int | None = None,
        example_ids: torch.Tensor | None = None,
        return_params: bool = False,
        params: dict[str, Params] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None] | MixOutput:
        """Mixes samples (batch, ..., time) (any float dtype, CPU or CUDA) and targets (batch, ...).

        lengths: (batch,) valid lengths along the last dim; step / example_ids / params as in
        :meth:`Augmentation.forward`. Returns (mixed_samples, mixed_targets) (targets None when
        none were given), or a :class:`MixOutput` when lengths were given or return_params is True.
        """
        if not isinstance(samples, torch.Tensor) or samples.dim() < 2:
            raise ValueError(
                "sonix: samples must be a tensor (batch, ..., time) with at least 2 dims, got "
                + (
                    f"shape {tuple(samples.shape)}"
                    if isinstance(samples, torch.Tensor)
                    else type(samples).__name__
                )
            )
        batch, time = samples.shape[0], samples.shape[-1]
        x = samples.reshape(batch, -1, time) if samples.dim() != 3 else samples
        check_audio(x, "samples")
        t = None
        if targets is not None:
            t = _as_float_targets(
                targets, batch, torch.promote_types(x.dtype, torch.float32), self.num_classes
            )
        ctx = self.context(x, sample_rate, lengths, step, example_ids, params)
        y = self.run(x, ctx).reshape(samples.shape)
        if step is None:
            self.step += 1
        if t is not None:
            p = ctx.log[self.key(ctx)]
            dev = t.device
            t = self._mix(
                t, self._lam(p).to(dev), p["partner"][:, 0].to(dev), p["applied"][:, 0].to(dev)
            )
        if lengths is None and not return_params:
            return y, t
        return MixOutput(y, t, ctx.lengths, ctx.log)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, num_classes={self.num_classes}, " + super().extra_repr()


__all__ = ["MixOutput", "Mixup"]
