"""Band-limited resampling by any rational ratio (windowed-sinc polyphase filter, custom ops).

``resample(x, orig_freq, new_freq)`` works on the last dim of any (..., time) float16 / bfloat16 /
float32 / float64 tensor on CPU or CUDA (half precision computes in float32), supports autograd
(the backward is the adjoint polyphase op) and traces under ``torch.compile(fullgraph=True)`` for
fixed rates. Output length is ceil(new * time / orig), as torchaudio.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._dtypes import compute_dtype
from ..ops import resample as _rs  # noqa: F401  (fake kernels and autograd)
from ..ops._checks import check_audio
from ..reference.resample import KAISER_BETA_TORCHAUDIO, SincFilter, tap_table

_ops = torch.ops.sonix

_WINDOWS = {"sinc_interp_hann": "hann", "sinc_interp_kaiser": "kaiser"}
_WINDOW_IDS = {"hann": 0, "kaiser": 1}

# Kaiser designs whose stopband starts at the lower Nyquist rate: beta from the attenuation A
# (0.1102 (A - 8.7)), transition width (A - 7.95) / (14.36 * 2 lpw) of the sinc's rate, and rolloff
# = 1 / (1 + that width) so the stopband edge lands on Nyquist. Measured (tests/test_resample.py):
# fast ~100 dB (passband to 0.75 x Nyquist), default >= 120 dB stopband and >= 110 dB sine SNR, best ~170 dB (soxr VHQ class).
PRESETS: dict[str, SincFilter] = {
    "fast": SincFilter(lowpass_filter_width=24, rolloff=0.88, window="kaiser", beta=10.06),
    "default": SincFilter(lowpass_filter_width=40, rolloff=0.905, window="kaiser", beta=13.4),
    "best": SincFilter(lowpass_filter_width=96, rolloff=0.94, window="kaiser", beta=18.3),
}

# Tap tables above this many entries are not built: the taps are computed per output instead.
_MAX_TABLE = 1 << 22


def resolve_filter(
    quality: str = "default",
    lowpass_filter_width: int | None = None,
    rolloff: float | None = None,
    resampling_method: str | None = None,
    beta: float | None = None,
) -> SincFilter:
    """The filter of a quality preset, or torchaudio's filter when any torchaudio argument is given
    (its defaults: sinc_interp_hann, lowpass_filter_width=6, rolloff=0.99, beta=14.7697)."""
    if (
        lowpass_filter_width is None
        and rolloff is None
        and resampling_method is None
        and beta is None
    ):
        if quality not in PRESETS:
            raise ValueError(f"sonix: quality must be one of {tuple(PRESETS)}, got {quality!r}")
        return PRESETS[quality]
    if quality != "default":
        raise ValueError("sonix: pass either quality or torchaudio's filter arguments, not both")
    method = "sinc_interp_hann" if resampling_method is None else resampling_method
    if method not in _WINDOWS:
        raise ValueError(
            f"sonix: resampling_method must be one of {tuple(_WINDOWS)}, got {method!r}"
        )
    lpw = 6 if lowpass_filter_width is None else lowpass_filter_width
    if isinstance(lpw, bool) or not isinstance(lpw, (int, float)) or lpw <= 0:
        raise ValueError(f"sonix: lowpass_filter_width must be positive, got {lpw!r}")
    roll = 0.99 if rolloff is None else float(rolloff)
    if not 0 < roll <= 1:
        raise ValueError(f"sonix: rolloff must be in (0, 1], got {rolloff!r}")
    b = KAISER_BETA_TORCHAUDIO if beta is None else float(beta)
    return SincFilter(float(lpw), roll, _WINDOWS[method], b)


def _rate(value, name: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != int(value)
        or value <= 0
    ):
        raise ValueError(f"sonix: {name} must be a positive integer (Hz), got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Plan:
    """gcd-reduced rates, the filter, and its tap table (None: taps computed per output)."""

    orig: int
    up: int
    filt: SincFilter
    left: int
    taps: torch.Tensor | None  # float64, (up, 2 * left + 2), on the CPU

    @property
    def n_taps(self) -> int:
        return 2 * self.left + 2


@functools.lru_cache(maxsize=64)
def plan(orig_freq: int, new_freq: int, filt: SincFilter) -> Plan:
    """The cached resampling plan of one rate pair (tables are built once per pair and filter)."""
    g = math.gcd(orig_freq, new_freq)
    orig, up = orig_freq // g, new_freq // g
    left = filt.half_width(orig, up)
    if up * (2 * left + 2) > _MAX_TABLE:
        return Plan(orig, up, filt, left, None)
    taps, left = tap_table(orig, up, filt)
    return Plan(orig, up, filt, left, taps)


def apply_plan(p: Plan, rows: torch.Tensor, taps: torch.Tensor | None = None) -> torch.Tensor:
    """Resamples (rows, time) by a plan; ``taps``: the plan's table already on the device/dtype."""
    n = rows.shape[-1]
    out_len = -(-p.up * n // p.orig)
    if p.taps is None:
        rates = torch.full((rows.shape[0],), p.orig, dtype=torch.int64, device=rows.device)
        f = p.filt
        return _ops.resample_varying(
            rows,
            rates,
            p.up,
            p.left,
            p.n_taps,
            f.rolloff,
            f.lowpass_filter_width,
            _WINDOW_IDS[f.window],
            f.beta,
            out_len,
        )
    if taps is None:
        taps = p.taps.to(device=rows.device, dtype=compute_dtype(rows.dtype))
    return _ops.resample_poly(rows, taps, p.orig, p.up, p.left, 0, 0, out_len)


def resample(
    waveform: torch.Tensor,
    orig_freq,
    new_freq: int,
    *,
    quality: str = "default",
    lowpass_filter_width: int | None = None,
    rolloff: float | None = None,
    resampling_method: str | None = None,
    beta: float | None = None,
):
    """Resamples the last dim of ``waveform`` from ``orig_freq`` to ``new_freq`` Hz.

    Args:
        waveform: (..., time) float16 / bfloat16 / float32 / float64 tensor, CPU or CUDA.
        orig_freq: source rate (int), or one rate per example (a 1-D int tensor or list of length
            ``waveform.shape[0]``; speed perturbation): then every example has its own output length
            and the result is zero-padded to the longest.
        new_freq: target rate (int).
        quality: "fast", "default" (>= 120 dB stopband, >= 110 dB SNR on sines) or "best" (~170 dB,
            soxr VHQ class); a Kaiser-windowed sinc whose stopband starts at the lower Nyquist rate.
        lowpass_filter_width, rolloff, resampling_method, beta: torchaudio's filter arguments; when
            any is given the filter (and the output, up to rounding) is torchaudio.functional.resample's.

    Returns:
        (..., ceil(new_freq * time / orig_freq)) in the input dtype; with per-example rates a tuple
        (output, lengths) where lengths is an int64 tensor (batch,) of the valid output lengths.

    Autograd w.r.t. ``waveform``; torch.compile(fullgraph=True) with fixed rates (per-example rates
    read the rates on the host). When the phase table would exceed 4M taps (e.g. 20001 -> 30001 Hz
    at "best"), taps are computed per output instead of stored.
    """
    check_audio(waveform)
    filt = resolve_filter(quality, lowpass_filter_width, rolloff, resampling_method, beta)
    new = _rate(new_freq, "new_freq")
    if isinstance(orig_freq, (torch.Tensor, list, tuple)):
        return _resample_per_example(waveform, orig_freq, new, filt)
    orig = _rate(orig_freq, "orig_freq")
    if orig == new:
        return waveform
    shape = waveform.shape
    y = apply_plan(plan(orig, new, filt), waveform.reshape(-1, shape[-1]))
    return y.reshape(shape[:-1] + y.shape[-1:])


def _resample_per_example(waveform: torch.Tensor, orig_freq, new: int, filt: SincFilter):
    if waveform.dim() < 2:
        raise ValueError(
            f"sonix: per-example rates need a (batch, ..., time) waveform, got shape {tuple(waveform.shape)}"
        )
    rates = torch.as_tensor(orig_freq).reshape(-1)
    if rates.is_floating_point() and not bool((rates == rates.round()).all()):
        raise ValueError("sonix: orig_freq rates must be integers (Hz)")
    rates = rates.to(torch.int64)
    if rates.numel() != waveform.shape[0]:
        raise ValueError(
            f"sonix: orig_freq must hold one rate per example ({waveform.shape[0]}), got {rates.numel()}"
        )
    host = rates.cpu()
    if bool((host <= 0).any()):
        raise ValueError(f"sonix: orig_freq rates must be positive, got {host.tolist()}")
    shape, n = waveform.shape, waveform.shape[-1]
    per = math.prod(shape[1:-1])
    lengths = -(-new * n // host)
    distinct = host.unique().tolist()
    rows = waveform.reshape(-1, n)
    if len(distinct) <= _MAX_GROUPS:
        y = resample_groups(rows, host.repeat_interleave(per), new, int(lengths.max()), filt)
        return y.reshape(shape[:-1] + y.shape[-1:]), lengths.to(waveform.device)
    left = max(filt.half_width(int(r), new) for r in distinct)
    row_rates = rates.to(waveform.device).repeat_interleave(per)
    y = _ops.resample_varying(
        rows,
        row_rates,
        new,
        left,
        2 * left + 2,
        filt.rolloff,
        filt.lowpass_filter_width,
        _WINDOW_IDS[filt.window],
        filt.beta,
        int(lengths.max()),
    )
    return y.reshape(shape[:-1] + y.shape[-1:]), lengths.to(waveform.device)


# Per-example rates with at most this many distinct values (speed perturbation's 0.9 / 1.0 / 1.1)
# run one cached polyphase plan per rate; more distinct rates go through resample_varying, which
# computes the taps of every output.
_MAX_GROUPS = 8


def resample_groups(
    rows: torch.Tensor,
    row_rates: torch.Tensor,
    new: int,
    width: int,
    filt: SincFilter | None = None,
) -> torch.Tensor:
    """(rows, width): each group of rows (rows, time) sharing a source rate in ``row_rates``
    ((rows,) int64 on the CPU) resampled to ``new`` by its cached plan (exactly what a call of
    :func:`resample` per row gives; rows already at ``new`` are kept), cropped or zero-padded to
    width, in the input dtype. ``filt``: default, the "default" preset. One call per distinct rate."""
    filt = PRESETS["default"] if filt is None else filt
    out = rows.new_zeros(rows.shape[0], width)
    for rate in row_rates.unique().tolist():
        idx = (row_rates == rate).nonzero()[:, 0].to(rows.device)
        part = rows.index_select(0, idx)
        y = part if rate == new else apply_plan(plan(int(rate), new, filt), part)
        out = out.index_copy(0, idx, F.pad(y.to(rows.dtype), (0, width - y.shape[-1])))
    return out
