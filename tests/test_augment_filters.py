"""sonix.augment.filters: random RBJ biquads per example against scipy.signal.lfilter in float64,
the mel-uniform draws, the responses they promise (0 dB band-pass peak, EQ gain), determinism,
replay, lengths, autograd, CUDA and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import scipy.stats
import torch

from sonix.augment.filters import (
    NYQUIST_FRACTION,
    BandPass,
    BandPassFilter,
    BandStop,
    BandStopFilter,
    HighPass,
    HighPassFilter,
    HighShelf,
    LowPass,
    LowPassFilter,
    LowShelf,
    PeakingEQ,
    hz_to_mel,
)
from sonix.reference import augment_noise as ref

SR = 16000
CLASSES = [
    LowPassFilter,
    HighPassFilter,
    BandPassFilter,
    BandStopFilter,
    PeakingEQ,
    LowShelf,
    HighShelf,
]


def _signal(batch=4, channels=2, time=600, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, time, generator=g, dtype=dtype)


def _design(cls, prm):
    """(freq, Q, gain_db) of the drawn parameters, as the class documents them."""
    if "cutoff_freq" in prm:
        f = prm["cutoff_freq"]
        return f, torch.full_like(f, 1 / math.sqrt(2)), torch.zeros_like(f)
    if "bandwidth_fraction" in prm:
        f = prm["center_freq"]
        return f, 1 / prm["bandwidth_fraction"], torch.zeros_like(f)
    return prm["center_freq"], prm["q"], prm["gain_db"]


def _reference(cls, x, prm, sr):
    freq, q, gain = _design(cls, prm)
    return ref.biquad_filter(x, cls.kind, sr, prm["applied"], freq, q, gain)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
def test_matches_scipy_lfilter_per_example_in_float64(cls, mode):
    x = _signal(batch=6, channels=2)
    t = cls(p=1.0 if mode == "per_batch" else 0.6, mode=mode, seed=3, sample_rate=SR)
    for step in range(20):  # a step with rows applied and rows not applied (per_batch: all)
        out = t(x, step=step, return_params=True)
        prm = out.params[cls.__name__]
        if mode == "per_batch" or 0 < int(prm["applied"].sum()) < prm["applied"].numel():
            break
    assert prm["applied"].shape == (6, 2 if mode == "per_channel" else 1)
    assert mode == "per_batch" or 0 < int(prm["applied"].sum()) < prm["applied"].numel()
    want = _reference(cls, x, prm, SR)
    torch.testing.assert_close(out.samples, want, rtol=1e-9, atol=1e-10)
    if mode == "per_batch":
        for v in prm.values():
            assert bool((v == v[:1]).all())


@pytest.mark.parametrize("cls", [PeakingEQ, HighShelf, LowPassFilter, BandPassFilter])
def test_frequencies_above_nyquist_are_clamped_at_a_low_rate(cls):
    x = _signal(batch=6, channels=1)
    sr = 8000
    kind = "cutoff_freq" if cls is LowPassFilter else "center_frequency"
    t = cls(**{f"min_{kind}": 3000.0, f"max_{kind}": 7000.0}, p=1.0, seed=1)
    out = t(x, sample_rate=sr, return_params=True)
    prm = out.params[cls.__name__]
    freq = _design(cls, prm)[0]
    assert bool((freq > NYQUIST_FRACTION * sr).any())  # the clamp is exercised
    assert bool(torch.isfinite(out.samples).all())
    torch.testing.assert_close(out.samples, _reference(cls, x, prm, sr), rtol=1e-9, atol=1e-9)


def test_float32_is_close_to_float64():
    x = _signal(batch=4, channels=1, time=2000)
    for cls in CLASSES:
        t = cls(p=1.0, seed=5, sample_rate=SR)
        y64 = t(x, step=0)
        y32 = t(x.float(), step=0)
        assert y32.dtype == torch.float32
        torch.testing.assert_close(y32.double(), y64, rtol=0, atol=2e-4 * float(y64.abs().max()))


def test_frequencies_are_mel_uniform_and_gains_uniform():
    x = torch.zeros(3000, 1, 4)
    out = PeakingEQ(100.0, 6000.0, -6.0, 9.0, 0.5, 2.0, p=1.0, seed=2)(
        x, sample_rate=SR, return_params=True
    )
    prm = out.params["PeakingEQ"]
    mel = hz_to_mel(prm["center_freq"][:, 0], "htk")
    lo, hi = hz_to_mel(100.0, "htk"), hz_to_mel(6000.0, "htk")
    assert float(mel.min()) >= lo - 1e-9 and float(mel.max()) <= hi + 1e-9
    assert scipy.stats.kstest(((mel - lo) / (hi - lo)).numpy(), "uniform").pvalue > 1e-3
    # Not log-uniform and not linear-uniform in Hz: the mel median.
    median = float(prm["center_freq"].median())
    mel_median = 700 * (10 ** ((lo + hi) / 2 / 2595) - 1)
    assert abs(median - mel_median) / mel_median < 0.05
    assert scipy.stats.kstest(((prm["gain_db"][:, 0] + 6) / 15).numpy(), "uniform").pvalue > 1e-3
    assert scipy.stats.kstest(((prm["q"][:, 0] - 0.5) / 1.5).numpy(), "uniform").pvalue > 1e-3
    cut = LowPassFilter(p=1.0, seed=0)(x, sample_rate=SR, return_params=True).params
    m = hz_to_mel(cut["LowPassFilter"]["cutoff_freq"][:, 0], "htk")
    u = (m - hz_to_mel(150.0, "htk")) / (hz_to_mel(7500.0, "htk") - hz_to_mel(150.0, "htk"))
    assert scipy.stats.kstest(u.numpy(), "uniform").pvalue > 1e-3


def _tone_gain(y: torch.Tensor, x: torch.Tensor, skip: int) -> torch.Tensor:
    """Amplitude ratio of y to x after the transient (rows of (batch, 1, time))."""
    return y[..., skip:].pow(2).mean(-1).sqrt() / x[..., skip:].pow(2).mean(-1).sqrt()


def test_band_pass_peak_is_0_db_and_eq_gain_is_met_at_the_centre():
    batch, time = 6, 16000
    bp = BandPassFilter(p=1.0, seed=4)
    prm = bp(torch.zeros(batch, 1, 8), sample_rate=SR, return_params=True).params["BandPassFilter"]
    t = torch.arange(time, dtype=torch.float64) / SR
    x = torch.sin(2 * math.pi * prm["center_freq"][:, :, None] * t)
    y = bp(x, sample_rate=SR, params={"BandPassFilter": prm})
    torch.testing.assert_close(
        _tone_gain(y, x, 4000), torch.ones(batch, 1, dtype=torch.float64), atol=2e-3, rtol=0
    )
    bs = BandStopFilter(p=1.0, seed=4)
    y = bs(x, sample_rate=SR, params={"BandStopFilter": prm})
    assert float(_tone_gain(y, x, 4000).max()) < 1e-2
    eq = PeakingEQ(p=1.0, seed=9, min_center_frequency=100.0, max_center_frequency=5000.0)
    prm = eq(torch.zeros(batch, 1, 8), sample_rate=SR, return_params=True).params["PeakingEQ"]
    x = torch.sin(2 * math.pi * prm["center_freq"][:, :, None] * t)
    y = eq(x, sample_rate=SR, params={"PeakingEQ": prm})
    got_db = 20 * torch.log10(_tone_gain(y, x, 8000))
    torch.testing.assert_close(got_db, prm["gain_db"], atol=0.05, rtol=0)


def test_low_and_high_pass_attenuate_3_db_at_the_cutoff():
    for cls in (LowPassFilter, HighPassFilter):
        t = cls(p=1.0, seed=6)
        prm = t(torch.zeros(4, 1, 8), sample_rate=SR, return_params=True).params[cls.__name__]
        b, a = ref.rbj_biquad(cls.kind, SR, float(prm["cutoff_freq"][0, 0]), 1 / math.sqrt(2))
        w, h = scipy.signal.freqz(b, a, worN=[float(prm["cutoff_freq"][0, 0])], fs=SR)
        assert abs(20 * np.log10(abs(h[0])) + 3.0103) < 1e-3
        time = 16000
        tt = torch.arange(time, dtype=torch.float64) / SR
        x = torch.sin(2 * math.pi * prm["cutoff_freq"][:, :, None] * tt)
        y = t(x, sample_rate=SR, params={cls.__name__: prm})
        db = 20 * torch.log10(_tone_gain(y, x, 4000))
        torch.testing.assert_close(db, torch.full_like(db, -3.0103), atol=0.02, rtol=0)


def test_rows_not_applied_are_unchanged_bit_for_bit():
    x = _signal(batch=16, channels=2, dtype=torch.float32)
    for cls in CLASSES:
        out = cls(p=0.5, seed=8, sample_rate=SR)(x, return_params=True)
        applied = out.params[cls.__name__]["applied"][:, 0]
        assert 0 < int(applied.sum()) < 16
        assert torch.equal(out.samples[~applied], x[~applied])
        assert not torch.equal(out.samples[applied], x[applied])


def test_nothing_applied_returns_the_input():
    x = _signal()
    assert LowPassFilter(p=0.0, sample_rate=SR)(x) is x


@pytest.mark.parametrize("cls", [LowPassFilter, BandStopFilter, HighShelf])
def test_an_example_gets_the_same_filter_in_any_batch(cls):
    x = _signal(batch=4, channels=2, dtype=torch.float32)
    t = cls(p=0.8, seed=11, sample_rate=SR)
    full = t(x, step=5)
    for i in range(4):
        one = t(x[i : i + 1], step=5, example_ids=torch.tensor([i]))
        assert torch.equal(one, full[i : i + 1])
    ids = torch.tensor([3, 1])
    assert torch.equal(t(x[ids], step=5, example_ids=ids), full[ids])


def test_same_seed_same_output_steps_and_seeds_differ_and_replay_is_exact():
    x = _signal()
    a, b = PeakingEQ(p=1.0, seed=4, sample_rate=SR), PeakingEQ(p=1.0, seed=4, sample_rate=SR)
    y1 = a(x, return_params=True)
    assert torch.equal(b(x), y1.samples)
    assert not torch.equal(a(x), y1.samples)  # the step advanced
    assert not torch.equal(PeakingEQ(p=1.0, seed=5, sample_rate=SR)(x, step=0), y1.samples)
    again = PeakingEQ(p=1.0, seed=99)(x, sample_rate=SR, params=y1.params)
    assert torch.equal(again, y1.samples)


def test_padding_stays_exactly_zero():
    x = _signal(batch=3, channels=2, time=500)
    lengths = torch.tensor([500, 321, 7])
    x = x * (torch.arange(500) < lengths[:, None, None])
    for cls in CLASSES:
        out = cls(p=1.0, seed=2, sample_rate=SR)(x, lengths=lengths)
        assert torch.equal(out.lengths, lengths)
        pad = torch.arange(500) >= lengths[:, None, None]
        assert float(out.samples.masked_select(pad).abs().max()) == 0.0
        full = cls(p=1.0, seed=2, sample_rate=SR)(x)  # a causal filter: the valid part is unchanged
        valid = ~pad.expand_as(x)
        torch.testing.assert_close(out.samples[valid], full[valid], rtol=0, atol=0)


@pytest.mark.parametrize("cls", [LowPassFilter, BandPassFilter, PeakingEQ, LowShelf])
def test_gradcheck_wrt_input(cls):
    t = cls(p=1.0, seed=1, sample_rate=SR)
    x = _signal(batch=2, channels=2, time=12).requires_grad_(True)
    prm = t(x.detach(), return_params=True).params
    torch.autograd.gradcheck(lambda v: t(v, params=prm), (x,))


def test_half_precision_and_one_dim_inputs():
    x = _signal(batch=2, channels=1, dtype=torch.float32)
    t = HighShelf(p=1.0, seed=3, sample_rate=SR)
    want = t(x, step=0)
    for dtype in (torch.float16, torch.bfloat16):
        got = t(x.to(dtype), step=0)
        assert got.dtype == dtype
        torch.testing.assert_close(got.float(), want, rtol=0.02, atol=0.05)
    one = t(x[0, 0], step=0)
    assert one.shape == (600,)
    torch.testing.assert_close(one, want[0, 0])


def test_aliases_are_the_classes():
    assert LowPass is LowPassFilter and HighPass is HighPassFilter
    assert BandPass is BandPassFilter and BandStop is BandStopFilter


def test_filters_on_cuda_match_cpu(device):
    x = _signal(batch=6, channels=2, time=3000, dtype=torch.float32)
    for cls in CLASSES:
        t = cls(p=0.7, seed=2, sample_rate=SR)
        want = t(x, step=1)
        got = t.to(device)(x.to(device), step=1)
        assert got.device.type == device
        torch.testing.assert_close(got.cpu(), want, rtol=0, atol=1e-4)


def test_torch_compile_fullgraph():
    t = LowPassFilter(p=0.5, seed=0, sample_rate=SR)
    x = _signal(batch=4, channels=1, dtype=torch.float32)
    compiled = torch.compile(lambda v: t(v, step=1), fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x), t(x, step=1), rtol=0, atol=0)


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,exc,match",
    [
        (
            lambda: LowPassFilter(4000.0, 100.0),
            ValueError,
            "min_cutoff_freq must be <= max_cutoff_freq",
        ),
        (lambda: HighPassFilter(0.0, 100.0), ValueError, "min_cutoff_freq must be > 0"),
        (lambda: LowPassFilter(-5.0, 100.0), ValueError, "min_cutoff_freq must be > 0"),
        (
            lambda: BandPassFilter(min_center_frequency=0.0),
            ValueError,
            "min_center_frequency must be > 0",
        ),
        (
            lambda: BandStopFilter(min_bandwidth_fraction=0.0),
            ValueError,
            "min_bandwidth_fraction must be > 0",
        ),
        (
            lambda: BandPassFilter(min_bandwidth_fraction=1.5, max_bandwidth_fraction=1.0),
            ValueError,
            "min_bandwidth_fraction must be <= max_bandwidth_fraction",
        ),
        (
            lambda: PeakingEQ(min_gain_db=6.0, max_gain_db=-6.0),
            ValueError,
            "min_gain_db must be <= max_gain_db",
        ),
        (lambda: LowShelf(min_q=0.0), ValueError, "min_q must be > 0"),
        (
            lambda: HighShelf(min_center_frequency="1k"),
            TypeError,
            "min_center_frequency must be a number",
        ),
        (lambda: LowPassFilter(p=1.5), ValueError, "p must be a probability"),
        (
            lambda: LowPassFilter(sample_rate=-1),
            ValueError,
            "sample_rate must be a positive integer",
        ),
        (lambda: LowPassFilter(mode="per_row"), ValueError, "mode must be one of"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("cls", CLASSES)
def test_missing_sample_rate_is_refused_even_when_nothing_is_applied(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__} needs sample_rate"):
        cls(p=0.0)(_signal())


def test_bad_samples():
    t = LowPassFilter(p=1.0, sample_rate=SR)
    with pytest.raises(TypeError, match="samples must be a floating-point tensor"):
        t(torch.zeros(2, 100, dtype=torch.int16))
    with pytest.raises(ValueError, match="samples must be"):
        t(torch.zeros(1, 1, 1, 100))
