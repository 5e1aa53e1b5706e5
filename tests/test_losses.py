"""STFT and mel losses: against auraloss and the float64 references, autograd, opcheck, compile."""

from __future__ import annotations

import pytest
import torch
from conftest import HAS_CUDA, make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
import sonix.losses as L
from sonix.reference import losses as ref

try:  # the baseline; absent on the GPU machine, where the CUDA tests compare against the CPU
    import auraloss
except ImportError:  # pragma: no cover
    auraloss = None
needs_auraloss = pytest.mark.skipif(auraloss is None, reason="auraloss not installed")

SMALL = dict(fft_sizes=[128, 256, 64], hop_sizes=[16, 32, 8], win_lengths=[80, 160, 40])


def _pair(shape, dtype=torch.float64, seed=0):
    x = make_signal(shape, dtype=dtype, seed=seed)
    y = 0.8 * make_signal(shape, dtype=dtype, seed=seed + 1) + 0.1 * x
    return x, y


def _aura(dtype=torch.float64, **kw):
    m = auraloss.freq.MultiResolutionSTFTLoss(**kw)
    for f in m.stft_losses:  # auraloss builds float32 windows: rebuild them in the test dtype
        f.window = torch.hann_window(f.win_length, dtype=dtype)
    return m


def _value_and_grads(fn, x, y):
    x = x.detach().clone().requires_grad_()
    y = y.detach().clone().requires_grad_()
    loss = fn(x, y)
    gx, gy = torch.autograd.grad(loss, (x, y))
    return loss.detach(), gx, gy


def _assert_rel(a, b, rtol, name=""):
    err = ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()
    assert err <= rtol, f"{name}: relative error {err:.3g} > {rtol:.1g}"


# ---- multi-resolution STFT loss --------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@needs_auraloss
def test_mrstft_matches_auraloss_defaults(dtype):
    x, y = _pair((2, 1, 6000), dtype)
    got = _value_and_grads(L.MultiResolutionSTFTLoss(), x, y)
    want = _value_and_grads(_aura(dtype), x, y)
    tol = 1e-10 if dtype == torch.float64 else 1e-5
    for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, tol, name)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@needs_auraloss
def test_mrstft_matches_reference_float64(dtype):
    x, y = _pair((3, 2000), torch.float64, seed=3)
    got = _value_and_grads(
        lambda a, b: F.multi_resolution_stft_loss(a, b, **SMALL), x.to(dtype), y.to(dtype)
    )
    want = _value_and_grads(lambda a, b: ref.multi_resolution_stft_loss(a, b, **SMALL), x, y)
    if dtype == torch.float64:
        for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
            _assert_rel(g, w, 1e-10, name)
        return
    _assert_rel(got[0], want[0], 1e-5, "loss")
    # float32 gradients: the log-magnitude term's sign(l) / |X| flips where |X| ~ |Y| and is large
    # where |X| is tiny, so float32 rounding moves single bins; auraloss in float32 is off by 8.4e-4
    # and 7.7e-4 (max relative) on this input. Allow 2x torch's own error.
    au = _value_and_grads(_aura(torch.float32, **SMALL), x.float()[:, None], y.float()[:, None])
    for i, name in ((1, "grad_x"), (2, "grad_y")):
        own = ((au[i][:, 0].double() - want[i]).abs().max() / want[i].abs().max()).item()
        _assert_rel(got[i], want[i], 2 * own + 1e-6, name)


@given(
    n_fft=st.sampled_from([16, 33, 64, 100]),
    hop=st.integers(1, 40),
    win_frac=st.sampled_from([1.0, 0.6, 0.35]),
    length=st.integers(9, 700),
    rows=st.integers(1, 3),
    w=st.sampled_from([(1.0, 1.0, 0.0), (0.0, 1.0, 0.5), (0.7, 0.0, 1.0)]),
    reduction=st.sampled_from(["mean", "sum"]),
    dist=st.sampled_from(["L1", "L2"]),
    window=st.sampled_from(["hann_window", "hamming_window"]),
)
@needs_auraloss
def test_stft_loss_matches_reference_hypothesis(
    n_fft, hop, win_frac, length, rows, w, reduction, dist, window
):
    win = max(1, int(n_fft * win_frac))
    x, y = _pair((rows, length), seed=length)
    kw = dict(w_sc=w[0], w_log_mag=w[1], w_lin_mag=w[2], reduction=reduction, mag_distance=dist)
    got = _value_and_grads(
        lambda a, b: F.stft_loss(a, b, n_fft, hop, win, window=window, **kw), x, y
    )
    if window == "hann_window":
        want = _value_and_grads(lambda a, b: ref.stft_loss(a, b, n_fft, hop, win, **kw), x, y)
    else:  # auraloss for the other windows (torch.stft needs the signal longer than the pad)
        if length <= n_fft // 2:
            return
        m = auraloss.freq.STFTLoss(n_fft, hop, win, window, **kw)
        m.window = getattr(torch, window)(win, dtype=torch.float64)
        want = _value_and_grads(lambda a, b: m(a[:, None], b[:, None]), x, y)
    for g, wv, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, wv, 1e-9, name)


@needs_auraloss
def test_stft_loss_options_match_auraloss():
    x, y = _pair((2, 1, 3001))
    for kw in (
        dict(reduction="sum"),
        dict(mag_distance="L2", w_lin_mag=0.3),
        dict(eps=1e-4, w_sc=0.5),
    ):
        m = auraloss.freq.STFTLoss(256, 64, 200, **kw)
        m.window = torch.hann_window(200, dtype=torch.float64)
        got = _value_and_grads(L.STFTLoss(256, 64, 200, **kw), x, y)
        want = _value_and_grads(m, x, y)
        for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
            _assert_rel(g, w, 1e-10, f"{kw} {name}")


@needs_auraloss
def test_output_full_matches_auraloss():
    x, y = _pair((1, 1, 2500))
    got = L.MultiResolutionSTFTLoss(**SMALL, output="full")(x, y)
    want = _aura(**SMALL, output="full")(x, y)
    _assert_rel(got[0], want[0], 1e-10, "loss")
    for gl, wl in zip(got[1:], want[1:], strict=False):
        for g, w in zip(gl, wl, strict=False):
            assert (g == 0.0 and w == 0.0) or abs(float(g) - float(w)) <= 1e-10 * abs(float(w))


@pytest.mark.parametrize("length", [1001, 777, 129])
@needs_auraloss
def test_odd_and_short_lengths_match_auraloss(length):
    # 129 samples: shorter than every n_fft below, longer than n_fft // 2 of the smallest two.
    x, y = _pair((2, 1, length), seed=length)
    kw = dict(fft_sizes=[256, 128], hop_sizes=[30, 17], win_lengths=[200, 128])
    got = _value_and_grads(L.MultiResolutionSTFTLoss(**kw), x, y)
    want = _value_and_grads(_aura(**kw), x, y)
    for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, 1e-10, name)


@pytest.mark.parametrize("length", [1, 2, 50, 512])
def test_shorter_than_pad_uses_numpy_reflect(length):
    # torch.stft (and auraloss) raise for length <= n_fft // 2; sonix mirrors repeatedly (numpy).
    x, y = _pair((2, length), seed=7)
    got = _value_and_grads(lambda a, b: F.stft_loss(a, b, 1024, 120, 600), x, y)
    want = _value_and_grads(lambda a, b: ref.stft_loss(a, b, 1024, 120, 600), x, y)
    assert torch.isfinite(got[0])
    for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, 1e-9, name)


@needs_auraloss
def test_batch_of_one_and_leading_dims():
    x, y = _pair((2, 3, 1500))
    m = L.MultiResolutionSTFTLoss(**SMALL)
    want = _aura(**SMALL)(x, y)
    _assert_rel(m(x, y), want, 1e-10)  # (batch, channels, time), as auraloss
    _assert_rel(m(x.reshape(6, 1500), y.reshape(6, 1500)), want, 1e-10)
    _assert_rel(m(x[0, 0], y[0, 0]), _aura(**SMALL)(x[:1, :1], y[:1, :1]), 1e-10)  # 1-D


def test_non_contiguous_inputs():
    x, y = _pair((4, 2, 3000))
    xs, ys = x[::2, :, 100:2900], y.transpose(0, 1)[:, ::2, 100:2900].transpose(0, 1)
    assert not xs.is_contiguous() and not ys.is_contiguous()
    got = _value_and_grads(L.MultiResolutionSTFTLoss(**SMALL), xs, ys)
    want = _value_and_grads(L.MultiResolutionSTFTLoss(**SMALL), xs.contiguous(), ys.contiguous())
    for g, w in zip(got, want, strict=False):
        torch.testing.assert_close(g, w, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs(dtype):
    x, y = _pair((2, 4000))
    xh, yh = x.to(dtype), y.to(dtype)
    got = _value_and_grads(lambda a, b: F.multi_resolution_stft_loss(a, b, **SMALL), xh, yh)
    # Computed in float32 from the rounded inputs: compare with the float64 reference of those.
    want = _value_and_grads(
        lambda a, b: ref.multi_resolution_stft_loss(a, b, **SMALL), xh.double(), yh.double()
    )
    assert got[0].dtype == torch.float32 and got[1].dtype == dtype
    _assert_rel(got[0], want[0], 1e-5, "loss")
    _assert_rel(got[1], want[1], 1e-2, "grad_x")  # rounded to the input dtype
    _assert_rel(got[2], want[2], 1e-2, "grad_y")


@needs_auraloss
def test_silent_target_is_finite_and_matches_auraloss():
    x, _ = _pair((2, 1, 3000))
    y = torch.zeros_like(x)
    got = _value_and_grads(L.MultiResolutionSTFTLoss(**SMALL), x, y)
    want = _value_and_grads(_aura(**SMALL), x, y)
    assert all(torch.isfinite(t).all() for t in got)
    for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, 1e-10, name)


def test_equal_signals_zero_loss_terms_and_finite_gradient():
    x, _ = _pair((2, 2000))
    loss, gx, gy = _value_and_grads(lambda a, b: F.multi_resolution_stft_loss(a, b, **SMALL), x, x)
    assert loss.abs().item() < 1e-7
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all()
    assert gx.abs().max() < 1e-6


def test_gradcheck_both_inputs():
    x, y = _pair((2, 70))
    x.requires_grad_()
    y.requires_grad_()
    kw = dict(fft_sizes=[32, 16], hop_sizes=[8, 5], win_lengths=[24, 16], w_lin_mag=0.5)
    torch.autograd.gradcheck(lambda a, b: F.multi_resolution_stft_loss(a, b, **kw), (x, y))
    kw2 = dict(kw, mag_distance="L2", reduction="sum")
    torch.autograd.gradcheck(
        lambda a, b: F.multi_resolution_stft_loss(a, b, **kw2), (x, y), fast_mode=True
    )


def test_only_target_requires_grad():
    x, y = _pair((2, 900))
    y.requires_grad_()
    F.stft_loss(x, y, 64, 16, 64).backward()
    want = _value_and_grads(lambda a, b: ref.stft_loss(a, b, 64, 16, 64), x, y)[2]
    _assert_rel(y.grad, want, 1e-10)


def test_opcheck(device):
    x, y = _pair((2, 700), torch.float32)
    x, y = x.to(device), y.to(device)
    w = torch.hann_window(64, device=device)
    args = (x.requires_grad_(), y.requires_grad_(), w, 64, 16, True, "reflect", 1e-8, 1)
    torch.library.opcheck(torch.ops.sonix.stft_loss_sums.default, args)
    g = torch.rand(2, 4, device=device)
    bargs = (g, x.detach(), y.detach(), w, 64, 16, True, "reflect", 1e-8, 2, True, False)
    torch.library.opcheck(torch.ops.sonix.stft_loss_sums_backward.default, bargs)


def test_compile_fullgraph():
    from torch._dynamo.testing import CompileCounterWithBackend

    torch._dynamo.reset()
    cnt = CompileCounterWithBackend("aot_eager")
    m = L.MultiResolutionSTFTLoss(**SMALL)
    cf = torch.compile(m, backend=cnt, fullgraph=True)
    x, y = _pair((2, 2000), torch.float32)
    got = _value_and_grads(cf, x, y)
    want = _value_and_grads(m, x, y)
    for g, w in zip(got, want, strict=False):
        torch.testing.assert_close(g, w)
    assert cnt.frame_count == 1


def test_deterministic_run_to_run_and_across_thread_counts():
    x, y = _pair((3, 5000), torch.float32)
    fn = lambda a, b: F.multi_resolution_stft_loss(a, b, **SMALL)  # noqa: E731
    first, again = _value_and_grads(fn, x, y), _value_and_grads(fn, x, y)
    for a, b in zip(first, again, strict=False):
        assert torch.equal(a, b)  # fixed-order reductions, no atomics
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _value_and_grads(fn, x, y)
    finally:
        torch.set_num_threads(n)
    # The block partials are summed in the same order for any thread count; the FFT library may
    # group transforms differently (last-ulp differences), so across thread counts: close, not equal.
    for a, b in zip(one, first, strict=False):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_bad_inputs():
    x, y = _pair((2, 1000))
    with pytest.raises(ValueError, match="target"):
        F.multi_resolution_stft_loss(x, y[:, :999])
    with pytest.raises(ValueError, match="target"):
        F.multi_resolution_stft_loss(x, y[:1])
    with pytest.raises(TypeError, match="target"):
        F.stft_loss(x, y.to(torch.int32))
    with pytest.raises(ValueError, match="eps"):
        F.stft_loss(x, y, eps=0.0)
    with pytest.raises(ValueError, match="win_length"):
        F.stft_loss(x, y, 256, 64, 512)
    with pytest.raises(ValueError, match="reduction"):
        L.STFTLoss(reduction="none")
    for opt in (
        dict(w_phs=1.0),
        dict(scale="mel"),
        dict(perceptual_weighting=True),
        dict(scale_invariance=True),
    ):
        with pytest.raises(ValueError, match=next(iter(opt))):
            L.MultiResolutionSTFTLoss(**opt)
    with pytest.raises(ValueError, match="target"):  # the raw op names the argument too
        torch.ops.sonix.stft_loss_sums(
            x, y[:, :10], torch.hann_window(64, dtype=x.dtype), 64, 16, True, "reflect", 1e-8, 1
        )


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cuda_matches_cpu_float64():
    x, y = _pair((3, 2, 5000), torch.float64)
    fn = L.MultiResolutionSTFTLoss()
    cpu = _value_and_grads(fn, x, y)
    gpu = _value_and_grads(fn, x.cuda(), y.cuda())
    for c, g, name in zip(cpu, gpu, ("loss", "grad_x", "grad_y"), strict=True):
        _assert_rel(g.cpu(), c, 1e-9, name)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@needs_auraloss
def test_cuda_low_precision_within_twice_torchs_error():
    """float32 on CUDA against float64, within 2x the error of auraloss (plain torch) in float32 on CUDA.

    The log-magnitude term's sign(ln|Y| - ln|X|) / |X| makes float32 gradients ill-conditioned (single bins
    flip where |X| ~ |Y|), so the bar is torch's own float32 error on the same device, not a fixed number.
    """
    x, y = _pair((3, 2, 5000), torch.float64)
    want = _value_and_grads(L.MultiResolutionSTFTLoss(), x, y)
    got = _value_and_grads(L.MultiResolutionSTFTLoss(), x.float().cuda(), y.float().cuda())
    aura = _value_and_grads(
        auraloss.freq.MultiResolutionSTFTLoss().cuda(), x.float().cuda(), y.float().cuda()
    )
    _assert_rel(got[0].cpu(), want[0], 1e-5, "loss")
    for i, name in ((1, "grad_x"), (2, "grad_y")):
        own = ((aura[i].cpu().double() - want[i]).norm() / want[i].norm()).item()
        err = ((got[i].cpu().double() - want[i]).norm() / want[i].norm()).item()
        assert err <= 2 * own + 1e-6, f"{name}: relative L2 error {err:.3g} > 2 x torch's {own:.3g}"


# ---- multi-scale mel loss ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_mel_loss_dac_defaults_match_reference(dtype):
    x, y = _pair((2, 1, 9000), torch.float64, seed=11)
    got = _value_and_grads(L.MultiScaleMelLoss(), x.to(dtype), y.to(dtype))
    want = _value_and_grads(ref.multi_scale_mel_loss, x, y)
    tol = 1e-9 if dtype == torch.float64 else 1e-5
    _assert_rel(got[0], want[0], tol, "loss")
    for g, w, name in zip(got[1:], want[1:], ("grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, tol if dtype == torch.float64 else 1e-4, name)


def test_mel_loss_bigvgan_style_and_options():
    x, y = _pair((3, 4000), seed=5)
    kw = dict(
        sample_rate=24000,
        n_mels=[20, 40, 80],
        window_lengths=[128, 256, 512],
        hop_lengths=[30, 64, 100],
        mel_fmin=[0.0, 50.0, 0.0],
        mel_fmax=[None, 8000.0, 12000.0],
        mag_weight=0.0,
        pow=1.0,
        log_base="e",
    )
    got = _value_and_grads(lambda a, b: F.multi_scale_mel_loss(a, b, **kw), x, y)
    want = _value_and_grads(lambda a, b: ref.multi_scale_mel_loss(a, b, **kw), x, y)
    for g, w, name in zip(got, want, ("loss", "grad_x", "grad_y"), strict=False):
        _assert_rel(g, w, 1e-9, name)


def test_mel_loss_gradcheck_and_silent_target():
    x, y = _pair((2, 120))
    kw = dict(sample_rate=8000, n_mels=[10, 6], window_lengths=[64, 32])
    x.requires_grad_()
    y.requires_grad_()
    torch.autograd.gradcheck(
        lambda a, b: F.multi_scale_mel_loss(a, b, **kw), (x, y), fast_mode=True
    )
    loss, gx, _ = _value_and_grads(
        lambda a, b: F.multi_scale_mel_loss(a, b, **kw), x, torch.zeros_like(y)
    )
    assert torch.isfinite(loss) and torch.isfinite(gx).all()


def test_mel_loss_compile_and_bad_input():
    m = L.MultiScaleMelLoss(sample_rate=16000, n_mels=[40, 20], window_lengths=[256, 64])
    x, y = _pair((2, 3000), torch.float32)
    cf = torch.compile(m, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(cf(x, y), m(x, y))
    with pytest.raises(ValueError, match="target"):
        m(x, y[:, :-1])
    with pytest.raises(ValueError, match="log_base"):
        F.multi_scale_mel_loss(x, y, log_base="2")
