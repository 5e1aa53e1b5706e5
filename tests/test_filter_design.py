"""Filter design (RBJ biquads, Butterworth SOS, emphasis) and the torchaudio drop-ins."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
import torch
from conftest import make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F

torchaudio = pytest.importorskip("torchaudio")
TAF = torchaudio.functional


@given(
    order=st.integers(1, 10),
    btype=st.sampled_from(["lowpass", "highpass", "bandpass", "bandstop"]),
    lo=st.floats(0.01, 0.45),
    width=st.floats(0.02, 0.5),
    fs=st.sampled_from([2.0, 16000.0, 44100.0]),
)
def test_butter_sos_matches_scipy(order, btype, lo, width, fs):
    band = btype in ("bandpass", "bandstop")
    wn = (lo * fs / 2, min(lo + width, 0.95) * fs / 2) if band else lo * fs / 2
    want = ss.butter(order, wn, btype, fs=fs, output="sos")
    got = F.butter_sos(order, wn, btype, fs=fs)
    assert got.shape == want.shape and got.dtype == torch.float64
    _, h_want = ss.sosfreqz(want, 512)
    _, h_got = ss.sosfreqz(got.numpy(), 512)
    np.testing.assert_allclose(np.abs(h_got), np.abs(h_want), rtol=1e-6, atol=1e-9)
    # Band edges symmetric about fs / 4 make pole distances tie: scipy's greedy zero pairing then
    # picks another (equivalent) split of the zeros over the sections.
    if not (btype == "bandpass" and abs(lo + min(lo + width, 0.95) - 1) < 0.02):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-7, atol=1e-7)


def test_butter_sos_per_example():
    fc = torch.tensor([300.0, 1000.0, 5000.0], dtype=torch.float32)
    sos = F.butter_sos(5, fc, "highpass", fs=16000)
    assert sos.shape == (3, 3, 6) and sos.dtype == torch.float32
    for i, f in enumerate(fc.tolist()):
        np.testing.assert_allclose(
            sos[i].numpy(),
            ss.butter(5, f, "highpass", fs=16000, output="sos"),
            rtol=1e-5,
            atol=1e-7,
        )
    band = F.butter_sos(
        2, (torch.tensor([100.0, 200.0]), torch.tensor([1000.0, 3000.0])), "bandstop", fs=16000
    )
    np.testing.assert_allclose(
        band[1].numpy(),
        ss.butter(2, (200.0, 3000.0), "bandstop", fs=16000, output="sos"),
        rtol=1e-6,
    )


def test_butter_sos_bad_input():
    with pytest.raises(ValueError, match="order"):
        F.butter_sos(0, 0.2)
    with pytest.raises(ValueError, match="cutoff must be in"):
        F.butter_sos(2, 9000.0, fs=16000)
    with pytest.raises(ValueError, match="low < high"):
        F.butter_sos(2, (0.5, 0.2), "bandpass")
    with pytest.raises(ValueError, match="btype"):
        F.butter_sos(2, 0.2, "notch")


_DROPINS = [
    ("lowpass_biquad", (16000, 1500.0), {}),
    ("lowpass_biquad", (44100, 1000.0, 2.0), {}),
    ("highpass_biquad", (16000, 300.0), {}),
    ("bandpass_biquad", (16000, 1000.0, 1.5), {}),
    ("bandpass_biquad", (16000, 1000.0, 1.5, True), {}),
    ("bandreject_biquad", (16000, 2000.0), {}),
    ("allpass_biquad", (16000, 700.0, 0.9), {}),
    ("equalizer_biquad", (16000, 1000.0, 6.0, 1.2), {}),
    ("band_biquad", (16000, 1200.0, 2.0), {}),
    ("band_biquad", (16000, 1200.0, 2.0, True), {}),
    ("treble_biquad", (16000, -4.0), {}),
    ("bass_biquad", (16000, 5.0, 150.0), {}),
]


@pytest.mark.parametrize("name,args,kw", _DROPINS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_biquad_dropins_match_torchaudio(name, args, kw, dtype):
    x = (make_signal((2, 3001)) * 0.4).to(dtype)
    want = getattr(TAF, name)(x, *args, **kw)
    got = getattr(F, name)(x, *args, **kw)
    assert got.dtype == want.dtype and got.shape == want.shape
    tol = 1e-10 if dtype == torch.float64 else 2e-5
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("batching", [True, False])
def test_lfilter_dropin_matches_torchaudio(batching):
    x = make_signal((2, 3, 1000))
    a = torch.tensor([[1.0, -1.2, 0.5], [1.0, 0.3, 0.1], [2.0, -0.5, 0.0]], dtype=torch.float64)
    b = torch.tensor([[0.4, 0.2, 0.1], [1.0, 0.0, 0.0], [0.5, 0.5, 0.5]], dtype=torch.float64)
    for clamp in (True, False):
        want = TAF.lfilter(x, a, b, clamp=clamp, batching=batching)
        got = F.lfilter(x, a, b, clamp=clamp, batching=batching)
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(F.lfilter(x, a[0], b[0]), TAF.lfilter(x, a[0], b[0]))
    with pytest.raises(ValueError, match="same shape"):
        F.lfilter(x, a, b[:, :2])


def test_biquad_dropin_gradients_match_torchaudio():
    x = (make_signal((2, 400)) * 0.3).requires_grad_()
    a = torch.tensor([1.0, -1.1, 0.4], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.2, 0.3, 0.1], dtype=torch.float64, requires_grad=True)
    g1 = torch.autograd.grad(TAF.lfilter(x, a, b, clamp=False).square().sum(), (x, a, b))
    g2 = torch.autograd.grad(F.lfilter(x, a, b, clamp=False).square().sum(), (x, a, b))
    for u, v in zip(g1, g2, strict=False):
        torch.testing.assert_close(v, u, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "kind",
    [
        "lowpass",
        "highpass",
        "bandpass",
        "bandpass_skirt",
        "bandreject",
        "allpass",
        "peaking",
        "lowshelf",
        "highshelf",
    ],
)
def test_per_example_biquads(kind):
    """Tensor parameters (batch,) give (batch, 3) coefficients; filtering them equals a Python loop."""
    fc = torch.tensor([200.0, 1000.0, 3000.0, 6000.0], dtype=torch.float64)
    q = torch.tensor([0.5, 0.707, 2.0, 4.0], dtype=torch.float64)
    gain = torch.tensor([-6.0, 3.0, 9.0, -12.0], dtype=torch.float64)
    b, a = F.biquad_coeffs(kind, 16000, fc, q, gain)
    assert b.shape == a.shape == (4, 3)
    x = make_signal((4, 800))
    y = F.lfilter(x, a, b, clamp=False)
    for i in range(4):
        bi, ai = F.biquad_coeffs(kind, 16000, float(fc[i]), float(q[i]), float(gain[i]))
        np.testing.assert_allclose(
            y[i].numpy(), ss.lfilter(bi.numpy(), ai.numpy(), x[i].numpy()), rtol=1e-9, atol=1e-10
        )
    F.check_stability(a)


def test_biquad_design_grad_through_parameters():
    fc = torch.tensor([500.0, 2000.0], dtype=torch.float64, requires_grad=True)
    x = make_signal((2, 64))

    def f(fc):
        b, a = F.biquad_coeffs("peaking", 16000, fc, 1.0, 6.0)
        return F.lfilter(x, a, b, clamp=False)

    assert torch.autograd.gradcheck(f, (fc,))


def test_emphasis_roundtrip():
    x = make_signal((2, 500))
    b, a = F.preemphasis_coeffs(0.97)
    y = F.lfilter(x, a, b, clamp=False)
    np.testing.assert_allclose(
        y.numpy(), ss.lfilter([1, -0.97], [1], x.numpy()), rtol=1e-12, atol=1e-12
    )
    b2, a2 = F.deemphasis_coeffs(0.97)
    torch.testing.assert_close(F.lfilter(y, a2, b2, clamp=False), x)


def test_biquad_design_bad_input():
    with pytest.raises(ValueError, match="freq must be in"):
        F.biquad_coeffs("lowpass", 16000, 9000.0)
    with pytest.raises(ValueError, match="Q must be > 0"):
        F.biquad_coeffs("lowpass", 16000, 1000.0, 0.0)
    with pytest.raises(ValueError, match="kind must be"):
        F.biquad_coeffs("comb", 16000, 1000.0)


def test_dropins_on_device(device):
    x = (make_signal((2, 3, 999)) * 0.4).float()
    want = TAF.equalizer_biquad(x, 16000, 1000.0, 6.0, 1.2)
    got = F.equalizer_biquad(x.to(device), 16000, 1000.0, 6.0, 1.2)
    torch.testing.assert_close(got.cpu(), want, rtol=2e-5, atol=2e-5)
    sos = F.butter_sos(4, (300.0, 3000.0), "bandpass", fs=16000, device=device)
    assert sos.device.type == torch.device(device).type
    y = F.sosfiltfilt(x.to(device), sos.float())
    np.testing.assert_allclose(
        y.cpu().double().numpy(), ss.sosfiltfilt(sos.cpu().numpy(), x.double().numpy()), atol=1e-4
    )
