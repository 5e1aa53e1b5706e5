"""resample: float64 reference, torchaudio parity, scipy sanity, quality per preset, streaming,
per-example rates, autograd, opcheck, compile."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import HAS_CUDA, make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
from sonix.functional.resample import PRESETS, plan, resolve_filter
from sonix.reference import resample as ref
from sonix.transforms import Resample, StreamingResampler

_ops = torch.ops.sonix

RATE_PAIRS = [
    (44100, 48000),
    (48000, 44100),
    (22050, 16000),
    (8000, 44100),
    (16000, 8000),
    (3, 2),
    (2, 3),
    (5, 7),
    (1, 4),
    (4, 1),
]
SMALL = resolve_filter(
    lowpass_filter_width=4, rolloff=0.9, resampling_method="sinc_interp_kaiser", beta=8.0
)


def _ref(x, orig, new, filt):
    shape = x.shape
    y = ref.resample(x.reshape(-1, shape[-1]), orig, new, filt)
    return y.reshape(shape[:-1] + y.shape[-1:])


def _sonix(x, orig, new, filt):
    return F.resample(
        x,
        orig,
        new,
        lowpass_filter_width=filt.lowpass_filter_width,
        rolloff=filt.rolloff,
        resampling_method="sinc_interp_" + filt.window,
        beta=filt.beta,
    )


# ---- exactness against the float64 reference -------------------------------------------------------


@given(
    pair=st.sampled_from(RATE_PAIRS) | st.tuples(st.integers(1, 40), st.integers(1, 40)),
    length=st.integers(1, 400),
    lead=st.sampled_from([(), (1,), (3,), (2, 2)]),
    window=st.sampled_from(["sinc_interp_hann", "sinc_interp_kaiser"]),
    lpw=st.integers(2, 12),
    rolloff=st.floats(0.5, 1.0),
)
def test_matches_reference(pair, length, lead, window, lpw, rolloff):
    orig, new = pair
    x = make_signal(lead + (length,))
    filt = resolve_filter(lowpass_filter_width=lpw, rolloff=rolloff, resampling_method=window)
    got = F.resample(
        x, orig, new, lowpass_filter_width=lpw, rolloff=rolloff, resampling_method=window
    )
    want = _ref(x, orig, new, filt)
    assert (
        got.shape
        == want.shape
        == lead + (-(-new * length // math.gcd(orig, new) // (orig // math.gcd(orig, new))),)
    )
    torch.testing.assert_close(got, want, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("quality", list(PRESETS))
@pytest.mark.parametrize("orig,new", [(48000, 44100), (44100, 16000), (16000, 44100)])
def test_presets_match_reference(quality, orig, new):
    x = make_signal((2, 700), sr=orig)
    torch.testing.assert_close(
        F.resample(x, orig, new, quality=quality),
        _ref(x, orig, new, PRESETS[quality]),
        rtol=1e-11,
        atol=1e-11,
    )


def test_awkward_ratio_bounded_table():
    """20001 -> 30001 Hz: compact phase table (default) or taps per output (best); both exact."""
    x = make_signal((2, 300), sr=20001)
    p = plan(20001, 30001, PRESETS["default"])
    assert p.taps is not None and p.taps.numel() < 4_000_000
    assert plan(20001, 30001, PRESETS["best"]).taps is None
    for q in ("default", "best"):
        torch.testing.assert_close(
            F.resample(x, 20001, 30001, quality=q),
            _ref(x, 20001, 30001, PRESETS[q]),
            rtol=1e-11,
            atol=1e-11,
        )


def test_same_rate_is_identity():
    x = make_signal((2, 100))
    assert F.resample(x, 16000, 16000) is x


# ---- torchaudio / scipy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orig,new", [(44100, 48000), (48000, 44100), (22050, 16000), (8000, 44100), (16000, 8000)]
)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"resampling_method": "sinc_interp_hann"},
        {"resampling_method": "sinc_interp_kaiser"},
        {
            "lowpass_filter_width": 64,
            "rolloff": 0.9475937167399596,
            "resampling_method": "sinc_interp_kaiser",
            "beta": 14.769656459379492,
        },
        {"lowpass_filter_width": 16, "rolloff": 0.85, "resampling_method": "sinc_interp_hann"},
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_torchaudio(orig, new, kwargs, dtype):
    taf = pytest.importorskip("torchaudio.functional")
    x = make_signal((2, 1, 1501), sr=orig, dtype=dtype)
    want = taf.resample(x, orig, new, **kwargs)
    got = F.resample(x, orig, new, **kwargs)
    assert got.shape == want.shape and got.dtype == dtype
    # torchaudio evaluates the Kaiser window's beta as a float32 tensor, even for float64 input.
    kaiser = kwargs.get("resampling_method") == "sinc_interp_kaiser"
    tol = (1e-7 if kaiser else 1e-10) if dtype == torch.float64 else 2e-5
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("orig,new", [(48000, 44100), (16000, 22050)])
def test_transform_matches_torchaudio(orig, new):
    tat = pytest.importorskip("torchaudio.transforms")
    kw = {
        "resampling_method": "sinc_interp_kaiser",
        "lowpass_filter_width": 64,
        "rolloff": 0.9475937167399596,
        "beta": 14.769656459379492,
    }
    x = make_signal((3, 2001), sr=orig, dtype=torch.float32)
    want = tat.Resample(orig, new, **kw)(x)
    mod = Resample(orig, new, **kw)
    assert mod.state_dict().keys() == tat.Resample(orig, new, **kw).state_dict().keys()
    mod.load_state_dict(tat.Resample(orig, new, **kw).state_dict(), strict=True)
    torch.testing.assert_close(mod(x), want, rtol=2e-5, atol=2e-5)
    torch.testing.assert_close(
        Resample(orig, new)(x), tat.Resample(orig, new)(x), rtol=2e-5, atol=2e-5
    )
    q = Resample(orig, new, quality="best")(x.double())
    torch.testing.assert_close(
        q, F.resample(x.double(), orig, new, quality="best"), rtol=1e-6, atol=1e-6
    )


def test_sanity_vs_scipy_resample_poly():
    """A different (but good) filter: a band-limited signal agrees away from the edges."""
    signal = pytest.importorskip("scipy.signal")
    t = torch.arange(4410, dtype=torch.float64) / 44100
    x = torch.sin(2 * math.pi * 440 * t) + 0.5 * torch.sin(2 * math.pi * 3000 * t + 1)
    want = torch.from_numpy(signal.resample_poly(x.numpy(), 160, 441))
    got = F.resample(x, 44100, 16000)
    n = min(len(want), len(got))
    torch.testing.assert_close(got[200 : n - 200], want[200 : n - 200], rtol=0, atol=2e-3)


# ---- measured quality ----------------------------------------------------------------------------

# (sine SNR, stopband rejection, passband edge for the ripple, as a fraction of the lower Nyquist rate)
THRESHOLDS = {
    "fast": (80.0, 80.0, 0.7),
    "default": (110.0, 120.0, 0.8),
    "best": (150.0, 160.0, 0.8),
}


@pytest.mark.parametrize("quality", list(PRESETS))
@pytest.mark.parametrize("orig,new", [(48000, 44100), (44100, 16000), (16000, 44100)])
def test_preset_quality(quality, orig, new):
    fn = lambda x: F.resample(x, orig, new, quality=quality)  # noqa: E731
    snr_min, stop_min, edge = THRESHOLDS[quality]
    freqs = [min(orig, new) / 2 * f for f in (0.02, 0.1, 0.3, 0.5, edge)]
    assert ref.sine_snr_db(fn, orig, new, freqs=freqs, seconds=0.2) >= snr_min
    assert ref.stopband_rejection_db(fn, orig, new, n_freqs=6, seconds=0.2) >= stop_min
    assert ref.passband_ripple_db(fn, orig, new, edge=edge, n_freqs=6) <= 1e-3


# ---- dtypes, layouts, shapes ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_low_precision(dtype):
    x = make_signal((2, 3, 801), sr=48000)
    want = F.resample(x, 48000, 44100)
    got = F.resample(x.to(dtype), 48000, 44100)
    assert got.dtype == dtype
    eps = {torch.float16: 4e-3, torch.bfloat16: 3e-2, torch.float32: 1e-5}[dtype]
    assert (got.double() - want).abs().max() <= eps * want.abs().max()


def test_non_contiguous():
    base = make_signal((3, 2 * 777))
    x = base[:, ::2]
    assert not x.is_contiguous()
    torch.testing.assert_close(
        F.resample(x, 22050, 16000), F.resample(x.contiguous(), 22050, 16000), rtol=0, atol=0
    )
    xt = make_signal((400, 2)).transpose(0, 1)
    torch.testing.assert_close(
        F.resample(xt, 3, 2), F.resample(xt.contiguous(), 3, 2), rtol=0, atol=0
    )


# ---- streaming ---------------------------------------------------------------------------------


@given(
    pair=st.sampled_from([(48000, 44100), (44100, 16000), (8000, 44100), (3, 2), (2, 3)]),
    chunks=st.lists(st.integers(0, 300), min_size=1, max_size=6),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_streaming_equals_offline(pair, chunks, dtype):
    orig, new = pair
    x = make_signal((2, sum(chunks) + 1), sr=orig, dtype=dtype)
    sizes = chunks + [1]
    s = StreamingResampler(orig, new, quality="fast")
    parts, pos = [], 0
    for n in sizes:
        parts.append(s(x[:, pos : pos + n]))
        pos += n
    parts.append(s.flush())
    got = torch.cat(parts, dim=-1)
    want = F.resample(x, orig, new, quality="fast")
    assert got.shape == want.shape
    assert torch.equal(got, want)


def test_streaming_default_quality_long():
    x = make_signal((1, 2, 20000), sr=48000, dtype=torch.float32)
    s = StreamingResampler(48000, 44100)
    g = torch.Generator().manual_seed(1)
    parts, pos = [], 0
    while pos < x.shape[-1]:
        n = int(torch.randint(1, 3000, (1,), generator=g))
        parts.append(s(x[..., pos : pos + n]))
        pos += n
    parts.append(s.flush())
    assert torch.equal(torch.cat(parts, -1), F.resample(x, 48000, 44100))


# ---- per-example source rates --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("quality", ["fast", "default"])
@pytest.mark.parametrize(
    "rates",
    [
        [14400, 16000, 17600, 44100],  # few distinct rates: one cached plan per rate
        [14400 + 160 * i for i in range(10)],  # many: taps computed per output (resample_varying)
    ],
)
def test_per_example_rates_equal_loop(dtype, quality, rates):
    x = make_signal((len(rates), 2, 900), dtype=dtype)
    y, lengths = F.resample(x, torch.tensor(rates), 16000, quality=quality)
    assert y.shape[:2] == (len(rates), 2)
    assert lengths.tolist() == [-(-16000 * 900 // r) for r in rates]
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    for i, r in enumerate(rates):
        want = F.resample(x[i], r, 16000, quality=quality)
        n = int(lengths[i])
        torch.testing.assert_close(y[i, :, :n], want, rtol=tol, atol=tol)
        assert bool((y[i, :, n:] == 0).all())


# ---- autograd, opcheck, compile --------------------------------------------------------------------


@pytest.mark.parametrize("orig,new", [(3, 2), (2, 5), (7, 3)])
def test_gradcheck(orig, new):
    x = make_signal((2, 13)).requires_grad_()
    kw = {"lowpass_filter_width": 3, "resampling_method": "sinc_interp_kaiser", "beta": 6.0}
    fn = lambda v: F.resample(v, orig, new, **kw)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x,))
    assert torch.autograd.gradgradcheck(fn, (x,))
    fv = lambda v: F.resample(v, torch.tensor([orig, new]), new, **kw)[0]  # noqa: E731
    assert torch.autograd.gradcheck(fv, (x,))
    assert torch.autograd.gradgradcheck(fv, (x,))


def test_opcheck():
    p = plan(3, 2, SMALL)
    x = make_signal((2, 40)).float()
    taps = p.taps.float()
    args = (p.orig, p.up, p.left)
    torch.library.opcheck(_ops.resample_poly.default, (x.requires_grad_(), taps, *args, 0, 0, 27))
    torch.library.opcheck(_ops.resample_poly.default, (x, taps, *args, 5, 3, 20))
    torch.library.opcheck(
        _ops.resample_poly_backward.default, (torch.randn(2, 27), taps, *args, 0, 0, 40)
    )
    rates = torch.tensor([3, 5])
    vargs = (2, 10, 22, 0.9, 4.0, 1, 8.0)
    torch.library.opcheck(_ops.resample_varying.default, (x, rates, *vargs, 27))
    torch.library.opcheck(
        _ops.resample_varying_backward.default, (torch.randn(2, 27), rates, *vargs, 40)
    )


def test_compile_fullgraph():
    mod = Resample(48000, 44100, quality="default")

    def fn(v):
        return F.resample(v, 44100, 16000) + 0, mod(v)

    x = make_signal((2, 1000), dtype=torch.float32)
    cf = torch.compile(fn, fullgraph=True, dynamic=True)
    for got, want in zip(cf(x), fn(x), strict=True):
        torch.testing.assert_close(got, want)


# ---- bad input -------------------------------------------------------------------------------------


def test_bad_input():
    x = make_signal((2, 100))
    with pytest.raises(ValueError, match="orig_freq"):
        F.resample(x, 0, 16000)
    with pytest.raises(ValueError, match="new_freq"):
        F.resample(x, 16000, 1.5)
    with pytest.raises(ValueError, match="quality"):
        F.resample(x, 16000, 8000, quality="ultra")
    with pytest.raises(ValueError, match="resampling_method"):
        F.resample(x, 16000, 8000, resampling_method="linear")
    with pytest.raises(ValueError, match="lowpass_filter_width"):
        F.resample(x, 16000, 8000, lowpass_filter_width=0)
    with pytest.raises(TypeError, match="waveform"):
        F.resample(x.long(), 16000, 8000)
    with pytest.raises(ValueError, match="one rate per example"):
        F.resample(x, torch.tensor([16000, 8000, 4000]), 8000)
    with pytest.raises(ValueError, match="taps"):
        _ops.resample_poly(x, torch.ones(3, 4, dtype=torch.float64), 3, 2, 1, 0, 0, 10)


# ---- CUDA vs CPU -------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_cuda_matches_cpu(dtype):
    x = make_signal((3, 2, 4001), sr=48000, dtype=dtype)
    for orig, new, q in [
        (48000, 44100, "default"),
        (44100, 16000, "best"),
        (8000, 44100, "fast"),
        (20001, 30001, "best"),
    ]:
        want = F.resample(x, orig, new, quality=q)
        got = F.resample(x.cuda(), orig, new, quality=q).cpu()
        tol = 1e-10 if dtype == torch.float64 else (1e-5 if dtype == torch.float32 else 2e-3)
        torch.testing.assert_close(got, want, rtol=tol, atol=tol)
    y, lens = F.resample(x, torch.tensor([14400, 16000, 17600]), 16000)
    yc, lc = F.resample(x.cuda(), torch.tensor([14400, 16000, 17600]).cuda(), 16000)
    torch.testing.assert_close(yc.cpu(), y, rtol=2e-3, atol=2e-3)
    xg = x.double().cuda().requires_grad_()
    gy = torch.randn_like(F.resample(xg, 44100, 16000))
    (gc,) = torch.autograd.grad(F.resample(xg, 44100, 16000), xg, gy)
    xc = x.double().requires_grad_()
    (gcpu,) = torch.autograd.grad(F.resample(xc, 44100, 16000), xc, gy.cpu())
    torch.testing.assert_close(gc.cpu(), gcpu, rtol=1e-10, atol=1e-10)
