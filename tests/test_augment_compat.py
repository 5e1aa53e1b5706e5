"""sonix.augment.torch_audiomentations (the torch-audiomentations 0.12 compat layer) and
sonix.augment.misc (PeakNormalization, TimeInversion, Identity)."""

from __future__ import annotations

import inspect
import warnings

import pytest
import torch

from sonix.augment import torch_audiomentations as ta
from sonix.augment.misc import Identity, PeakNormalization, TimeInversion

TA = pytest.importorskip("torch_audiomentations")

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

SR = 16000
NAMES = [
    "Gain",
    "PolarityInversion",
    "AddColoredNoise",
    "AddBackgroundNoise",
    "ApplyImpulseResponse",
    "LowPassFilter",
    "HighPassFilter",
    "BandPassFilter",
    "BandStopFilter",
    "PeakNormalization",
    "Shift",
    "PitchShift",
    "TimeInversion",
    "Identity",
    "Compose",
    "OneOf",
    "SomeOf",
]


def batch(shape=(4, 2, 800), seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * 0.3).to(dtype)


def init_params(cls):
    return {
        k: v.default
        for k, v in inspect.signature(cls.__init__).parameters.items()
        if k != "self" and v.kind is v.POSITIONAL_OR_KEYWORD
    }


# ---- the interface --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_constructor_arguments_match_torch_audiomentations(name):
    theirs = init_params(getattr(TA, name))
    ours = init_params(getattr(ta, name))
    # Same names, same order, same defaults; ours adds seed (keyword) at the end.
    assert list(ours)[: len(theirs)] == list(theirs)
    assert {k: ours[k] for k in theirs} == theirs
    assert list(ours)[len(theirs) :] == ["seed"]


def test_call_convention_output_types_and_warnings():
    x = batch()
    with pytest.warns(FutureWarning, match="output_type"):
        t = ta.PolarityInversion(p=1.0)
    assert isinstance(t(x), torch.Tensor)
    with pytest.warns(DeprecationWarning, match="output_type"):
        ta.Gain(output_type="tensor")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = ta.PolarityInversion(p=1.0, output_type="dict")
    targets = torch.rand(4, 2, 10, 3)
    out = d(samples=x, sample_rate=SR, targets=targets, target_rate=None)
    assert isinstance(out, ta.ObjectDict) and isinstance(out, dict)
    assert torch.equal(out.samples, -x) and out["samples"] is out.samples
    assert out.sample_rate == SR and out.targets is targets and out.target_rate == 200
    with pytest.raises(AttributeError):
        _ = out.missing
    with pytest.raises(ValueError, match="output_type"):
        ta.Gain(output_type="list")


def test_eval_mode_passes_through():
    x = batch()
    t = ta.PolarityInversion(p=1.0, output_type="dict").eval()
    assert t(x).samples is x
    c = ta.Compose([ta.PolarityInversion(p=1.0)], output_type="tensor").eval()
    assert torch.equal(c(x), x)


# ---- deterministic transforms equal torch-audiomentations' ----------------------------------------


@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("PolarityInversion", {}),
        ("TimeInversion", {}),
        ("Identity", {}),
        ("PeakNormalization", {"apply_to": "all"}),
        ("PeakNormalization", {"apply_to": "only_too_loud_sounds"}),
    ],
)
def test_deterministic_transforms_equal_torch_audiomentations(name, kwargs, mode):
    x = batch((5, 3, 700))
    x[1] *= 10.0  # too loud
    x[2] = 0.0  # silent
    x[3, 1] *= 5.0  # one loud channel
    ours = getattr(ta, name)(**kwargs, mode=mode, p=1.0, output_type="dict", seed=0)
    theirs = getattr(TA, name)(**kwargs, mode=mode, p=1.0, output_type="dict")
    got, want = ours(x, SR).samples, theirs(x.clone(), SR).samples
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=3e-7, atol=0)


@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
def test_gain_equals_torch_audiomentations_when_range_is_tiny(mode):
    # torch-audiomentations refuses min == max; a range of 1e-5 dB is a fixed gain to 2e-6.
    x = batch()
    ours = ta.Gain(-6.0, -6.0, mode=mode, p=1.0, output_type="dict", seed=0)
    theirs = TA.Gain(-6.0, -6.0 + 1e-5, mode=mode, p=1.0, output_type="dict")
    torch.testing.assert_close(ours(x).samples, theirs(x).samples, rtol=2e-6, atol=0)
    torch.testing.assert_close(ours(x).samples, x * 10 ** (-6 / 20), rtol=1e-6, atol=0)


def test_time_inversion_reverses_targets_like_torch_audiomentations():
    x, targets = batch(), torch.rand(4, 2, 7, 3)
    ours = ta.TimeInversion(p=1.0, output_type="dict", seed=0)(x, SR, targets)
    theirs = TA.TimeInversion(p=1.0, output_type="dict")(x, SR, targets)
    assert torch.equal(ours.targets, theirs.targets)
    assert torch.equal(ours.samples, theirs.samples)


# ---- randomness, modes, containers ----------------------------------------------------------------


def test_seeded_transforms_are_reproducible_and_vary_per_call():
    x = batch()
    a, b = ta.Gain(p=0.5, seed=7), ta.Gain(p=0.5, seed=7)
    first = [a(x) for _ in range(3)]
    assert all(torch.equal(u, b(x)) for u in first)
    assert not torch.equal(first[0], first[1])
    assert not torch.equal(first[0], ta.Gain(p=0.5, seed=8)(x))


def test_p_mode_coarser_than_mode():
    x = batch((64, 2, 100))
    t = ta.Gain(-12.0, 12.0, mode="per_channel", p=0.5, p_mode="per_example", seed=1)
    y = t(x)
    changed = (y != x).any(-1)  # (batch, channels)
    assert torch.equal(changed[:, 0], changed[:, 1])  # one decision per example
    assert 10 < int(changed[:, 0].sum()) < 54
    ratio = y[changed[:, 0]] / x[changed[:, 0]]
    assert not torch.allclose(ratio[:, 0], ratio[:, 1])  # gains per channel
    t = ta.PolarityInversion(mode="per_example", p=0.5, p_mode="per_batch", seed=3)
    outs = [t(x) for _ in range(8)]
    kinds = {
        ("flip" if torch.equal(o, -x) else "same" if torch.equal(o, x) else "mixed") for o in outs
    }
    assert kinds == {"flip", "same"}
    with pytest.raises(ValueError, match="p_mode"):
        ta.Gain(mode="per_example", p_mode="per_channel")
    with pytest.raises(ValueError, match="mode"):
        ta.Gain(mode="per_sample")


def test_probability_and_p_setter():
    x = batch((200, 1, 50))
    t = ta.PolarityInversion(p=0.3, seed=0)
    flipped = (t(x) == -x).all(-1)[:, 0]
    assert 35 < int(flipped.sum()) < 85
    t.p = 1.0
    assert torch.equal(t(x), -x)
    assert t.transform_parameters["should_apply"].all()


def test_freeze_parameters_replays():
    x = batch()
    t = ta.Gain(p=0.5, seed=0)
    y = t(x)
    t.freeze_parameters()
    assert torch.equal(t(x), y) and torch.equal(t(x), y)
    t.unfreeze_parameters()
    assert not torch.equal(t(x), y)


def test_compose_seed_shuffle_and_nn_modules():
    x = batch()
    make = lambda s: ta.Compose(  # noqa: E731
        [ta.Gain(p=1.0), ta.PolarityInversion(p=0.5), torch.nn.Identity()],
        shuffle=True,
        output_type="dict",
        seed=s,
    )
    a, b = make(3), make(3)
    for _ in range(3):
        assert torch.equal(a(x, SR).samples, b(x, SR).samples)
    assert not torch.equal(make(3)(x, SR).samples, make(4)(x, SR).samples)
    off = ta.Compose([ta.PolarityInversion(p=1.0)], p=0.0, output_type="tensor", seed=0)
    assert torch.equal(off(x), x)
    with pytest.raises(ValueError, match="p_mode"):
        ta.Compose([ta.Identity()], p_mode="per_example")


def test_one_of_and_some_of_choose_per_batch():
    x = batch()
    one = ta.OneOf([ta.PolarityInversion(p=1.0), ta.Gain(6.0, 6.0, p=1.0)], seed=0)
    seen = set()
    for _ in range(12):
        y = one(x)
        if torch.equal(y, -x):
            seen.add("polarity")
        else:
            torch.testing.assert_close(y, x * 10 ** (6 / 20))
            seen.add("gain")
    assert seen == {"polarity", "gain"}
    some = ta.SomeOf((2, None), [ta.PolarityInversion(p=1.0)] * 2 + [ta.Identity(p=1.0)], seed=0)
    for _ in range(6):
        some(x)
        assert 2 <= len(some.transform_indexes) <= 3
        assert some.transform_indexes == sorted(some.transform_indexes)
    with pytest.raises(ValueError, match="num_transforms"):
        ta.SomeOf(0, [ta.Identity()])
    with pytest.raises(ValueError, match="num_transforms"):
        ta.SomeOf((1, 3), [ta.Identity()])


def test_sonix_transforms_inside_compat_compose():
    from sonix.augment.pointwise import PolarityInversion as SonixPolarity

    x = batch()
    c = ta.Compose([SonixPolarity(p=1.0, seed=0), ta.PolarityInversion(p=1.0)], output_type="dict")
    assert torch.equal(c(x, SR).samples, x)


# ---- input checks ---------------------------------------------------------------------------------


def test_bad_input():
    t = ta.Gain(p=1.0)
    with pytest.raises(RuntimeError, match="num_channels"):
        t(torch.ones(4, 100))
    with pytest.raises(TypeError, match="samples"):
        t(torch.ones(2, 1, 10, dtype=torch.int16))
    with pytest.raises(RuntimeError, match="targets"):
        t(batch(), SR, torch.ones(4, 2, 10))
    with pytest.raises(RuntimeError, match="sample_rate"):
        ta.LowPassFilter(p=1.0)(batch())
    with pytest.warns(UserWarning, match="empty"):
        assert t(torch.ones(0, 1, 10)).shape == (0, 1, 10)
    with pytest.raises(ta.EmptyPathException, match="background_paths"):
        ta.AddBackgroundNoise("/nonexistent/folder")
    with pytest.raises(ValueError, match="p must"):
        ta.Gain(p=1.5)


# ---- transforms built on the other sonix modules: shapes, dtypes, that they run -------------------


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("AddColoredNoise", {}),
        ("LowPassFilter", {}),
        ("HighPassFilter", {}),
        ("BandPassFilter", {}),
        ("BandStopFilter", {}),
        ("Shift", {}),
        (
            "Shift",
            {"min_shift": -0.01, "max_shift": 0.01, "shift_unit": "seconds", "rollover": False},
        ),
        ("PitchShift", {"sample_rate": SR}),
    ],
)
@pytest.mark.parametrize("mode", ["per_example", "per_channel"])
def test_random_transforms_run(name, kwargs, mode):
    module = {"Shift": "time", "PitchShift": "time", "AddColoredNoise": "noise"}.get(
        name, "filters"
    )
    pytest.importorskip(f"sonix.augment.{module}")
    x = batch()
    t = getattr(ta, name)(**kwargs, mode=mode, p=1.0, output_type="dict", seed=0)
    out = t(x, SR)
    assert out.samples.shape == x.shape and out.samples.dtype == x.dtype
    assert bool(torch.isfinite(out.samples).all()) and not torch.equal(out.samples, x)
    again = getattr(ta, name)(**kwargs, mode=mode, p=1.0, output_type="dict", seed=0)(x, SR)
    assert torch.equal(again.samples, out.samples)


class _ExampleOnlyInversion(TimeInversion):
    supported_modes = ("per_example", "per_batch")


class _CompatExampleOnly(ta.BaseWaveformTransform):
    requires_sample_rate = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ready()

    def _make(self, sample_rate):
        return self._build(_ExampleOnlyInversion)


def test_per_channel_mode_on_a_sonix_per_example_transform_runs_channels_as_examples():
    x = batch((16, 2, 50))
    t = _CompatExampleOnly(mode="per_channel", p=0.5, output_type="dict", seed=0)
    y = t(x).samples
    flipped = (y == x.flip(-1)).all(-1)
    assert torch.equal(flipped | (y == x).all(-1), torch.ones(16, 2, dtype=torch.bool))
    assert torch.equal(flipped.reshape(-1), t.transform_parameters["should_apply"])
    assert bool((flipped[:, 0] != flipped[:, 1]).any())  # channels decided apart
    t = _CompatExampleOnly(
        mode="per_channel", p=0.5, p_mode="per_example", output_type="dict", seed=0
    )
    flipped = (t(x).samples == x.flip(-1)).all(-1)
    assert torch.equal(flipped[:, 0], flipped[:, 1]) and 0 < int(flipped[:, 0].sum()) < 16


def write_wavs(folder, rate, lengths, seed=0):
    soundfile = pytest.importorskip("soundfile")
    g = torch.Generator().manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i, n in enumerate(lengths):
        data = (torch.randn(n, 2, generator=g) * 0.1).numpy()
        soundfile.write(str(folder / f"{i}.wav"), data, rate)
    return folder


def test_background_noise_and_impulse_response_from_files(tmp_path):
    pytest.importorskip("sonix.augment.noise")
    noises = write_wavs(tmp_path / "noise", 8000, [300, 700])  # resampled to 16 kHz
    irs = write_wavs(tmp_path / "ir", 16000, [50, 120])
    x = batch()
    bg = ta.AddBackgroundNoise(noises, 10.0, 10.0, p=1.0, output_type="dict", seed=0)
    y = bg(x, SR).samples
    assert y.shape == x.shape and not torch.equal(y, x)
    bank = bg.augment_for(SR).noise_bank
    assert bank.shape[-1] == 2000  # 1000 samples at 8 kHz -> 2000 at 16 kHz, end to end
    snr = 20 * torch.log10(x.pow(2).mean(-1).sqrt() / (y - x).pow(2).mean(-1).sqrt())
    torch.testing.assert_close(snr, torch.full_like(snr, 10.0), rtol=0, atol=1e-3)
    files = [str(p) for p in sorted(irs.iterdir())]
    ir = ta.ApplyImpulseResponse(files, p=1.0, output_type="dict", sample_rate=SR, seed=0)
    z = ir(x).samples
    assert z.shape == x.shape and bool(torch.isfinite(z).all())
    assert ir.augment_for(SR).ir_bank.shape == (2, 120)
    with pytest.raises(ValueError, match="convolve_mode"):
        ta.ApplyImpulseResponse(files, convolve_mode="same")


# ---- sonix.augment.misc ---------------------------------------------------------------------------


def test_time_inversion_reverses_the_valid_part_only():
    x = batch((3, 2, 20), dtype=torch.float64)
    lengths = torch.tensor([20, 7, 0])
    x = x * (torch.arange(20) < lengths[:, None, None])
    out = TimeInversion(p=1.0, seed=0)(x, lengths=lengths)
    for i, n in enumerate(lengths.tolist()):
        assert torch.equal(out.samples[i, :, :n], x[i, :, :n].flip(-1))
        assert torch.equal(out.samples[i, :, n:], x[i, :, n:])
    y = TimeInversion(p=0.5, mode="per_channel", seed=1)(x, return_params=True)
    applied = y.params["TimeInversion"]["applied"]
    for i in range(3):
        for c in range(2):
            want = x[i, c].flip(-1) if applied[i, c] else x[i, c]
            assert torch.equal(y.samples[i, c], want)
    v = x.clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda s: TimeInversion(p=1.0, seed=0)(s, lengths=lengths).samples, (v,)
    )


def test_peak_normalization_uses_valid_samples_and_keeps_silence():
    x = batch((3, 1, 30), dtype=torch.float64)
    x[1] = 0.0
    x[2, :, 20:] = 100.0  # garbage past the valid length does not set the peak
    lengths = torch.tensor([30, 30, 20])
    out = PeakNormalization(p=1.0, seed=0)(x, lengths=lengths).samples
    torch.testing.assert_close(out[0].abs().max(), torch.tensor(1.0, dtype=torch.float64))
    assert torch.equal(out[1], x[1])
    torch.testing.assert_close(out[2, :, :20].abs().max(), torch.tensor(1.0, dtype=torch.float64))
    quiet = PeakNormalization("only_too_loud_sounds", p=1.0, seed=0)(x[:1] * 0.5)
    assert torch.equal(quiet, x[:1] * 0.5)
    with pytest.raises(ValueError, match="apply_to"):
        PeakNormalization("loud")


def test_identity_and_misc_in_sonix_compose():
    from sonix.augment import Compose, Gain

    x = batch((2, 1, 50))
    assert torch.equal(Identity(p=1.0)(x), x)
    chain = Compose([Gain(6.0, 6.0, p=1.0), PeakNormalization(p=1.0), TimeInversion(p=1.0)], seed=0)
    y = chain(x)
    torch.testing.assert_close(
        y, (x / x.abs().amax(-1, keepdim=True)).flip(-1), rtol=1e-6, atol=1e-7
    )


def test_compat_and_misc_on_every_device(device):
    x = batch((3, 2, 100))
    lengths = torch.tensor([100, 40, 0])
    for cls in (ta.PeakNormalization, ta.TimeInversion, ta.Gain, ta.PolarityInversion):
        want = cls(p=0.5, mode="per_channel", output_type="dict", seed=2)(x).samples
        got = cls(p=0.5, mode="per_channel", output_type="dict", seed=2)(x.to(device)).samples
        torch.testing.assert_close(got.cpu(), want, rtol=1e-6, atol=1e-7)
    for aug in (TimeInversion(p=1.0, seed=0), PeakNormalization(p=1.0, seed=0)):
        want = aug(x, lengths=lengths).samples
        got = aug(x.to(device), lengths=lengths.to(device)).samples
        torch.testing.assert_close(got.cpu(), want, rtol=1e-6, atol=1e-7)
