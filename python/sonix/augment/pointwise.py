"""Pointwise augmentations (gain, polarity, clipping, tanh distortion, bit crush): each is a stage of
the fused ``sonix::augment_pointwise`` op, and a Compose runs consecutive ones as one pass."""

from __future__ import annotations

import torch

from .._dtypes import compute_dtype
from ..ops import augment as _aug
from .base import Augmentation, AugmentContext, Params, check_range, identity_where_not, length_mask
from .random import Draws

Stage = tuple[int, torch.Tensor]  # (stage code, params (batch, channels_p, 2) float64)


def run_stages(x: torch.Tensor, stages: list[Stage]) -> torch.Tensor:
    """Applies the stages to x (batch, channels, time) in one pass of the fused op."""
    if not stages:
        return x
    b, c, t = x.shape
    kinds = [k for k, _ in stages]
    table = torch.stack([p.to(x.device).expand(b, c, 2) for _, p in stages], dim=2)  # (b, c, s, 2)
    y = _aug.pointwise_chain(x.reshape(b * c, t), table.reshape(b * c, len(stages), 2), kinds)
    return y.reshape(b, c, t)


def _pair(p0: torch.Tensor, p1: float | torch.Tensor = 0.0) -> torch.Tensor:
    p1 = torch.as_tensor(p1, dtype=p0.dtype, device=p0.device).expand_as(p0)
    return torch.stack([p0, p1], -1)


class PointwiseAugmentation(Augmentation):
    """An augmentation made of fused pointwise stages. ``stages(x, params, ctx)`` gives the stages of
    this transform for the rows of x (identity settings on rows not applied)."""

    leaks_into_padding = False  # every stage maps 0 to 0
    # True when the stages read the data (a percentile, a peak): such a transform starts a new fused
    # group in a Compose, so it sees its true input. Settings read from the data are constants of the
    # backward, like drawn parameters.
    data_dependent = False

    def stages(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> list[Stage]:
        raise NotImplementedError

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        return run_stages(x, self.stages(x, params, ctx))


class Gain(PointwiseAugmentation):
    """Multiplies by a random gain, uniform in dB in [min_gain_in_db, max_gain_in_db]."""

    def __init__(
        self,
        min_gain_in_db: float = -18.0,
        max_gain_in_db: float = 6.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_gain_in_db, self.max_gain_in_db = check_range(
            min_gain_in_db, max_gain_in_db, "gain_in_db"
        )

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"gain_db": d.between(self.min_gain_in_db, self.max_gain_in_db)}

    def stages(self, x, params, ctx) -> list[Stage]:
        g = identity_where_not(params["applied"], 10.0 ** (params["gain_db"] / 20.0), 1.0)
        return [(_aug.GAIN, _pair(g))]


class PolarityInversion(PointwiseAugmentation):
    """Multiplies by -1."""

    def stages(self, x, params, ctx) -> list[Stage]:
        g = torch.where(params["applied"], -1.0, 1.0).to(torch.float64)
        return [(_aug.GAIN, _pair(g))]


def _abs_percentile(
    x: torch.Tensor, q: torch.Tensor, channels_p: int, lengths: torch.Tensor | None
) -> torch.Tensor:
    """numpy-style (linear) percentile q in [0, 100] of |x| per (example, channel group), over valid
    samples; x (batch, channels, time), q (batch, channels_p) -> (batch, channels_p) float64.

    One selection (kthvalue, O(n)) for all rows instead of a sort: row r needs its k_r-th smallest
    value, and every row's k_r-th smallest is the K-th smallest (K = max k_r) of the row extended by
    K - k_r copies of -inf (and +inf to a common length). The next order statistic (for the linear
    interpolation) is then the value itself when it is repeated, else the smallest value above it.
    """
    b, c, t = x.shape
    dt = compute_dtype(x.dtype)
    a = x.detach().abs().to(dt)
    if lengths is not None:
        a = a.masked_fill(~length_mask(lengths, t), float("inf"))
        valid = lengths.to(torch.float64)[:, None] * (c // channels_p)
    else:
        valid = torch.full(
            (b, 1), float(t * (c // channels_p)), dtype=torch.float64, device=x.device
        )
    rows = a.reshape(b, channels_p, -1)
    pos = (q / 100.0) * (valid - 1).clamp_min(0)
    lo = pos.floor().to(torch.int64)  # 0-based rank of the lower neighbour
    k_max, k_min = int(lo.max()) + 1, int(lo.min()) + 1
    width = k_max - k_min
    if width:
        j = torch.arange(width, device=x.device)
        pad = torch.where(j < (k_max - (lo + 1))[..., None], float("-inf"), float("inf")).to(dt)
        rows_k = torch.cat([rows, pad], -1)
    else:
        rows_k = rows
    vlo = rows_k.kthvalue(k_max, -1).values
    repeated = (rows <= vlo[..., None]).sum(-1) >= lo + 2
    above = rows.masked_fill(rows <= vlo[..., None], float("inf")).amin(-1)
    vhi = torch.where(repeated | torch.isinf(above), vlo, above).to(torch.float64)
    vlo = vlo.to(torch.float64)
    frac = pos - lo
    out = torch.where(frac > 0, vlo + frac * (vhi - vlo), vlo)
    return torch.where(valid > 0, out, torch.zeros_like(out))


class Clipping(PointwiseAugmentation):
    """Hard clipping at a random percentile of |x| (audiomentations' ClippingDistortion): a draw of
    ``percentile`` in [min_percentile_threshold, max_percentile_threshold] clips that percentage of the
    samples (threshold = the (100 - percentile)-th percentile of |x| over the valid samples)."""

    data_dependent = True

    def __init__(
        self,
        min_percentile_threshold: float = 0.0,
        max_percentile_threshold: float = 40.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        lo, hi = check_range(
            min_percentile_threshold, max_percentile_threshold, "percentile_threshold"
        )
        if lo < 0 or hi > 100:
            raise ValueError(f"sonix: percentile thresholds must be in [0, 100], got [{lo}, {hi}]")
        self.min_percentile_threshold, self.max_percentile_threshold = lo, hi

    def draw(self, d: Draws, x, ctx) -> Params:
        return {
            "percentile": d.between(self.min_percentile_threshold, self.max_percentile_threshold)
        }

    def stages(self, x, params, ctx) -> list[Stage]:
        thr = _abs_percentile(
            x, 100.0 - params["percentile"], params["applied"].shape[1], ctx.lengths
        )
        return [(_aug.HARD_CLIP, _pair(identity_where_not(params["applied"], thr, float("inf"))))]


class TanhDistortion(PointwiseAugmentation):
    """Soft saturation y = peak * tanh(k x / peak) / tanh(k), k = 10^(drive_db / 20) with drive_db uniform
    in [min_drive_db, max_drive_db]: the peak level of the input is kept, quieter parts are raised
    (more drive, more distortion). Silent rows pass through."""

    data_dependent = True

    def __init__(
        self,
        min_drive_db: float = 0.0,
        max_drive_db: float = 24.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_drive_db, self.max_drive_db = check_range(min_drive_db, max_drive_db, "drive_db")

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"drive_db": d.between(self.min_drive_db, self.max_drive_db)}

    def stages(self, x, params, ctx) -> list[Stage]:
        b, c, _ = x.shape
        cp = params["applied"].shape[1]
        peak = x.detach().abs().to(torch.float64).reshape(b, cp, -1).amax(-1)
        k = 10.0 ** (params["drive_db"] / 20.0)
        on = params["applied"] & (peak > 0)
        safe = torch.where(peak > 0, peak, torch.ones_like(peak))
        p0 = torch.where(on, k / safe, torch.zeros_like(k))
        p1 = torch.where(on, safe / torch.tanh(k), torch.ones_like(k))
        return [(_aug.TANH, torch.stack([p0, p1], -1))]


class BitCrush(PointwiseAugmentation):
    """Quantises to a signed grid of 2^(bits - 1) steps per unit, bits uniform integer in
    [min_bit_depth, max_bit_depth]. Piecewise constant: its gradient is zero."""

    def __init__(
        self,
        min_bit_depth: int = 5,
        max_bit_depth: int = 10,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        for v, n in ((min_bit_depth, "min_bit_depth"), (max_bit_depth, "max_bit_depth")):
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 32:
                raise ValueError(f"sonix: {n} must be an integer in [1, 32], got {v!r}")
        if min_bit_depth > max_bit_depth:
            raise ValueError(
                f"sonix: min_bit_depth must be <= max_bit_depth, got {min_bit_depth} > {max_bit_depth}"
            )
        self.min_bit_depth, self.max_bit_depth = min_bit_depth, max_bit_depth

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"bit_depth": d.integers(self.min_bit_depth, self.max_bit_depth)}

    def stages(self, x, params, ctx) -> list[Stage]:
        q = 2.0 ** (params["bit_depth"].to(torch.float64) - 1)
        return [(_aug.QUANTIZE, _pair(identity_where_not(params["applied"], q, 0.0)))]
