"""Time-axis augmentations: shift, random crop, pad, time stretch, pitch shift, speed perturbation.

Every transform handles the whole batch at once with per-example parameters (index arithmetic and
gathers, a batched phase vocoder, a batched band-limited interpolator), respects valid lengths, and
keeps the rows it does not apply unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._dtypes import compute_dtype
from ..functional.resample import resample_groups
from .base import Augmentation, AugmentContext, Params, check_range, where_applied
from .random import Draws
from .vocoder import sinc_interpolate, time_stretch_rows

_SHIFT_UNITS = ("fraction", "samples", "seconds")
_PAD_WHERE = ("end", "start", "random")
# PitchShift's anti-aliasing cutoff before downsampling, as a fraction of the new Nyquist rate.
ANTIALIAS = 0.9


def _valid_lengths(x: torch.Tensor, ctx: AugmentContext) -> torch.Tensor:
    """(batch,) int64 valid lengths: ctx.lengths, or the full time axis."""
    if ctx.lengths is not None:
        return ctx.lengths
    return torch.full((x.shape[0],), x.shape[-1], dtype=torch.int64, device=x.device)


def _uniform_int(u: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Integers uniform in [low, high] (inclusive, int64, broadcast) from uniforms u in [0, 1)."""
    span = (high - low).clamp_min(0)
    k = torch.floor(u * (span + 1).to(torch.float64)).to(torch.int64)
    return low + torch.minimum(k, span)


def _check_length(length, name: str = "length") -> int:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"sonix: {name} must be a positive integer (samples), got {length!r}")
    return length


def _windows(src: torch.Tensor, start: torch.Tensor, width: int) -> torch.Tensor:
    """src[b, c, start[b, c] : start[b, c] + width] for every (b, c): (batch, channels, width).
    start (batch, channels or 1) int64 in [0, time - width]. Row copies of an unfolded view: several
    times faster than a gather with a (batch, channels, width) index; differentiable."""
    b, c, _ = src.shape
    rows = torch.arange(b, device=src.device)[:, None]
    chans = torch.arange(c, device=src.device)[None, :]
    return src.unfold(-1, width, 1)[rows, chans, start.expand(b, c)]


def _fit_time(x: torch.Tensor, time: int) -> torch.Tensor:
    """Crops or zero-pads the last dim to ``time``."""
    n = x.shape[-1]
    return x[..., :time] if n >= time else F.pad(x, (0, time - n))


class Shift(Augmentation):
    """Shifts each example (or channel) along time by a random amount, as torch-audiomentations'
    Shift: a shift uniform among the integers in [round(min_shift * s), round(max_shift * s)] samples,
    s being the example's valid length for shift_unit="fraction", 1 for "samples" and the sample
    rate for "seconds" (which needs sample_rate). Positive shifts move the signal later.

    rollover=True wraps the samples that leave one end around to the other; False leaves zeros.
    With lengths, only the valid part moves (it wraps within its own length) and the padding stays
    zero, so a padded example gets the same result as alone. No loop over the batch: one window
    copy per row of x doubled (or zero-padded), or one gather when some examples are shorter than
    the batch. Differentiable.

    Args:
        min_shift, max_shift: the range (min <= max), in shift_unit.
        shift_unit: "fraction", "samples" or "seconds".
        rollover: wrap around (True) or zero-fill (False).
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation`.
    """

    leaks_into_padding = False

    def __init__(
        self,
        min_shift: float = -0.5,
        max_shift: float = 0.5,
        shift_unit: str = "fraction",
        rollover: bool = True,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_shift, self.max_shift = check_range(min_shift, max_shift, "shift")
        if shift_unit not in _SHIFT_UNITS:
            raise ValueError(f"sonix: shift_unit must be one of {_SHIFT_UNITS}, got {shift_unit!r}")
        self.shift_unit = shift_unit
        self.rollover = bool(rollover)

    def draw(self, d: Draws, x, ctx) -> Params:
        if self.shift_unit == "fraction":
            scale = _valid_lengths(x, ctx).to(torch.float64)[:, None]
        elif self.shift_unit == "seconds":
            scale = torch.tensor(float(ctx.require_sample_rate("Shift (shift_unit='seconds')")))
        else:
            scale = torch.tensor(1.0)
        scale = scale.to(torch.float64).to(x.device)
        low = torch.round(self.min_shift * scale).to(torch.int64)
        high = torch.round(self.max_shift * scale).to(torch.int64)
        return {"shift": _uniform_int(d.uniform(), low, high)}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        b, c, t = x.shape
        shift = torch.where(params["applied"], params["shift"], 0)  # (batch, channels_p)
        if ctx.lengths is None or bool((ctx.lengths == t).all()):
            # Every row full: a window of x twice over (rollover) or of zero-padded x.
            if self.rollover:
                return _windows(torch.cat([x, x], -1), torch.remainder(-shift, t), t)
            return _windows(F.pad(x, (t, t)), t - shift.clamp(-t, t), t)
        n = ctx.lengths[:, None, None]
        pos = torch.arange(t, device=x.device)
        src = pos - shift[..., None]  # (batch, channels_p, time)
        if self.rollover:
            src = torch.remainder(src, n.clamp_min(1))
            ok = pos < n
        else:
            ok = (pos < n) & (src >= 0) & (src < n)
        index = torch.where(ok, src, pos).expand(b, c, t)
        y = x.gather(-1, index) * ok.to(x.dtype)
        return where_applied(params["applied"], y, x)

    def extra_repr(self) -> str:
        return (
            f"min_shift={self.min_shift}, max_shift={self.max_shift}, shift_unit={self.shift_unit!r}, "
            f"rollover={self.rollover}, " + super().extra_repr()
        )


class RandomCrop(Augmentation):
    """Crops every example to ``length`` samples at a random offset, uniform among the integers in
    [0, max(valid length - length, 0)] (per channel with mode "per_channel").

    Rows not applied keep their first ``length`` samples. A batch shorter than ``length`` is
    zero-padded at the end (its lengths then mark the padding). Sets lengths to
    min(valid length, length). Differentiable (a gather).

    Args:
        length: output samples (int).
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation` (p defaults to 1).
    """

    leaks_into_padding = False
    changes_lengths = True

    def __init__(
        self,
        length: int,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.length = _check_length(length)

    def draw(self, d: Draws, x, ctx) -> Params:
        n = _valid_lengths(x, ctx)[:, None]
        return {"offset": _uniform_int(d.uniform(), torch.zeros_like(n), n - self.length)}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        b, c, t = x.shape
        n = _valid_lengths(x, ctx)
        offset = torch.where(params["applied"], params["offset"], 0)  # (batch, channels_p)
        y = _windows(_fit_time(x, max(t, self.length)), offset, self.length)
        if ctx.lengths is not None and bool((n < self.length).any()):
            y = y * (torch.arange(self.length, device=x.device) < n[:, None, None]).to(y.dtype)
        ctx.lengths = n.clamp_max(self.length)
        return y

    def extra_repr(self) -> str:
        return f"length={self.length}, " + super().extra_repr()


class PadTo(Augmentation):
    """Zero-pads every example to ``length`` samples.

    where="end": the signal stays at the start (lengths unchanged); "start": it is moved to end at
    ``length`` (the leading zeros become part of the valid signal: lengths = length); "random": it
    starts at an offset uniform in [0, length - valid length] (lengths = offset + valid length).
    Rows not applied are padded at the end. Never shrinks: a longer input is an error. Sets lengths.
    Differentiable (a gather). Modes per_example and per_batch.

    Args:
        length: output samples (int), >= the input's time axis.
        where: "end", "start" or "random".
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation` (p defaults to 1).
    """

    supported_modes = ("per_example", "per_batch")
    leaks_into_padding = False
    changes_lengths = True

    def __init__(
        self,
        length: int,
        where: str = "end",
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.length = _check_length(length)
        if where not in _PAD_WHERE:
            raise ValueError(f"sonix: where must be one of {_PAD_WHERE}, got {where!r}")
        self.where = where

    def _check_time(self, x: torch.Tensor) -> None:
        if x.shape[-1] > self.length:
            raise ValueError(
                f"sonix: PadTo length={self.length} is shorter than the input's time axis "
                f"({x.shape[-1]} samples); PadTo never shrinks (use RandomCrop)"
            )

    def draw(self, d: Draws, x, ctx) -> Params:
        self._check_time(x)
        n = _valid_lengths(x, ctx)[:, None]
        room = self.length - n
        u = d.uniform()
        if self.where == "end":
            offset = torch.zeros_like(n)
        elif self.where == "start":
            offset = room
        else:
            offset = _uniform_int(u, torch.zeros_like(n), room)
        return {"offset": offset}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        self._check_time(x)
        b, c, t = x.shape
        n = _valid_lengths(x, ctx)
        offset = torch.where(params["applied"], params["offset"], 0)  # (batch, 1)
        # y[j] = x[j - offset]: a window of x zero-padded by length on the left.
        y = _windows(F.pad(x, (self.length, self.length - t)), self.length - offset, self.length)
        if ctx.lengths is not None:
            j = torch.arange(self.length, device=x.device) - offset[..., None]
            y = y * ((j >= 0) & (j < n[:, None, None])).to(y.dtype)
        ctx.lengths = offset[:, 0] + n
        return y

    def extra_repr(self) -> str:
        return f"length={self.length}, where={self.where!r}, " + super().extra_repr()


def _check_stft(n_fft, hop_length) -> tuple[int, int]:
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft < 2:
        raise ValueError(f"sonix: n_fft must be an integer >= 2, got {n_fft!r}")
    hop = n_fft // 4 if hop_length is None else hop_length
    if isinstance(hop, bool) or not isinstance(hop, int) or not 1 <= hop <= n_fft:
        raise ValueError(f"sonix: hop_length must be an integer in [1, n_fft={n_fft}], got {hop!r}")
    return n_fft, hop


def _apply_rows(
    x: torch.Tensor,
    applied: torch.Tensor,
    out_time: int,
    fn,
) -> torch.Tensor:
    """Runs ``fn(rows (k * channels, time) in the compute dtype, selected (k,) indices) -> (k *
    channels, >= out_time)`` on the applied examples only and puts the results back; the other
    examples keep their samples (cropped or zero-padded to out_time)."""
    b, c, t = x.shape
    out = _fit_time(x, out_time)
    sel = applied.nonzero()[:, 0]
    if sel.numel() == 0:
        return out
    rows = x.index_select(0, sel).reshape(-1, t).to(compute_dtype(x.dtype))
    y = _fit_time(fn(rows, sel), out_time).reshape(-1, c, out_time).to(x.dtype)
    return out.index_copy(0, sel, y)


class TimeStretch(Augmentation):
    """Changes tempo without changing pitch: a phase vocoder with a rate uniform in
    [min_rate, max_rate] per example (rate > 1: faster and shorter), as librosa.effects.time_stretch
    (STFT with a periodic Hann window of n_fft samples, hop_length, centered zero-padded frames;
    phase vocoder; inverse STFT), applied to the whole batch at once: each example has its own
    time-step grid, padded to the longest and masked. An example of valid length n becomes
    round(n / rate) samples long; a padded example gets what it would get alone.

    keep_length=True crops or zero-pads the result back to the input's time axis (lengths, when
    given, become min(round(n / rate), time)); keep_length=False returns the batch padded to the
    longest result and sets lengths. Rows not applied are returned unchanged (a rate-1 trip through
    the STFT would not be bit-exact). Modes per_example and per_batch. Differentiable through
    torch ops (the gradient is finite; the phase is treated as the vocoder computes it).

    Args:
        min_rate, max_rate: stretch rate range, > 0.
        n_fft: STFT size (default 512); hop_length: default n_fft // 4.
        keep_length: keep the input's time axis (True) or return the stretched length (False).
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation`.
    """

    supported_modes = ("per_example", "per_batch")

    def __init__(
        self,
        min_rate: float = 0.8,
        max_rate: float = 1.25,
        n_fft: int = 512,
        hop_length: int | None = None,
        keep_length: bool = True,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_rate, self.max_rate = check_range(min_rate, max_rate, "rate", positive=True)
        self.n_fft, self.hop_length = _check_stft(n_fft, hop_length)
        self.keep_length = bool(keep_length)
        self.changes_lengths = not self.keep_length

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"rate": d.between(self.min_rate, self.max_rate)}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        applied = params["applied"][:, 0]
        c = x.shape[1]
        n = _valid_lengths(x, ctx)
        rate = params["rate"][:, 0].to(torch.float64)
        stretched = torch.round(n.to(torch.float64) / rate).to(torch.int64)
        new_len = torch.where(applied, stretched, n)
        out_time = x.shape[-1] if self.keep_length else int(new_len.max())

        def stretch(rows: torch.Tensor, sel: torch.Tensor) -> torch.Tensor:
            r = rate[sel].repeat_interleave(c)
            lengths = n[sel].repeat_interleave(c)
            return time_stretch_rows(rows, r, lengths, self.n_fft, self.hop_length)[0]

        y = _apply_rows(x, applied, out_time, stretch)
        if ctx.lengths is not None or not self.keep_length:
            ctx.lengths = new_len.clamp_max(out_time)
        return y

    def extra_repr(self) -> str:
        return (
            f"min_rate={self.min_rate}, max_rate={self.max_rate}, n_fft={self.n_fft}, "
            f"hop_length={self.hop_length}, keep_length={self.keep_length}, " + super().extra_repr()
        )


class PitchShift(Augmentation):
    """Changes pitch without changing tempo by a number of semitones uniform in
    [min_transpose_semitones, max_transpose_semitones] per example (any real value), as
    librosa.effects.pitch_shift: a phase-vocoder time stretch by rate = 2^(-semitones / 12) (see
    :class:`TimeStretch`) followed by a band-limited resampling by the same factor back to the
    original length.

    The resampling is batched with per-example ratios: a Kaiser-windowed sinc (16 zero crossings per
    side, ~72 dB stopband, cutoff at 0.88 of the stretched signal's Nyquist rate) evaluated at each
    example's fractional positions in Farrow form (one matrix product and a Horner sum; see
    :func:`sonix.augment.vocoder.sinc_interpolate`). Upward shifts are anti-aliased before that: the
    stretched spectrum is cut at 0.9 x rate x Nyquist (0.9 of the output's Nyquist rate) in the
    vocoder's STFT domain, which costs nothing and lets every example share one short kernel. On
    content below 3 kHz at 16 kHz the result is within -70 dB of librosa.effects.pitch_shift
    (soxr_vhq) for +-4 semitones.

    No sample rate needed (semitones do not depend on it; the argument is accepted for symmetry).
    Lengths are kept; a padded example gets what it would get alone. Rows not applied are returned
    unchanged. All modes (per_channel: one shift per channel). Differentiable through torch ops.

    Args:
        min_transpose_semitones, max_transpose_semitones: the range in semitones.
        sample_rate: unused by the transform (see :class:`~sonix.augment.Augmentation`).
        n_fft: STFT size of the vocoder (default 512); hop_length: default n_fft // 4.
        p, mode, seed: see :class:`~sonix.augment.Augmentation`.
    """

    def __init__(
        self,
        min_transpose_semitones: float = -4.0,
        max_transpose_semitones: float = 4.0,
        sample_rate: int | None = None,
        n_fft: int = 512,
        hop_length: int | None = None,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_transpose_semitones, self.max_transpose_semitones = check_range(
            min_transpose_semitones, max_transpose_semitones, "transpose_semitones"
        )
        self.n_fft, self.hop_length = _check_stft(n_fft, hop_length)

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"semitones": d.between(self.min_transpose_semitones, self.max_transpose_semitones)}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        b, c, t = x.shape
        cp = params["applied"].shape[1]  # channels per channel group: c // cp
        groups = x.reshape(b * cp, c // cp, t)  # one group per (example, channel) in per_channel
        applied = params["applied"].reshape(-1)
        n = _valid_lengths(x, ctx).repeat_interleave(cp)
        rate = torch.exp2(-params["semitones"].reshape(-1).to(torch.float64) / 12.0)

        def shift(rows: torch.Tensor, sel: torch.Tensor) -> torch.Tensor:
            r = rate[sel].repeat_interleave(c // cp)
            lengths = n[sel].repeat_interleave(c // cp)
            # Upward shifts (rate < 1) then downsample: their stretched spectrum is cut at
            # ANTIALIAS x rate x Nyquist first, so one shared interpolation kernel serves all rows.
            band = torch.where(r < 1, ANTIALIAS * r, torch.ones_like(r))
            stretched, _ = time_stretch_rows(rows, r, lengths, self.n_fft, self.hop_length, band)
            # Output j reads the stretched signal at j / rate (librosa: resample from sr / rate
            # to sr); samples past each row's length are zeroed by the base.
            return sinc_interpolate(stretched, 1.0 / r, t, antialias=False)

        return _apply_rows(groups, applied, t, shift).reshape(b, c, t)

    def extra_repr(self) -> str:
        return (
            f"min_transpose_semitones={self.min_transpose_semitones}, "
            f"max_transpose_semitones={self.max_transpose_semitones}, n_fft={self.n_fft}, "
            f"hop_length={self.hop_length}, " + super().extra_repr()
        )


class SpeedPerturb(Augmentation):
    """Kaldi / ESPnet speed perturbation: each example gets one factor of ``factors`` (uniformly) and
    is resampled from round(sample_rate * factor) Hz to sample_rate (pitch and tempo change
    together; factor > 1 is faster): an example of valid length n becomes
    ceil(n * sample_rate / round(sample_rate * factor)) samples long (torchaudio's
    SpeedPerturbation). Needs sample_rate.

    Resampling by :func:`sonix.functional.resample.resample_groups` (default quality), one batched
    call per distinct factor in the batch (a loop over the factors, not the examples). keep_length=False (default) returns the batch padded to the longest result and sets
    lengths; True crops or zero-pads back to the input's time axis (lengths, when given, become
    min(new length, time)). Rows not applied, and factor 1, are unchanged. Modes per_example and
    per_batch. Differentiable.

    Args:
        factors: speed factors (> 0) to choose from; default (0.9, 1.0, 1.1).
        keep_length: keep the input's time axis.
        p, mode, seed, sample_rate: see :class:`~sonix.augment.Augmentation` (p defaults to 1).
    """

    supported_modes = ("per_example", "per_batch")

    def __init__(
        self,
        factors: Sequence[float] = (0.9, 1.0, 1.1),
        sample_rate: int | None = None,
        keep_length: bool = False,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        try:
            values = [float(f) for f in factors]
        except (TypeError, ValueError):
            values = []
        if (
            not values
            or any(isinstance(f, bool) for f in factors)
            or not all(math.isfinite(f) and f > 0 for f in values)
        ):
            raise ValueError(
                f"sonix: factors must be a non-empty sequence of positive numbers, got {factors!r}"
            )
        self.factors = tuple(values)
        self.keep_length = bool(keep_length)
        self.changes_lengths = not self.keep_length

    def draw(self, d: Draws, x, ctx) -> Params:
        table = torch.tensor(self.factors, dtype=torch.float64, device=x.device)
        return {"factor": table[d.integers(0, len(self.factors) - 1)]}

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        sr = ctx.require_sample_rate("SpeedPerturb")
        b, c, t = x.shape
        n = _valid_lengths(x, ctx)
        orig = torch.round(params["factor"][:, 0].to(torch.float64) * sr).to(torch.int64)
        if bool((orig < 1).any()):
            raise ValueError(
                f"sonix: SpeedPerturb factors times sample_rate={sr} must round to >= 1 Hz"
            )
        on = params["applied"][:, 0] & (orig != sr)
        new_len = torch.where(on, -(-(n * sr) // orig), n)
        out_time = t if self.keep_length else int(new_len.max())
        # One resampling call per distinct factor, not per example; rows not applied stay at sr.
        rates = torch.where(on, orig, torch.full_like(orig, sr)).cpu().repeat_interleave(c)
        y = resample_groups(x.reshape(b * c, t), rates, sr, out_time).reshape(b, c, out_time)
        if ctx.lengths is not None or not self.keep_length:
            ctx.lengths = new_len.clamp_max(out_time)
        return y

    def extra_repr(self) -> str:
        return f"factors={self.factors}, keep_length={self.keep_length}, " + super().extra_repr()


__all__ = ["PadTo", "PitchShift", "RandomCrop", "Shift", "SpeedPerturb", "TimeStretch"]
