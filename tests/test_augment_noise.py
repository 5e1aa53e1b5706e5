"""sonix.augment.noise: AddColoredNoise, AddBackgroundNoise and ApplyImpulseResponse against
float64 per-example references, the SNR they promise (0.1 dB), the colored-noise slope, window /
tiling of the bank, IR delay compensation, determinism, replay, lengths, autograd, CUDA and bad
input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch

from sonix.augment.noise import (
    AddBackgroundNoise,
    AddColoredNoise,
    ApplyImpulseResponse,
    keyed_noise,
)
from sonix.reference import augment_noise as ref

SR = 16000


def _signal(batch=4, channels=2, time=800, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    amp = 0.1 + torch.rand(batch, channels, 1, generator=g, dtype=torch.float64)
    return (amp * torch.randn(batch, channels, time, generator=g, dtype=torch.float64)).to(dtype)


def _bank(n=3, time=300, channels=None, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (n, time) if channels is None else (n, channels, time)
    return torch.randn(shape, generator=g, dtype=torch.float64)


def _lengths_and_padded(x, lengths):
    lengths = torch.as_tensor(lengths)
    return lengths, x * (torch.arange(x.shape[-1]) < lengths[:, None, None])


def _snr_db(x, y, lengths=None):
    """Achieved SNR per example and channel over the valid samples."""
    noise = y.double() - x.double()
    if lengths is not None:
        mask = torch.arange(x.shape[-1]) < lengths[:, None, None]
        x, noise = x.double() * mask, noise * mask
    return 10 * torch.log10(x.double().square().sum(-1) / noise.square().sum(-1))


def _step_with_both(t, x, key, **kw):
    """The first step at which some rows are applied and some not (per_batch: all applied)."""
    for step in range(30):
        out = t(x, step=step, return_params=True, **kw)
        a = out.params[key]["applied"]
        if (t.mode == "per_batch" and bool(a.all())) or 0 < int(a.sum()) < a.numel():
            return out
    raise AssertionError("no step mixes applied and skipped rows")


# ---- SNR -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_snr_is_met_within_0_1_db_per_example_and_channel(mode, with_lengths):
    x = _signal(batch=6, channels=2, time=2000, dtype=torch.float32)
    lengths = None
    if with_lengths:
        lengths, x = _lengths_and_padded(x, [2000, 1500, 900, 333, 1999, 64])
    cp = 2 if mode == "per_channel" else 1
    for t, key in [
        (AddColoredNoise(-5.0, 40.0, p=1.0, mode=mode, seed=1), "AddColoredNoise"),
        (
            AddBackgroundNoise(_bank(time=700).float(), -5.0, 40.0, p=1.0, mode=mode, seed=1),
            "AddBackgroundNoise",
        ),
        (
            AddBackgroundNoise(_bank(time=5000, channels=2), 0.0, 20.0, p=1.0, mode=mode, seed=2),
            "AddBackgroundNoise",
        ),
    ]:
        out = t(x, lengths=lengths, return_params=True)
        want = out.params[key]["snr_in_db"]
        assert want.shape == (6, cp)
        got = _snr_db(x, out.samples, lengths)
        assert float((got - want).abs().max()) < 0.1
        if mode == "per_batch":
            assert bool((want == want[:1]).all())


def test_silent_channels_get_no_noise():
    x = _signal(batch=3, channels=2, time=500)
    x[1, 0] = 0
    for t in (AddColoredNoise(p=1.0, seed=0), AddBackgroundNoise(_bank(), p=1.0, seed=0)):
        y = t(x)
        assert torch.equal(y[1, 0], x[1, 0])
        assert bool(torch.isfinite(y).all())


# ---- colored noise -------------------------------------------------------------------------------


@pytest.mark.parametrize("f_decay", [-2.0, -1.0, 0.0, 1.0, 2.0])
def test_colored_noise_psd_slope_is_minus_3_db_per_octave_per_unit_f_decay(f_decay):
    x = _signal(batch=4, channels=1, time=2**15)
    y = AddColoredNoise(10.0, 10.0, f_decay, f_decay, p=1.0, seed=3)(x)
    noise = (y - x).numpy()[:, 0]
    f, psd = scipy.signal.welch(noise, fs=SR, nperseg=2048)
    band = (f >= 100) & (f <= 6000)
    slope = np.polyfit(np.log2(f[band]), 10 * np.log10(psd.mean(0)[band]), 1)[0]
    assert abs(slope - (-10 * math.log10(2) * f_decay)) < 0.1, slope


@pytest.mark.parametrize("time", [777, 776])
def test_colored_noise_matches_reference_in_float64(time):
    x = _signal(batch=6, channels=2, time=time)
    for mode in ("per_example", "per_channel", "per_batch"):
        for lengths in (None, torch.tensor([time, 500, time, 1, 300, 0])):
            xx = x if lengths is None else _lengths_and_padded(x, lengths)[1]
            t = AddColoredNoise(p=0.6, mode=mode, seed=5)
            out = _step_with_both(t, xx, "AddColoredNoise", lengths=lengths)
            prm = out.params["AddColoredNoise"]
            white = keyed_noise(prm["noise_key"], 2 * (time // 2 + 1), torch.float64)
            assert white.shape == (6, 2 if mode == "per_channel" else 1, 2 * (time // 2 + 1))
            want = ref.add_colored_noise(
                xx, white, prm["applied"], prm["snr_in_db"], prm["f_decay"], lengths
            )
            torch.testing.assert_close(out.samples, want, rtol=1e-9, atol=1e-12)


def test_colored_noise_channels_share_noise_except_per_channel():
    x = torch.ones(3, 2, 400, dtype=torch.float64)
    y = AddColoredNoise(p=1.0, seed=1)(x) - x
    torch.testing.assert_close(y[:, 0], y[:, 1])
    y = AddColoredNoise(p=1.0, seed=1, mode="per_channel")(x) - x
    assert float((y[:, 0] - y[:, 1]).abs().min()) < float((y[:, 0] - y[:, 1]).abs().max())
    assert abs(float(torch.corrcoef(torch.stack([y[0, 0], y[0, 1]]))[0, 1])) < 0.9
    # per_batch: one SNR and f_decay, a different noise per example.
    out = AddColoredNoise(p=1.0, seed=1, mode="per_batch")(x, return_params=True)
    n = out.samples - x
    assert not torch.allclose(n[0], n[1])
    assert len(set(out.params["AddColoredNoise"]["noise_key"][:, 0].tolist())) == 3


# ---- background noise ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
@pytest.mark.parametrize("span", [5, 300, 2000])
def test_background_noise_matches_reference_in_float64(mode, span):
    x = _signal(batch=6, channels=2, time=800)
    for bank in (_bank(time=span), _bank(time=span, channels=2)):
        for lengths in (None, torch.tensor([800, 799, 301, 2, 0, 555])):
            xx = x if lengths is None else _lengths_and_padded(x, lengths)[1]
            t = AddBackgroundNoise(bank, p=0.6, mode=mode, seed=7)
            out = _step_with_both(t, xx, "AddBackgroundNoise", lengths=lengths)
            prm = out.params["AddBackgroundNoise"]
            want = ref.add_background_noise(
                xx,
                bank,
                prm["applied"],
                prm["noise_index"],
                prm["offset"],
                prm["snr_in_db"],
                lengths,
            )
            torch.testing.assert_close(out.samples, want, rtol=1e-9, atol=1e-12)


def test_background_offsets_window_long_noise_and_tile_short_noise():
    time = 50
    x = torch.ones(400, 1, time, dtype=torch.float64)
    lengths = torch.randint(1, time + 1, (400,), generator=torch.Generator().manual_seed(0))
    for span in (10, 50, 80):
        ramp = torch.arange(1.0, span + 1, dtype=torch.float64)[None].repeat(2, 1)
        ramp[1] *= 3
        out = AddBackgroundNoise(ramp, p=1.0, seed=3)(x, lengths=lengths, return_params=True)
        prm = out.params["AddBackgroundNoise"]
        off = prm["offset"][:, 0]
        top = torch.where(lengths <= span, span - lengths, torch.full_like(lengths, span - 1))
        assert bool((off >= 0).all()) and bool((off <= top).all())
        assert bool((off == top).any()) and bool((off == 0).any())  # both ends are reachable
        for b in range(0, 400, 37):
            n = int(lengths[b])
            noise = (out.samples[b, 0, :n] - 1) / (out.samples[b, 0, 0] - 1)
            pos = (int(off[b]) + torch.arange(n)) % span
            torch.testing.assert_close(noise, (pos + 1.0).double() / (pos[0] + 1.0))
            if span >= n:
                assert bool((pos == int(off[b]) + torch.arange(n)).all())  # a window, no wrap
        assert set(prm["noise_index"][:, 0].tolist()) == {0, 1}


def test_background_bank_is_a_non_persistent_buffer_that_moves():
    t = AddBackgroundNoise(_bank().float(), p=1.0)
    assert "noise_bank" in dict(t.named_buffers())
    assert "noise_bank" not in t.state_dict()
    t = t.to(torch.float64)
    assert t.noise_bank.dtype == torch.float64


# ---- impulse responses ---------------------------------------------------------------------------


def _irs(n=3, length=40, seed=2):
    g = torch.Generator().manual_seed(seed)
    decay = torch.exp(-torch.arange(length, dtype=torch.float64) / 8)
    irs = torch.randn(n, length, generator=g, dtype=torch.float64) * decay
    irs[:, 0] *= 0.1
    irs[1, 7] = 3.0  # a late peak: the delay compensation reads from there
    return irs


@pytest.mark.parametrize("compensate", [False, True])
@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
def test_impulse_response_matches_reference_in_float64(compensate, mode):
    x = _signal(batch=6, channels=2, time=300)
    irs = _irs()
    for lengths in (None, torch.tensor([300, 299, 20, 1, 0, 150])):
        xx = x if lengths is None else _lengths_and_padded(x, lengths)[1]
        t = ApplyImpulseResponse(irs, 0.2, 1.0, compensate, p=0.6, mode=mode, seed=4)
        out = _step_with_both(t, xx, "ApplyImpulseResponse", lengths=lengths)
        prm = out.params["ApplyImpulseResponse"]
        want = ref.apply_impulse_response(
            xx, irs, prm["applied"], prm["ir_index"], prm["wet"], compensate, lengths
        )
        if lengths is not None:
            want = want * (torch.arange(300) < lengths[:, None, None])
        torch.testing.assert_close(out.samples, want, rtol=1e-9, atol=1e-11)


def test_impulse_response_delta_shift_compensation_and_dry_mix():
    x = _signal(batch=3, channels=1, time=200)
    delta = torch.zeros(1, 16, dtype=torch.float64)
    delta[0, 5] = 1.0
    shifted = ApplyImpulseResponse(delta, p=1.0)(x)
    torch.testing.assert_close(shifted[..., 5:], x[..., :-5], rtol=0, atol=1e-12)
    assert float(shifted[..., :5].abs().max()) < 1e-12
    aligned = ApplyImpulseResponse(delta, compensate_for_propagation_delay=True, p=1.0)(x)
    torch.testing.assert_close(aligned, x, rtol=0, atol=1e-12)
    dry = ApplyImpulseResponse(_irs(), 0.0, 0.0, p=1.0)(x)
    torch.testing.assert_close(dry, x, rtol=0, atol=1e-12)
    half = ApplyImpulseResponse(delta, 0.5, 0.5, p=1.0)(x)
    torch.testing.assert_close(half, 0.5 * shifted + 0.5 * x, rtol=0, atol=1e-12)


def test_impulse_response_rows_not_applied_are_unchanged_bit_for_bit():
    x = _signal(batch=16, channels=2, dtype=torch.float32)
    out = ApplyImpulseResponse(_irs().float(), p=0.5, seed=1, mode="per_channel")(
        x, return_params=True
    )
    applied = out.params["ApplyImpulseResponse"]["applied"]
    assert 0 < int(applied.sum()) < applied.numel()
    assert torch.equal(out.samples[~applied], x[~applied])
    assert ApplyImpulseResponse(_irs(), p=0.0)(x) is x


# ---- shared behaviour ----------------------------------------------------------------------------


def _transforms(p=0.8, seed=11):
    return [
        AddColoredNoise(p=p, seed=seed),
        AddBackgroundNoise(_bank(time=1000).float(), p=p, seed=seed),
        ApplyImpulseResponse(_irs().float(), 0.3, 1.0, True, p=p, seed=seed),
    ]


def test_an_example_gets_the_same_augmentation_in_any_batch():
    x = _signal(batch=4, channels=2, dtype=torch.float32)
    for t in _transforms():
        full = t(x, step=2)
        for i in range(4):
            one = t(x[i : i + 1], step=2, example_ids=torch.tensor([i]))
            assert torch.equal(one, full[i : i + 1])
        ids = torch.tensor([3, 0])
        assert torch.equal(t(x[ids], step=2, example_ids=ids), full[ids])


def test_same_seed_same_output_and_replay_is_exact_with_another_seed_and_step():
    x = _signal()
    same, other = _transforms(seed=4), _transforms(seed=123)
    for ta, tb, tc in zip(_transforms(seed=4), same, other, strict=True):
        out = ta(x, return_params=True)
        assert torch.equal(tb(x), out.samples)
        assert not torch.equal(ta(x), out.samples)  # the step advanced
        assert not torch.equal(tc(x, step=0), out.samples)
        assert torch.equal(tc(x, step=50, params=out.params), out.samples)


@pytest.mark.parametrize("with_lengths", [False, True])
def test_padding_stays_exactly_zero(with_lengths):
    x = _signal(batch=3, channels=2, time=500)
    lengths, x = _lengths_and_padded(x, [500, 321, 7])
    for t in _transforms(p=1.0):
        out = t(x, lengths=lengths)
        pad = torch.arange(500) >= lengths[:, None, None]
        assert torch.equal(out.lengths, lengths)
        assert float(out.samples.masked_select(pad).abs().max()) == 0.0


def test_gradcheck_wrt_input():
    x = _signal(batch=2, channels=2, time=12).requires_grad_(True)
    for t in [
        AddColoredNoise(p=1.0, seed=0),
        AddBackgroundNoise(_bank(time=5), p=1.0, seed=0),
        ApplyImpulseResponse(_irs(length=9), 0.3, 0.9, True, p=1.0, seed=0),
    ]:
        prm = t(x.detach(), return_params=True).params
        torch.autograd.gradcheck(lambda v, t=t, prm=prm: t(v, params=prm), (x,))
    lengths = torch.tensor([12, 7])
    t = AddColoredNoise(p=1.0, seed=0)
    prm = t(x.detach(), lengths=lengths, return_params=True).params
    torch.autograd.gradcheck(lambda v: t(v, lengths=lengths, params=prm).samples, (x,))


def test_half_precision_inputs():
    x = _signal(batch=3, channels=1, time=1000, dtype=torch.float32)
    for t in _transforms(p=1.0):
        want = t(x, step=0)
        for dtype in (torch.float16, torch.bfloat16):
            got = t(x.to(dtype), step=0)
            assert got.dtype == dtype
            err = (got.float() - want).abs().max() / want.abs().max()
            assert float(err) < 0.02


def test_on_cuda_match_cpu(device):
    x = _signal(batch=6, channels=2, time=3000, dtype=torch.float32)
    for t in _transforms(p=0.7):
        want = t(x, step=1)
        got = t.to(device)(x.to(device), step=1)
        assert got.device.type == device
        torch.testing.assert_close(got.cpu(), want, rtol=0, atol=1e-4 * float(want.abs().max()))


def test_bank_on_another_device_is_refused(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    with pytest.raises(ValueError, match="noise_bank is on cpu but samples are on cuda"):
        AddBackgroundNoise(_bank(), p=1.0)(_signal().to(device))
    with pytest.raises(ValueError, match="ir_bank is on cpu but samples are on cuda"):
        ApplyImpulseResponse(_irs(), p=1.0)(_signal().to(device))


def test_torch_compile_fullgraph():
    x = _signal(batch=4, channels=1, dtype=torch.float32)
    for t in _transforms(p=0.5, seed=0):
        compiled = torch.compile(lambda v, t=t: t(v, step=1), fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x), t(x, step=1), rtol=1e-5, atol=1e-6)


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,exc,match",
    [
        (lambda: AddColoredNoise(30.0, 3.0), ValueError, "min_snr_in_db must be <= max_snr_in_db"),
        (
            lambda: AddColoredNoise(min_f_decay=1.0, max_f_decay=0.0),
            ValueError,
            "min_f_decay must be <= max_f_decay",
        ),
        (lambda: AddColoredNoise(p=-0.1), ValueError, "p must be a probability"),
        (
            lambda: AddBackgroundNoise(_bank(), 10.0, 5.0),
            ValueError,
            "min_snr_in_db must be <= max_snr_in_db",
        ),
        (
            lambda: AddBackgroundNoise(torch.empty(0, 100)),
            ValueError,
            "noise_bank must hold at least one",
        ),
        (
            lambda: AddBackgroundNoise(torch.empty(3, 0)),
            ValueError,
            "noise_bank must hold at least one",
        ),
        (
            lambda: AddBackgroundNoise(torch.ones(100)),
            ValueError,
            r"noise_bank must have shape \(num_noises",
        ),
        (
            lambda: AddBackgroundNoise(torch.ones(2, 1, 1, 100)),
            ValueError,
            "noise_bank must have shape",
        ),
        (
            lambda: AddBackgroundNoise(torch.ones(2, 100, dtype=torch.int16)),
            TypeError,
            "noise_bank must be a floating",
        ),
        (lambda: AddBackgroundNoise([[0.1, 0.2]]), TypeError, "noise_bank must be a torch.Tensor"),
        (
            lambda: AddBackgroundNoise(torch.zeros(2, 10)),
            ValueError,
            "noise_bank rows must not be all zeros",
        ),
        (
            lambda: AddBackgroundNoise(torch.full((2, 10), math.nan)),
            ValueError,
            "noise_bank must be finite",
        ),
        (
            lambda: ApplyImpulseResponse(torch.empty(0, 10)),
            ValueError,
            "ir_bank must hold at least one",
        ),
        (
            lambda: ApplyImpulseResponse(torch.ones(2, 1, 10)),
            ValueError,
            r"ir_bank must have shape \(num_irs, ir_len\)",
        ),
        (lambda: ApplyImpulseResponse(_irs(), 0.8, 0.2), ValueError, "min_wet must be <= max_wet"),
        (
            lambda: ApplyImpulseResponse(_irs(), 0.5, 1.5),
            ValueError,
            "min_wet and max_wet must be in",
        ),
        (
            lambda: ApplyImpulseResponse(_irs(), -0.5, 0.5),
            ValueError,
            "min_wet and max_wet must be in",
        ),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bank_channels_must_match_the_samples():
    t = AddBackgroundNoise(_bank(channels=3), p=1.0)
    with pytest.raises(ValueError, match="noise_bank has 3 channels but samples have 2"):
        t(_signal(channels=2))
    with pytest.raises(ValueError, match="noise_bank has 3 channels but samples have 2"):
        AddBackgroundNoise(_bank(channels=3), p=0.0)(_signal(channels=2))


def test_no_sample_rate_needed():
    x = _signal()
    for t in _transforms(p=1.0):
        assert t(x.float()).shape == x.shape
