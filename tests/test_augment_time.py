"""sonix.augment.time (Shift, RandomCrop, PadTo, TimeStretch, PitchShift, SpeedPerturb) and the
batched DSP of sonix.augment.vocoder, against the float64 per-example loops of
sonix.reference.augment_time, librosa and torch-audiomentations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sonix.augment.time import (
    ANTIALIAS,
    PadTo,
    PitchShift,
    RandomCrop,
    Shift,
    SpeedPerturb,
    TimeStretch,
)
from sonix.augment.vocoder import INTERP_FILTER, sinc_interpolate, time_stretch_rows
from sonix.functional.resample import PRESETS
from sonix.reference import augment_time as ref

SR = 16000


def batch(shape=(4, 2, 800), seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * 0.3).to(dtype)


def tone(freq, n, sr=SR, dtype=torch.float64):
    return torch.sin(2 * math.pi * freq * torch.arange(n, dtype=torch.float64) / sr).to(dtype)


def zero_padding(x, lengths):
    """x with the samples past lengths set to zero (what a padded batch holds)."""
    mask = torch.arange(x.shape[-1])[None, None, :] < torch.as_tensor(lengths)[:, None, None]
    return x * mask


def peak_hz(y, sr=SR):
    spec = torch.fft.rfft(y * torch.hann_window(y.shape[-1], dtype=y.dtype)).abs()
    return float(spec.argmax()) * sr / y.shape[-1]


# ---- Shift ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rollover", [True, False])
@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
@pytest.mark.parametrize("use_lengths", [False, True])
def test_shift_matches_reference(rollover, mode, use_lengths):
    lengths = torch.tensor([800, 513, 1, 650]) if use_lengths else None
    x = batch()
    if use_lengths:
        x = zero_padding(x, lengths)
    t = Shift(-0.7, 0.7, rollover=rollover, p=0.8, mode=mode, seed=3)
    out = t(x, lengths=lengths, return_params=True)
    params = out.params["Shift"]
    shifts = torch.where(params["applied"], params["shift"], 0)
    assert bool((shifts != 0).any())
    torch.testing.assert_close(out.samples, ref.shift(x, shifts, lengths, rollover), rtol=0, atol=0)
    # Applied rows carry shifts within [round(min * n), round(max * n)] of their valid length.
    n = (lengths if use_lengths else torch.full((4,), 800))[:, None].double()
    assert bool((params["shift"] >= torch.round(-0.7 * n)).all())
    assert bool((params["shift"] <= torch.round(0.7 * n)).all())


@pytest.mark.parametrize("rollover", [True, False])
def test_shift_matches_torch_audiomentations(rollover):
    shift_mod = pytest.importorskip("torch_audiomentations.augmentations.shift")
    x = batch((6, 1, 300), dtype=torch.float32)
    out = Shift(-0.5, 0.5, rollover=rollover, p=1.0, seed=1)(x, return_params=True)
    shifts = out.params["Shift"]["shift"][:, 0]
    expected = shift_mod.shift_cpu(x.clone(), shifts.to(torch.int32), rollover)
    torch.testing.assert_close(out.samples, expected, rtol=0, atol=0)


@pytest.mark.parametrize("unit, scale", [("samples", 1), ("seconds", SR)])
def test_shift_units(unit, scale):
    out = Shift(-4 / scale, 3 / scale, shift_unit=unit, p=1.0, seed=0)(
        batch((200, 1, 100)), sample_rate=SR, return_params=True
    )
    s = out.params["Shift"]["shift"]
    assert set(s.flatten().tolist()) == set(range(-4, 4))  # every integer in range, nothing beyond


def test_shift_rows_not_applied_are_unchanged():
    x = batch()
    out = Shift(p=0.5, seed=5)(x, return_params=True)
    off = ~out.params["Shift"]["applied"][:, 0]
    assert bool(off.any()) and bool((~off).any())
    assert torch.equal(out.samples[off], x[off])


@pytest.mark.parametrize("lengths", [None, torch.tensor([12, 7])])
def test_shift_gradcheck(lengths):
    x = batch((2, 2, 12)).requires_grad_()
    for rollover in (True, False):
        t = Shift(-0.5, 0.5, rollover=rollover, p=1.0, mode="per_channel", seed=2)
        assert torch.autograd.gradcheck(
            lambda v, t=t: t(v, lengths=lengths, step=0, return_params=True).samples, (x,)
        )


def test_shift_bad_input():
    with pytest.raises(ValueError, match="min_shift"):
        Shift(0.5, -0.5)
    with pytest.raises(ValueError, match="shift_unit"):
        Shift(shift_unit="minutes")
    with pytest.raises(ValueError, match="sample_rate"):
        Shift(-0.1, 0.1, shift_unit="seconds", p=1.0)(batch())


# ---- RandomCrop / PadTo -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["per_example", "per_channel"])
def test_random_crop_matches_reference(mode):
    lengths = torch.tensor([800, 300, 500, 120])
    x = zero_padding(batch(), lengths)
    out = RandomCrop(200, p=0.75, mode=mode, seed=4)(x, lengths=lengths, return_params=True)
    params = out.params["RandomCrop"]
    offsets = torch.where(params["applied"], params["offset"], 0)
    assert bool((offsets > 0).any())
    y, new_lengths = ref.random_crop(x, offsets, 200, lengths)
    torch.testing.assert_close(out.samples, y, rtol=0, atol=0)
    assert torch.equal(out.lengths, new_lengths)
    # Offsets stay inside the valid part (or 0 when it is shorter than the crop).
    assert bool((params["offset"] <= (lengths[:, None] - 200).clamp_min(0)).all())


def test_random_crop_short_batch_is_padded():
    x = batch((3, 1, 50))
    out = RandomCrop(80, seed=0)(x)
    assert out.samples.shape == (3, 1, 80)
    assert torch.equal(out.samples[..., :50], x) and not out.samples[..., 50:].any()
    assert out.lengths.tolist() == [50, 50, 50]


def test_random_crop_not_applied_takes_the_start():
    x = batch((16, 1, 100))
    out = RandomCrop(30, p=0.5, seed=1)(x, return_params=True)
    off = ~out.params["RandomCrop"]["applied"][:, 0]
    assert bool(off.any())
    assert torch.equal(out.samples[off], x[off, :, :30])


@pytest.mark.parametrize("where", ["end", "start", "random"])
def test_pad_to_matches_reference(where):
    lengths = torch.tensor([800, 300, 0, 799])
    x = zero_padding(batch(), lengths)
    out = PadTo(1000, where=where, p=0.75, seed=1)(x, lengths=lengths, return_params=True)
    params = out.params["PadTo"]
    assert bool(params["applied"].any()) and bool((~params["applied"]).any())
    offsets = torch.where(params["applied"], params["offset"], 0)[:, 0]
    y, new_lengths = ref.pad_to(x, offsets, 1000, lengths)
    torch.testing.assert_close(out.samples, y, rtol=0, atol=0)
    assert torch.equal(out.lengths, new_lengths)
    applied = params["applied"][:, 0]
    if where == "start":
        assert (new_lengths[applied] == 1000).all()
    if where == "random":
        assert bool((offsets > 0).any())
        assert bool((offsets <= 1000 - lengths).all())


@pytest.mark.parametrize("where", ["end", "random"])
def test_pad_to_without_lengths_sets_them(where):
    x = batch((3, 1, 12))
    out = PadTo(20, where=where, seed=0)(x, return_params=True)
    offsets = out.params["PadTo"]["offset"][:, 0]
    y, new_lengths = ref.pad_to(x, offsets, 20)
    assert torch.equal(out.samples, y) and torch.equal(out.lengths, new_lengths)


def test_crop_and_pad_gradcheck():
    x = batch((2, 1, 10)).requires_grad_()
    lengths = torch.tensor([10, 6])
    crop = RandomCrop(5, seed=1)
    pad = PadTo(14, where="random", seed=1)
    for n in (lengths, None):
        assert torch.autograd.gradcheck(lambda v, n=n: crop(v, lengths=n, step=0).samples, (x,))
        assert torch.autograd.gradcheck(lambda v, n=n: pad(v, lengths=n, step=0).samples, (x,))


def test_crop_pad_bad_input():
    with pytest.raises(ValueError, match="length"):
        RandomCrop(0)
    with pytest.raises(ValueError, match="length"):
        PadTo(2.5)
    with pytest.raises(ValueError, match="where"):
        PadTo(10, where="middle")
    with pytest.raises(ValueError, match=r"length=10.*800"):
        PadTo(10)(batch())
    with pytest.raises(ValueError, match="mode"):
        PadTo(10, mode="per_channel")


# ---- the phase vocoder ------------------------------------------------------------------------------


def test_time_stretch_rows_matches_librosa():
    """One example, float64: the batched vocoder is librosa.effects.time_stretch up to rounding.
    The phase is accumulated as a cumsum of (unwrapped-free) phase differences instead of librosa's
    running sum of advance + wrapped deviation: equal modulo 2 pi, so only rounding differs."""
    librosa = pytest.importorskip("librosa")
    x = batch((1, 3000)).reshape(1, -1)
    for rate in (0.8, 1.0, 1.37):
        y, n = time_stretch_rows(
            x, torch.tensor([rate], dtype=torch.float64), torch.tensor([3000]), 512, 128
        )
        expected = librosa.effects.time_stretch(x[0].numpy(), rate=rate, n_fft=512, hop_length=128)
        assert int(n[0]) == len(expected) == round(3000 / rate)
        np.testing.assert_allclose(y[0].numpy(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("hop", [64, 100])  # 100: n_fft not a multiple of hop (fold path)
def test_time_stretch_rows_matches_reference_loop(hop):
    lengths = torch.tensor([3000, 1777, 2500, 640])
    x = zero_padding(batch((4, 1, 3000)), lengths)[:, 0]
    x[1, 1777:] = 5.0  # garbage in the padding is ignored
    rate = torch.tensor([0.8, 1.25, 1.03, 0.7], dtype=torch.float64)
    y, n = time_stretch_rows(x, rate, lengths, 256, hop)
    for i in range(4):
        expected = ref.time_stretch(x[i, : lengths[i]], float(rate[i]), 256, hop)
        assert int(n[i]) == len(expected)
        np.testing.assert_allclose(y[i, : n[i]].numpy(), expected, rtol=0, atol=1e-10)
        assert not y[i, n[i] :].any()


def test_sinc_interpolate_matches_direct_sum():
    x = batch((3, 700)).reshape(3, 700)
    step = torch.tensor([1.0, 2 ** (4 / 12), 2 ** (-3.3 / 12)], dtype=torch.float64)
    for antialias in (True, False):
        y = sinc_interpolate(x, step, 650, antialias=antialias)
        for i in range(3):
            scale = INTERP_FILTER.rolloff * (min(1.0, 1 / float(step[i])) if antialias else 1.0)
            expected = ref.sinc_resample(x[i], float(step[i]), 650, INTERP_FILTER, scale)
            # The Farrow polynomials (degree 5) approximate the kernel to ~2e-4 summed over taps.
            np.testing.assert_allclose(y[i].numpy(), expected, rtol=0, atol=3e-4)


# ---- TimeStretch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_length", [True, False])
def test_time_stretch_matches_reference(keep_length):
    lengths = torch.tensor([2400, 1500, 2000, 2400])
    x = zero_padding(batch((4, 2, 2400)), lengths)
    t = TimeStretch(0.7, 1.4, n_fft=256, keep_length=keep_length, p=0.75, seed=2)
    out = t(x, lengths=lengths, return_params=True)
    params = out.params["TimeStretch"]
    applied, rate = params["applied"][:, 0], params["rate"][:, 0]
    assert bool(applied.any()) and bool((~applied).any())
    new = torch.where(applied, torch.round(lengths / rate).long(), lengths)
    time = 2400 if keep_length else int(new.max())
    assert out.samples.shape == (4, 2, time)
    assert torch.equal(out.lengths, new.clamp_max(time))
    for i in range(4):
        if not applied[i]:  # unchanged (cropped / padded to the output's time axis)
            m = min(time, 2400)
            assert torch.equal(out.samples[i, :, :m], x[i, :, :m])
            continue
        for ch in range(2):
            expected = ref.time_stretch(x[i, ch, : lengths[i]], float(rate[i]), 256)[:time]
            got = out.samples[i, ch]
            np.testing.assert_allclose(got[: len(expected)].numpy(), expected, atol=1e-10)
            assert not got[len(expected) :].any()


def test_time_stretch_without_lengths():
    x = batch((3, 1, 2000))
    y = TimeStretch(p=1.0, seed=0)(x)  # keep_length, no lengths: a plain tensor
    assert isinstance(y, torch.Tensor) and y.shape == x.shape
    out = TimeStretch(1.5, 1.5, keep_length=False, p=1.0, seed=0)(x)
    assert out.samples.shape == (3, 1, 1333) and out.lengths.tolist() == [1333] * 3


def test_time_stretch_float32_close_to_float64():
    x = batch((2, 1, 4000))
    t = TimeStretch(p=1.0, seed=1)
    y64 = t(x, step=0)
    y32 = t(x.float(), step=0)
    assert y32.dtype == torch.float32
    torch.testing.assert_close(y32.double(), y64, rtol=0, atol=2e-4)


def test_time_stretch_backward_is_finite():
    x = batch((2, 1, 1200)).requires_grad_()
    lengths = torch.tensor([1200, 700])
    out = TimeStretch(p=1.0, keep_length=False, seed=0)(x, lengths=lengths)
    out.samples.pow(2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert not x.grad[1, :, 700:].any()  # the padding does not influence the output


def test_time_stretch_bad_input():
    with pytest.raises(ValueError, match="min_rate"):
        TimeStretch(0.0, 1.2)
    with pytest.raises(ValueError, match="min_rate"):
        TimeStretch(-1.0, 1.2)
    with pytest.raises(ValueError, match="min_rate must be <= max_rate"):
        TimeStretch(1.3, 1.2)
    with pytest.raises(ValueError, match="hop_length"):
        TimeStretch(hop_length=1024)
    with pytest.raises(ValueError, match="n_fft"):
        TimeStretch(n_fft=1)
    with pytest.raises(ValueError, match="mode"):
        TimeStretch(mode="per_channel")


# ---- PitchShift -------------------------------------------------------------------------------------


def test_pitch_shift_octave_up_moves_the_peak():
    x = tone(440.0, 16000)[None, None]
    y = PitchShift(12.0, 12.0, p=1.0, seed=0)(x)
    assert abs(peak_hz(y[0, 0, 2000:-2000]) - 880.0) < 3.0
    y = PitchShift(-12.0, -12.0, p=1.0, seed=0)(x)
    assert abs(peak_hz(y[0, 0, 2000:-2000]) - 220.0) < 3.0


def test_pitch_shift_upward_is_antialiased():
    """7 kHz shifted up 4 semitones would land at 8.8 kHz, past Nyquist: it must vanish, not fold
    back to 7.2 kHz."""
    x = tone(7000.0, 8000)[None, None]
    y = PitchShift(4.0, 4.0, p=1.0, seed=0)(x)[0, 0, 1000:-1000]
    assert float(y.pow(2).mean() / x.pow(2).mean()) < 1e-4  # < -40 dB
    # A tone that stays below Nyquist keeps its level.
    x = tone(3000.0, 8000)[None, None]
    y = PitchShift(4.0, 4.0, p=1.0, seed=0)(x)[0, 0, 1000:-1000]
    assert abs(peak_hz(y) - 3000 * 2 ** (4 / 12)) < 10
    assert 0.5 < float(y.pow(2).mean() / x.pow(2).mean()) < 1.5


def test_pitch_shift_agrees_with_librosa():
    """Content below 3 kHz (inside every passband): librosa.effects.pitch_shift (soxr_vhq resampler)
    and PitchShift differ only by their resampling filters, > 70 dB below the signal."""
    librosa = pytest.importorskip("librosa")
    pytest.importorskip("soxr")
    g = torch.Generator().manual_seed(0)
    freqs = torch.linspace(100.0, 3000.0, 12)
    phases = torch.rand(12, generator=g, dtype=torch.float64) * 2 * math.pi
    t = torch.arange(8000, dtype=torch.float64) / SR
    x = torch.sin(2 * math.pi * freqs[:, None].double() * t + phases[:, None]).sum(0) / 6
    for semitones in (-4.0, 2.7, 4.0):
        y = PitchShift(semitones, semitones, p=1.0, seed=0)(x[None, None])[0, 0]
        expected = librosa.effects.pitch_shift(
            x.numpy(), sr=SR, n_steps=semitones, n_fft=512, hop_length=128, res_type="soxr_vhq"
        )
        sl = slice(1000, -1000)
        err = float(((y[sl].numpy() - expected[sl]) ** 2).sum())
        assert 10 * math.log10(float((expected[sl] ** 2).sum()) / err) > 70


def test_pitch_shift_matches_reference():
    lengths = torch.tensor([3000, 2100, 3000])
    x = zero_padding(batch((3, 1, 3000)), lengths)
    t = PitchShift(-5.0, 5.0, n_fft=256, p=1.0, seed=7)
    out = t(x, lengths=lengths, return_params=True)
    semis = out.params["PitchShift"]["semitones"][:, 0]
    assert bool((semis > 0).any()) and bool((semis < 0).any())
    for i in range(3):
        n = int(lengths[i])
        expected = ref.pitch_shift(x[i, 0, :n], float(semis[i]), INTERP_FILTER, ANTIALIAS, 256)
        # Tolerance: the Farrow fit of the interpolation kernel (see sinc_interpolate's test).
        np.testing.assert_allclose(out.samples[i, 0, :n].numpy(), expected, rtol=0, atol=2e-4)
        assert not out.samples[i, 0, n:].any()


def test_pitch_shift_per_channel_and_unchanged_rows():
    x = batch((6, 2, 1500))
    out = PitchShift(p=0.5, mode="per_channel", seed=3)(x, return_params=True)
    applied = out.params["PitchShift"]["applied"]
    assert bool(applied.any()) and bool((~applied).any())
    assert torch.equal(out.samples[~applied], x[~applied])
    assert not torch.allclose(out.samples[applied], x[applied])


def test_pitch_shift_backward_is_finite():
    x = batch((2, 1, 1500)).requires_grad_()
    PitchShift(p=1.0, seed=0)(x).pow(2).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_pitch_shift_bad_input():
    with pytest.raises(ValueError, match="min_transpose_semitones"):
        PitchShift(3.0, -3.0)
    with pytest.raises(TypeError, match="max_transpose_semitones"):
        PitchShift(0.0, "4")
    with pytest.raises(ValueError, match="hop_length"):
        PitchShift(hop_length=0)


# ---- SpeedPerturb -----------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_length", [False, True])
def test_speed_perturb_matches_reference(keep_length):
    lengths = torch.tensor([600, 450, 600, 300, 520, 600])
    x = zero_padding(batch((6, 1, 600)), lengths)
    t = SpeedPerturb((0.9, 1.0, 1.1), sample_rate=SR, keep_length=keep_length, p=0.9, seed=1)
    out = t(x, lengths=lengths, return_params=True)
    params = out.params["SpeedPerturb"]
    factor = torch.where(params["applied"], params["factor"], 1.0)[:, 0]
    assert set(factor.tolist()) == {0.9, 1.0, 1.1}
    new = torch.tensor(
        [
            -(-n * SR // round(SR * f))
            for n, f in zip(lengths.tolist(), factor.tolist(), strict=True)
        ]
    )
    time = 600 if keep_length else int(new.max())
    assert out.samples.shape == (6, 1, time)
    assert torch.equal(out.lengths, new.clamp_max(time))
    for i in range(6):
        expected = ref.speed_perturb(
            x[i, 0, : lengths[i]], float(factor[i]), SR, PRESETS["default"]
        )
        m = min(len(expected), time)
        np.testing.assert_allclose(out.samples[i, 0, :m].numpy(), expected[:m], rtol=0, atol=1e-9)
        assert not out.samples[i, 0, m:].any()


def test_speed_perturb_backward_and_bad_input():
    x = batch((3, 1, 200)).requires_grad_()
    out = SpeedPerturb((0.9, 1.1), sample_rate=SR, seed=0)(x)
    out.samples.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="sample_rate"):
        SpeedPerturb()(batch())
    with pytest.raises(ValueError, match="factors"):
        SpeedPerturb(factors=())
    with pytest.raises(ValueError, match="factors"):
        SpeedPerturb(factors=(0.9, -1.0))
    with pytest.raises(ValueError, match="factors"):
        SpeedPerturb(factors=0.9)
    with pytest.raises(ValueError, match="factors"):
        SpeedPerturb(factors="fast")


# ---- determinism ------------------------------------------------------------------------------------

TRANSFORMS = [
    lambda: Shift(p=0.8, seed=11),
    lambda: Shift(rollover=False, p=0.8, mode="per_channel", seed=11),
    lambda: RandomCrop(700, p=0.8, seed=11),
    lambda: PadTo(1100, where="random", p=0.8, seed=11),
    lambda: TimeStretch(p=0.8, n_fft=256, keep_length=False, seed=11),
    lambda: TimeStretch(p=0.8, n_fft=256, seed=11),
    lambda: PitchShift(p=0.8, n_fft=256, seed=11),
    lambda: SpeedPerturb(sample_rate=SR, p=0.8, seed=11),
]


@pytest.mark.parametrize("make", TRANSFORMS)
def test_batch_of_four_equals_one_by_one(make):
    """Same seed, step and example ids: an example gets the same result alone (unpadded) as in a
    padded batch of four."""
    lengths = torch.tensor([1000, 777, 1000, 901])
    x = zero_padding(batch((4, 2, 1000), seed=4), lengths)
    ids = torch.tensor([10, 3, 7, 42])
    t = make()
    out = t(x, lengths=lengths, step=5, example_ids=ids)
    out2 = make()(x, lengths=lengths, step=5, example_ids=ids)
    assert torch.equal(out.samples, out2.samples)  # same seed, same output
    for i in range(4):
        n = int(lengths[i])
        one = t(x[i : i + 1, :, :n], step=5, example_ids=ids[i : i + 1])
        one = one if isinstance(one, torch.Tensor) else one.samples
        # keep_length keeps the input's time axis: alone, that is the example's own length.
        k = min(int(out.lengths[i]), one.shape[-1])
        torch.testing.assert_close(out.samples[i, :, :k], one[0, :, :k], rtol=0, atol=1e-12)
        assert not out.samples[i, :, out.lengths[i] :].any()


@pytest.mark.parametrize("make", TRANSFORMS)
def test_replay_params(make):
    x = batch((3, 2, 1000), seed=2)
    first = make()(x, return_params=True)
    again = make()(x, params=first.params, step=99)
    again = again if isinstance(again, torch.Tensor) else again.samples
    assert torch.equal(first.samples, again)


@pytest.mark.parametrize("make", TRANSFORMS)
def test_device_matches_cpu(make, device):
    """The same draws and the same results (up to float32 FFT / GEMM rounding) on any device."""
    lengths = torch.tensor([1000, 777, 1000])
    x = zero_padding(batch((3, 2, 1000), seed=1, dtype=torch.float32), lengths)
    cpu = make()(x, lengths=lengths, step=2)
    dev = make()(x.to(device), lengths=lengths.to(device), step=2)
    assert dev.samples.device.type == device
    assert torch.equal(dev.lengths.cpu(), cpu.lengths)
    torch.testing.assert_close(dev.samples.cpu(), cpu.samples, rtol=0, atol=2e-5)
