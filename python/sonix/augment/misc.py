"""Small waveform transforms: peak normalisation, time inversion and the identity."""

from __future__ import annotations

import torch

from ..ops import augment as _aug
from .base import Augmentation, AugmentContext, Params, length_mask
from .pointwise import PointwiseAugmentation, Stage, _pair

_APPLY_TO = ("all", "only_too_loud_sounds")


class PeakNormalization(PointwiseAugmentation):
    """Scales each applied example so that its peak |x| becomes 1 (0 dBFS).

    The peak is taken over the valid samples of the example (all its channels; one peak per channel
    with mode "per_channel", one for the whole batch with "per_batch", as torch-audiomentations). apply_to="all" scales every non-silent example; "only_too_loud_sounds"
    only those whose peak exceeds 1 (to undo clipping-range overshoot). Silent examples pass through.
    A fused pointwise gain stage; for autograd the peak is a constant (no gradient through it).

    Args:
        apply_to: "all" or "only_too_loud_sounds".
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation` (p defaults to 0.5).
    """

    data_dependent = True

    def __init__(
        self,
        apply_to: str = "all",
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        if apply_to not in _APPLY_TO:
            raise ValueError(f"sonix: apply_to must be one of {_APPLY_TO}, got {apply_to!r}")
        self.apply_to = apply_to

    def stages(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> list[Stage]:
        b, c, t = x.shape
        cp = params["applied"].shape[1]
        a = x.detach().abs()
        if ctx.lengths is not None:
            a = a * length_mask(ctx.lengths, t).to(a.dtype)
        peak = a.reshape(b, cp, -1).amax(-1).to(torch.float64)  # (batch, channels_p)
        if self.mode == "per_batch":  # one gain for the batch: its overall peak
            peak = peak.amax().expand(b, cp)
        threshold = 0.0 if self.apply_to == "all" else 1.0
        on = params["applied"] & (peak > threshold)
        gain = torch.where(on, 1.0 / torch.where(on, peak, torch.ones_like(peak)), 1.0)
        return [(_aug.GAIN, _pair(gain))]

    def extra_repr(self) -> str:
        return f"apply_to={self.apply_to!r}, " + super().extra_repr()


class TimeInversion(Augmentation):
    """Reverses time on the applied examples (or channels).

    With lengths, only the valid part is reversed (sample t < length goes to length - 1 - t) and the
    padding stays where it is, so padded and unpadded examples get the same result. Differentiable
    (a gather). Args: p, mode, seed, sample_rate as :class:`~sonix.augment.Augmentation`.
    """

    leaks_into_padding = False

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        applied = params["applied"]  # (batch, channels_p)
        if ctx.lengths is None:
            return torch.where(applied[..., None], x.flip(-1), x)
        b, c, t = x.shape
        pos = torch.arange(t, device=x.device)
        # Reversed length (0 on rows not applied): sample t < n reads n - 1 - t, the rest itself.
        n = torch.where(applied, ctx.lengths[:, None], 0)[..., None]  # (batch, channels_p, 1)
        index = ((n - 1) - pos).clamp_min_(0)
        return torch.where(pos < n, x.gather(-1, index.expand(b, c, t)), x)


class Identity(Augmentation):
    """Returns its input (a placeholder that turns augmentation off); draws nothing that matters."""

    leaks_into_padding = False

    def __init__(self, p: float = 0.5, mode: str = "per_example", seed=None, sample_rate=None):
        super().__init__(p, mode, seed, sample_rate)

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        return x


__all__ = ["Identity", "PeakNormalization", "TimeInversion"]
