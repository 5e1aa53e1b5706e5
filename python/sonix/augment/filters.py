"""Random biquad filters (low / high / band pass, band stop, peaking EQ, shelves) with per-example
parameters, the whole batch filtered by one call of :func:`sonix.ops.filters.lfilter`.

Each transform designs an RBJ-cookbook biquad per example (or channel, or batch, by mode) with
:func:`sonix.functional.biquad_coeffs`; rows not applied get the identity filter b = a = [1, 0, 0],
which passes them through exactly. Frequencies are drawn uniformly on the HTK mel scale
(2595 log10(1 + f / 700)), as torch-audiomentations and audiomentations draw their cutoffs and
centre frequencies; gains (dB), Q and bandwidth fractions are drawn uniformly. Frequencies are
clamped below ``NYQUIST_FRACTION * sample_rate`` when the filter is applied, so any range is valid
at any rate.

These are second-order (12 dB / octave) filters: gentler than torch-audiomentations' windowed-sinc
low / high / band passes (julius), and causal (a small phase shift instead of a zero-phase FIR).
"""

from __future__ import annotations

import math

import torch

from ..functional.filter_design import biquad_coeffs
from ..functional.filterbanks import hz_to_mel, mel_to_hz
from ..ops.filters import lfilter
from .base import Augmentation, AugmentContext, Params, check_range
from .random import Draws

NYQUIST_FRACTION = 0.499  # frequencies are clamped to this fraction of the sample rate
BUTTERWORTH_Q = 1.0 / math.sqrt(2.0)  # Q of the low / high passes: maximally flat


def mel_between(d: Draws, low_hz: float, high_hz: float) -> torch.Tensor:
    """Frequencies uniform on the HTK mel scale in [low_hz, high_hz], float64 (batch, chan_p)."""
    return mel_to_hz(
        d.between(float(hz_to_mel(low_hz, "htk")), float(hz_to_mel(high_hz, "htk"))), "htk"
    )


class BiquadAugmentation(Augmentation):
    """A random biquad of ``kind`` (a :func:`biquad_coeffs` kind). Subclasses draw their parameters
    and map them to ``(freq, Q, gain_db)`` in :meth:`design`."""

    kind: str = ""

    def design(self, params: Params) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(freq Hz, Q, gain dB), each float64 (batch, channels_p), from the drawn parameters."""
        raise NotImplementedError

    def coefficients(self, params: Params, sample_rate: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-row (b, a), float64 (batch, channels_p, 3); identity on the rows not applied."""
        freq, q, gain = self.design(params)
        freq = freq.clamp(max=NYQUIST_FRACTION * sample_rate)
        b, a = biquad_coeffs(self.kind, sample_rate, freq, q, gain, dtype=torch.float64)
        identity = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64, device=b.device)
        on = params["applied"][..., None]
        return torch.where(on, b, identity), torch.where(on, a, identity)

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        sr = ctx.require_sample_rate(type(self).__name__)
        if not torch.compiler.is_compiling() and not bool(params["applied"].any()):
            return x
        b, a = self.coefficients(params, sr)
        # One call for the batch: (batch, channels_p, 3) broadcast over x's (batch, channels).
        y, _ = lfilter(x, a, b)
        return y


class _CutoffFilter(BiquadAugmentation):
    def __init__(self, min_cutoff_freq, max_cutoff_freq, p, mode, seed, sample_rate):
        super().__init__(p, mode, seed, sample_rate)
        self.min_cutoff_freq, self.max_cutoff_freq = check_range(
            min_cutoff_freq, max_cutoff_freq, "cutoff_freq", positive=True
        )

    def draw(self, d: Draws, x, ctx) -> Params:
        return {"cutoff_freq": mel_between(d, self.min_cutoff_freq, self.max_cutoff_freq)}

    def design(self, params):
        f = params["cutoff_freq"]
        return f, torch.full_like(f, BUTTERWORTH_Q), torch.zeros_like(f)


class LowPassFilter(_CutoffFilter):
    """Second-order Butterworth (Q = 1/sqrt(2)) low pass, cutoff mel-uniform in
    [min_cutoff_freq, max_cutoff_freq] Hz. Needs sample_rate."""

    kind = "lowpass"

    def __init__(
        self,
        min_cutoff_freq: float = 150.0,
        max_cutoff_freq: float = 7500.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(min_cutoff_freq, max_cutoff_freq, p, mode, seed, sample_rate)


class HighPassFilter(_CutoffFilter):
    """Second-order Butterworth (Q = 1/sqrt(2)) high pass, cutoff mel-uniform in
    [min_cutoff_freq, max_cutoff_freq] Hz. Needs sample_rate."""

    kind = "highpass"

    def __init__(
        self,
        min_cutoff_freq: float = 20.0,
        max_cutoff_freq: float = 2400.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(min_cutoff_freq, max_cutoff_freq, p, mode, seed, sample_rate)


class _BandFilter(BiquadAugmentation):
    """Centre frequency mel-uniform, bandwidth fraction (bandwidth / centre) uniform;
    Q = 1 / fraction (torch-audiomentations' band edges centre * (1 -+ fraction / 2))."""

    def __init__(
        self,
        min_center_frequency: float = 200.0,
        max_center_frequency: float = 4000.0,
        min_bandwidth_fraction: float = 0.5,
        max_bandwidth_fraction: float = 1.99,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_center_frequency, self.max_center_frequency = check_range(
            min_center_frequency, max_center_frequency, "center_frequency", positive=True
        )
        self.min_bandwidth_fraction, self.max_bandwidth_fraction = check_range(
            min_bandwidth_fraction, max_bandwidth_fraction, "bandwidth_fraction", positive=True
        )

    def draw(self, d: Draws, x, ctx) -> Params:
        return {
            "center_freq": mel_between(d, self.min_center_frequency, self.max_center_frequency),
            "bandwidth_fraction": d.between(
                self.min_bandwidth_fraction, self.max_bandwidth_fraction
            ),
        }

    def design(self, params):
        f = params["center_freq"]
        return f, 1.0 / params["bandwidth_fraction"], torch.zeros_like(f)


class BandPassFilter(_BandFilter):
    """Band pass with 0 dB at the centre frequency (RBJ "bandpass"), Q = 1 / bandwidth fraction.
    Needs sample_rate."""

    kind = "bandpass"


class BandStopFilter(_BandFilter):
    """Notch (RBJ "bandreject") at the centre frequency, Q = 1 / bandwidth fraction. Needs
    sample_rate."""

    kind = "bandreject"


class _GainFilter(BiquadAugmentation):
    """Centre frequency mel-uniform, gain (dB) and Q uniform, in that order (audiomentations')."""

    def __init__(
        self,
        min_center_frequency: float,
        max_center_frequency: float,
        min_gain_db: float,
        max_gain_db: float,
        min_q: float,
        max_q: float,
        p: float,
        mode: str,
        seed,
        sample_rate,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_center_frequency, self.max_center_frequency = check_range(
            min_center_frequency, max_center_frequency, "center_frequency", positive=True
        )
        self.min_gain_db, self.max_gain_db = check_range(min_gain_db, max_gain_db, "gain_db")
        self.min_q, self.max_q = check_range(min_q, max_q, "q", positive=True)

    def draw(self, d: Draws, x, ctx) -> Params:
        return {
            "center_freq": mel_between(d, self.min_center_frequency, self.max_center_frequency),
            "gain_db": d.between(self.min_gain_db, self.max_gain_db),
            "q": d.between(self.min_q, self.max_q),
        }

    def design(self, params):
        return params["center_freq"], params["q"], params["gain_db"]


class PeakingEQ(_GainFilter):
    """RBJ peaking EQ: gain_db at the centre frequency, bandwidth set by Q. Needs sample_rate."""

    kind = "peaking"

    def __init__(
        self,
        min_center_frequency: float = 50.0,
        max_center_frequency: float = 8000.0,
        min_gain_db: float = -12.0,
        max_gain_db: float = 12.0,
        min_q: float = 0.5,
        max_q: float = 5.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(
            min_center_frequency, max_center_frequency, min_gain_db, max_gain_db, min_q, max_q,
            p, mode, seed, sample_rate,
        )  # fmt: skip


class LowShelf(_GainFilter):
    """RBJ low shelf: gain_db below the corner frequency (0 dB far above), slope set by Q. Needs
    sample_rate."""

    kind = "lowshelf"

    def __init__(
        self,
        min_center_frequency: float = 50.0,
        max_center_frequency: float = 4000.0,
        min_gain_db: float = -12.0,
        max_gain_db: float = 12.0,
        min_q: float = 0.5,
        max_q: float = 1.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(
            min_center_frequency, max_center_frequency, min_gain_db, max_gain_db, min_q, max_q,
            p, mode, seed, sample_rate,
        )  # fmt: skip


class HighShelf(_GainFilter):
    """RBJ high shelf: gain_db above the corner frequency (0 dB far below), slope set by Q. Needs
    sample_rate."""

    kind = "highshelf"

    def __init__(
        self,
        min_center_frequency: float = 300.0,
        max_center_frequency: float = 7500.0,
        min_gain_db: float = -12.0,
        max_gain_db: float = 12.0,
        min_q: float = 0.5,
        max_q: float = 1.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(
            min_center_frequency, max_center_frequency, min_gain_db, max_gain_db, min_q, max_q,
            p, mode, seed, sample_rate,
        )  # fmt: skip


LowPass = LowPassFilter
HighPass = HighPassFilter
BandPass = BandPassFilter
BandStop = BandStopFilter

__all__ = [
    "BandPass",
    "BandPassFilter",
    "BandStop",
    "BandStopFilter",
    "BiquadAugmentation",
    "HighPass",
    "HighPassFilter",
    "HighShelf",
    "LowPass",
    "LowPassFilter",
    "LowShelf",
    "PeakingEQ",
]
