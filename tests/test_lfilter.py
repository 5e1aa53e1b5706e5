"""lfilter / sosfilt / filtfilt / sosfiltfilt: against scipy.signal in float64, chunked == whole, autograd
(x, a, b, zi), opcheck, torch.compile, low precision, non-contiguous input, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
import torch
from conftest import HAS_CUDA, make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
from sonix.ops.filters import check_stability, lfilter


def stable_a(rng: np.random.Generator, order: int, radius: float = 0.95) -> np.ndarray:
    """Denominator with poles drawn inside the unit circle (conjugate pairs + one real pole if odd)."""
    poles = []
    for _ in range(order // 2):
        r, th = radius * np.sqrt(rng.uniform(0.05, 1.0)), rng.uniform(0, np.pi)
        poles += [r * np.exp(1j * th), r * np.exp(-1j * th)]
    if order % 2:
        poles.append(rng.uniform(-radius, radius))
    return np.atleast_1d(np.real(np.poly(poles))) * rng.uniform(0.5, 2.0)


def _t(v, device="cpu"):
    return torch.as_tensor(np.asarray(v), dtype=torch.float64, device=device)


@given(
    order=st.integers(0, 6),
    nb_extra=st.integers(-1, 2),
    length=st.sampled_from([1, 2, 3, 5, 17, 257, 1000, 2049]),
    lead=st.sampled_from([(), (1,), (3,), (2, 3), (9,)]),
    with_zi=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_lfilter_matches_scipy(order, nb_extra, length, lead, with_zi, seed):
    rng = np.random.default_rng(seed)
    a = stable_a(rng, order)
    b = rng.standard_normal(max(1, order + 1 + nb_extra))
    x = rng.standard_normal(lead + (length,))
    n = max(len(a), len(b))
    zi = rng.standard_normal(lead + (n - 1,)) if with_zi else None
    if with_zi:
        want, want_zf = ss.lfilter(b, a, x, zi=zi)
    else:
        want, want_zf = ss.lfilter(b, a, x, zi=np.zeros(lead + (n - 1,)))
    y, zf = lfilter(_t(x), _t(a), _t(b), None if zi is None else _t(zi))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zf.numpy(), want_zf, rtol=1e-9, atol=1e-9)


@given(order=st.integers(1, 4), rows=st.integers(1, 19), seed=st.integers(0, 100))
def test_lfilter_per_channel_coefficients(order, rows, seed):
    """Coefficients (rows, taps) filter row i of x with row i: one op call, no Python loop."""
    rng = np.random.default_rng(seed)
    a = np.stack([stable_a(rng, order) for _ in range(rows)])
    b = rng.standard_normal((rows, order + 1))
    x = rng.standard_normal((2, rows, 301))
    y, _ = lfilter(_t(x), _t(a), _t(b))
    for i in range(rows):
        np.testing.assert_allclose(
            y[:, i].numpy(), ss.lfilter(b[i], a[i], x[:, i]), rtol=1e-9, atol=1e-9
        )


@pytest.mark.parametrize("order", [1, 2, 5])
def test_lfilter_chunked_equals_whole(order):
    rng = np.random.default_rng(order)
    a, b = _t(stable_a(rng, order)), _t(rng.standard_normal(order + 1))
    x = make_signal((3, 2000))
    whole, zf_whole = lfilter(x, a, b)
    zi = torch.zeros(3, order, dtype=torch.float64)
    parts = []
    for lo, hi in [(0, 1), (1, 3), (3, 700), (700, 1999), (1999, 2000)]:
        y, zi = lfilter(x[:, lo:hi], a, b, zi)
        parts.append(y)
    torch.testing.assert_close(torch.cat(parts, -1), whole, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(zi, zf_whole, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order,length", [(2, 17), (3, 2), (1, 1), (4, 40), (0, 5)])
def test_lfilter_gradcheck(order, length):
    rng = np.random.default_rng(order)
    a = _t(stable_a(rng, order, 0.8)).requires_grad_()
    b = _t(rng.standard_normal((2, order + 1))).requires_grad_()
    x = torch.randn(2, length, dtype=torch.float64, requires_grad=True)
    zi = torch.randn(2, order, dtype=torch.float64, requires_grad=True)

    def f(x, a, b, zi):
        return lfilter(x, a, b, zi)

    assert torch.autograd.gradcheck(f, (x, a, b, zi))
    assert torch.autograd.gradcheck(lambda x, a, b: lfilter(x, a, b)[0], (x, a, b))


def test_lfilter_opcheck():
    x = torch.randn(3, 50, dtype=torch.float64)
    a = torch.tensor([[1.0, -0.5, 0.2]] * 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    zi = torch.randn(3, 2, dtype=torch.float64)
    torch.library.opcheck(torch.ops.sonix.lfilter.default, (x.requires_grad_(), a, b, zi))
    torch.library.opcheck(
        torch.ops.sonix.lfilter.default, (x.float(), a.detach().float(), b.detach().float(), None)
    )
    y, _ = torch.ops.sonix.lfilter(x.detach(), a.detach(), b.detach(), None)
    torch.library.opcheck(
        torch.ops.sonix.lfilter_backward.default,
        (
            torch.randn_like(y),
            torch.randn(3, 2, dtype=torch.float64),
            x.detach(),
            y,
            a.detach(),
            b.detach(),
            True,
        ),
    )


def test_lfilter_compile_fullgraph():
    x = make_signal((2, 500)).float()
    sr = 16000
    fc = torch.tensor([500.0, 2000.0])

    sos = F.butter_sos(4, 3000.0, fs=sr, dtype=torch.float32)  # complex design math stays eager

    def f(x, fc):
        b, a = F.biquad_coeffs("lowpass", sr, fc, 0.707, dtype=torch.float32)
        y, _ = lfilter(x, a, b)
        return F.sosfilt(y, sos)

    torch._dynamo.reset()
    got = torch.compile(f, fullgraph=True)(x, fc)
    torch.testing.assert_close(got, f(x, fc))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_lfilter_low_precision(dtype):
    """Half inputs are widened and accumulated in float32: error is the input / output rounding."""
    sos = F.butter_sos(2, 1000.0, fs=16000)
    b, a = sos[0, :3], sos[0, 3:]
    x = make_signal((2, 3000)) * 0.3
    want, _ = lfilter(x.to(dtype).double(), a, b)
    y, zf = lfilter(x.to(dtype), a.float(), b.float())
    assert y.dtype == dtype and zf.dtype == torch.float32
    eps = {torch.float16: 1e-3, torch.bfloat16: 8e-3, torch.float32: 1e-6}[dtype]
    assert (y.double() - want).abs().max() <= 2 * eps * want.abs().max()


def test_lfilter_non_contiguous():
    x = make_signal((4, 6001))
    xs = x[::2, ::3]
    a, b = _t([1.0, -1.2, 0.5]), _t([0.3, 0.2, 0.1])
    torch.testing.assert_close(lfilter(xs, a, b)[0], lfilter(xs.contiguous(), a, b)[0])
    at = torch.tensor(
        [[1.0, 0.3], [1.0, -0.4]], dtype=torch.float64
    ).t()  # non-contiguous coefficients
    torch.testing.assert_close(
        lfilter(x[:2], at.t(), at.t())[0],
        lfilter(x[:2], at.t().contiguous(), at.t().contiguous())[0],
    )


def test_lfilter_does_not_mutate():
    x, a, b, zi = (
        make_signal((2, 100)),
        _t([2.0, -0.5]),
        _t([1.0, 1.0]),
        torch.ones(2, 1, dtype=torch.float64),
    )
    copies = [t.clone() for t in (x, a, b, zi)]
    lfilter(x, a, b, zi)
    for t, c in zip((x, a, b, zi), copies, strict=False):
        assert torch.equal(t, c)


def test_lfilter_bad_input():
    x = make_signal((2, 100))
    with pytest.raises(ValueError, match=r"a\[\.\.\., 0\]"):
        lfilter(x, _t([0.0, 1.0]), _t([1.0, 1.0]))
    with pytest.raises(ValueError, match="zi must have shape"):
        lfilter(x, _t([1.0, 0.5]), _t([1.0]), torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="do not broadcast"):
        lfilter(x, torch.ones(3, 2, dtype=torch.float64), _t([1.0]))
    with pytest.raises(TypeError, match="x must be a floating-point"):
        lfilter(torch.ones(2, 10, dtype=torch.int16), _t([1.0]), _t([1.0]))
    with pytest.raises(ValueError, match="taps"):
        lfilter(x, torch.zeros(0, dtype=torch.float64), _t([1.0]))
    with pytest.raises(ValueError, match="a and b must have one row"):
        torch.ops.sonix.lfilter(
            x, torch.ones(1, 2, dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64), None
        )
    with pytest.raises(ValueError, match="not a stable filter"):
        check_stability(_t([1.0, -2.5, 1.0]))
    check_stability(_t(ss.butter(4, 0.1)[1]))


def test_unstable_filter_documented_behaviour():
    """Poles outside the unit circle: the op computes the growing recurrence; no NaN from stable input."""
    x = torch.zeros(1, 50, dtype=torch.float64)
    x[0, 0] = 1.0
    y, _ = lfilter(x, _t([1.0, -1.1]), _t([1.0]))
    torch.testing.assert_close(y[0], 1.1 ** torch.arange(50, dtype=torch.float64))


# ---- sosfilt / filtfilt --------------------------------------------------------------------------


@given(
    order=st.integers(1, 8),
    btype=st.sampled_from(["lowpass", "highpass"]),
    length=st.sampled_from([1, 7, 600]),
)
def test_sosfilt_matches_scipy(order, btype, length):
    sos = ss.butter(order, 0.13, btype, output="sos")
    x = make_signal((2, length)).numpy()
    zi = np.random.default_rng(order).standard_normal((sos.shape[0], 2, 2))
    want, want_zf = ss.sosfilt(sos, x, zi=zi)
    got, zf = F.sosfilt(_t(x), _t(sos), _t(zi))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zf.numpy(), want_zf, rtol=1e-9, atol=1e-9)


def test_sosfilt_butter6_float32_accuracy():
    """6th-order Butterworth in float32: max error <= 1e-4 of the float64 output's peak."""
    sr = 44100
    sos = ss.butter(6, 1000, fs=sr, output="sos")
    x = make_signal((2, sr), sr=sr).numpy()
    want = ss.sosfilt(sos, x)
    got = F.sosfilt(torch.from_numpy(x).float(), torch.from_numpy(sos).float())
    assert got.dtype == torch.float32
    assert np.abs(got.double().numpy() - want).max() / np.abs(want).max() <= 1e-4


def test_sosfilt_per_example_and_grad():
    sos = F.butter_sos(2, torch.tensor([500.0, 3000.0], dtype=torch.float64), fs=16000)  # (2, 1, 6)
    x = make_signal((2, 300))
    y = F.sosfilt(x, sos)
    for i in range(2):
        np.testing.assert_allclose(
            y[i].numpy(), ss.sosfilt(sos[i].numpy(), x[i].numpy()), rtol=1e-9, atol=1e-9
        )
    sos_s = sos[:, :, :].clone().requires_grad_()
    xs = x[:, :20].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x, s: F.sosfilt(x, s), (xs, sos_s))


@given(
    order=st.integers(1, 4),
    length=st.sampled_from([16, 101, 1000]),
    lead=st.sampled_from([(), (2,), (2, 2)]),
)
def test_filtfilt_matches_scipy(order, length, lead):
    b, a = ss.butter(order, 0.2)
    x = make_signal(lead + (length,)).numpy()
    if length <= 3 * max(len(a), len(b)):
        with pytest.raises(ValueError, match="padlen"):
            F.filtfilt(_t(x), _t(b), _t(a))
        return
    np.testing.assert_allclose(
        F.filtfilt(_t(x), _t(b), _t(a)).numpy(), ss.filtfilt(b, a, x), rtol=1e-8, atol=1e-9
    )
    sos = ss.butter(order, 0.2, output="sos")
    np.testing.assert_allclose(
        F.sosfiltfilt(_t(x), _t(sos)).numpy(), ss.sosfiltfilt(sos, x), rtol=1e-8, atol=1e-9
    )


def test_filtfilt_grad():
    b, a = (_t(v).requires_grad_() for v in ss.butter(2, 0.3))
    x = torch.randn(2, 30, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, b, a: F.filtfilt(x, b, a), (x, b, a))


@given(order=st.integers(1, 6), seed=st.integers(0, 50))
def test_lfilter_zi_matches_scipy(order, seed):
    rng = np.random.default_rng(seed)
    a, b = stable_a(rng, order), rng.standard_normal(order + 1)
    np.testing.assert_allclose(
        F.lfilter_zi(_t(b), _t(a)).numpy(), ss.lfilter_zi(b, a), rtol=1e-9, atol=1e-10
    )
    sos = ss.butter(order, 0.3, output="sos")
    np.testing.assert_allclose(
        F.sosfilt_zi(_t(sos)).numpy(), ss.sosfilt_zi(sos), rtol=1e-9, atol=1e-10
    )


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize(
    "order,length", [(1, 1), (2, 5), (2, 1000), (3, 4097), (6, 300), (20, 999)]
)
def test_lfilter_cuda_matches_cpu(order, length, dtype):
    if order > 6 and dtype != torch.float64:
        pytest.skip("high-order direct form in low precision: CPU and GPU round differently")
    rng = np.random.default_rng(order)
    a = _t(np.stack([stable_a(rng, order, 0.9) for _ in range(3)])).to(dtype)
    b = _t(rng.standard_normal((3, order + 1))).to(dtype)
    x = make_signal((2, 3, length)).to(dtype)
    zi = torch.randn(2, 3, order, dtype=torch.float64)
    args = [t.clone().requires_grad_() for t in (x, a, b)] + [zi.clone().requires_grad_()]
    argc = [t.detach().cuda().requires_grad_() for t in args]
    y, zf = lfilter(*args)
    yc, zfc = lfilter(*argc)
    tol = {torch.float64: 1e-10, torch.float32: 1e-4, torch.float16: 2e-3}[dtype]
    if order > 6:  # a 20th-order direct form amplifies rounding: the CPU and CUDA sums differ at 2e-10
        tol *= 10
    torch.testing.assert_close(yc.cpu(), y, rtol=tol, atol=tol)
    torch.testing.assert_close(zfc.cpu(), zf, rtol=tol, atol=tol)
    gy, gz = torch.randn_like(y), torch.randn_like(zf)
    grads = torch.autograd.grad((y * gy).sum() + (zf * gz).sum(), args)
    gradc = torch.autograd.grad((yc * gy.cuda()).sum() + (zfc * gz.cuda()).sum(), argc)
    for g, gc in zip(grads, gradc, strict=False):
        scale = g.abs().max().clamp(min=1)
        torch.testing.assert_close(gc.cpu() / scale, g / scale, rtol=tol * 10, atol=tol * 10)


def test_lfilter_matches_plain_torch_reference():
    """Per-example coefficients and states against the plain-torch oracle (sonix.reference.filters)."""
    from sonix.reference import filters as ref

    rng = np.random.default_rng(7)
    a = _t(np.stack([stable_a(rng, 3) for _ in range(4)]))
    b = _t(rng.standard_normal((4, 4)))
    x = make_signal((2, 4, 157))
    zi = torch.randn(2, 4, 3, dtype=torch.float64)
    y, zf = lfilter(x, a, b, zi)
    y_ref, zf_ref = ref.lfilter(x, a, b, zi)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(zf, zf_ref, rtol=1e-10, atol=1e-10)
    sos = F.butter_sos(4, 0.2)
    torch.testing.assert_close(F.sosfilt(x, sos), ref.sosfilt(x, sos), rtol=1e-10, atol=1e-10)
