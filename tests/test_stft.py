"""stft / istft: against torch.stft / torch.istft and librosa in float64, autograd, opcheck, compile."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
from sonix.reference import spectral as ref

N_FFTS = st.sampled_from([16, 30, 64, 100, 128, 255, 256, 400, 512])


def _window(win_length, dtype=torch.float64, device="cpu"):
    return torch.hann_window(win_length, dtype=dtype, device=device)


def _torch_stft(x, n_fft, hop, win_length, window, center, pad_mode, normalized=False, onesided=True):
    x2 = x.reshape(-1, x.shape[-1])
    out = torch.stft(
        x2, n_fft, hop, win_length, window, center, pad_mode, normalized, onesided, return_complex=True
    )
    return out.reshape(x.shape[:-1] + out.shape[-2:])


@given(
    n_fft=N_FFTS,
    hop_frac=st.sampled_from([0.25, 0.5, 0.37, 1.0]),
    win_frac=st.sampled_from([1.0, 0.75, 0.5]),
    center=st.booleans(),
    pad_mode=st.sampled_from(["reflect", "constant", "replicate", "circular"]),
    length=st.integers(600, 3001),
    lead=st.sampled_from([(1,), (2,), (2, 3), ()]),
    normalized=st.booleans(),
    onesided=st.booleans(),
)
def test_stft_matches_torch(n_fft, hop_frac, win_frac, center, pad_mode, length, lead, normalized, onesided):
    hop = max(1, int(n_fft * hop_frac))
    win = max(1, int(n_fft * win_frac))
    x = make_signal(lead + (length,))
    w = _window(win)
    got = F.stft(x, n_fft, hop, win, w, center, pad_mode, normalized, onesided)
    want = _torch_stft(x, n_fft, hop, win, w, center, pad_mode, normalized, onesided)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@given(length=st.integers(1, 130), n_fft=st.sampled_from([64, 100, 256]), pad_mode=st.sampled_from(["reflect", "constant"]))
def test_stft_shorter_than_n_fft(length, n_fft, pad_mode):
    """Signals shorter than n_fft (and than the pad) work with center=True, reflect mirrors like numpy."""
    x = make_signal((2, length))
    w = _window(n_fft)
    got = F.stft(x, n_fft, n_fft // 4, window=w, pad_mode=pad_mode)
    power = ref.spectrogram(x, w, n_fft, n_fft // 4, True, pad_mode, 2.0)
    torch.testing.assert_close(got.abs() ** 2, power, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_fft,hop,center,pad_mode", [(2048, 512, True, "constant"), (1000, 250, True, "reflect"), (512, 100, False, "constant")])
def test_stft_matches_librosa(n_fft, hop, center, pad_mode):
    librosa = pytest.importorskip("librosa")
    x = make_signal((2, 22050), sr=22050)
    want = librosa.stft(x.numpy(), n_fft=n_fft, hop_length=hop, center=center, pad_mode=pad_mode, dtype=np.complex128)
    w = torch.from_numpy(librosa.filters.get_window("hann", n_fft, fftbins=True))
    got = F.stft(x, n_fft, hop, window=w, center=center, pad_mode=pad_mode)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9)


def test_stft_float32_relative_error():
    """float32 STFT error vs float64 <= 1e-5 relative to the spectrum's peak."""
    x = make_signal((3, 44100), sr=44100)
    w = _window(2048)
    want = F.stft(x, 2048, 512, window=w)
    got = F.stft(x.float(), 2048, 512, window=w.float())
    assert got.dtype == torch.complex64
    err = (got.to(torch.complex128) - want).abs().max() / want.abs().max()
    assert err <= 1e-5


def test_stft_non_contiguous_input():
    wide = make_signal((4, 6000))
    x = wide[::2, 100:5100]  # strided rows and an offset
    assert not x.is_contiguous()
    w = _window(256)
    torch.testing.assert_close(F.stft(x, 256, 64, window=w), F.stft(x.contiguous(), 256, 64, window=w))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_stft_half_precision_error_bounded(dtype):
    """Half inputs compute in float32; the error vs float64 is at most 2x that of rounding the input."""
    x = make_signal((2, 8000))
    w = _window(512)
    want = F.stft(x, 512, 128, window=w)
    got = F.stft(x.to(dtype), 512, 128, window=w.float())
    baseline = torch.stft(x.to(dtype).double(), 512, 128, window=w, return_complex=True)
    err = (got.to(torch.complex128) - want).abs().max()
    err_torch = (baseline - want).abs().max()
    assert got.dtype == torch.complex64
    assert err <= 2 * err_torch + 1e-6


@given(
    n_fft=st.sampled_from([64, 100, 256, 512]),
    hop_frac=st.sampled_from([0.25, 0.5]),
    length=st.integers(520, 2500),
    center=st.booleans(),
)
def test_istft_round_trip_and_matches_torch(n_fft, hop_frac, length, center):
    hop = int(n_fft * hop_frac)
    x = make_signal((2, length))
    w = _window(n_fft) + (0.0 if center else 0.1)  # uncentred: the window must not vanish at the ends (NOLA)
    spec = F.stft(x, n_fft, hop, window=w, center=center)
    if center:
        y = F.istft(spec, n_fft, hop, window=w, center=center, length=length)
        torch.testing.assert_close(y, x, rtol=1e-10, atol=1e-10)
    want = torch.istft(spec, n_fft, hop, window=w, center=center)
    got = F.istft(spec, n_fft, hop, window=w, center=center)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_istft_float32_round_trip():
    x = make_signal((2, 3, 16000), dtype=torch.float32)
    w = _window(1024, torch.float32)
    y = F.istft(F.stft(x, 1024, 256, window=w), 1024, 256, window=w, length=16000)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert (y - x).abs().max() / x.abs().max() <= 1e-5


def test_istft_longer_length_zero_pads_like_torch():
    x = make_signal((1, 1000))
    w = _window(128)
    spec = F.stft(x, 128, 32, window=w)
    torch.testing.assert_close(
        F.istft(spec, 128, 32, window=w, length=1200), torch.istft(spec, 128, 32, window=w, length=1200)
    )


def test_istft_two_sided():
    x = make_signal((2, 1000))
    w = _window(128)
    spec = F.stft(x, 128, 32, window=w, onesided=False)
    torch.testing.assert_close(
        F.istft(spec, 128, 32, window=w, onesided=False, length=1000), x, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (True, "constant"), (False, "reflect"), (True, "circular")])
@pytest.mark.parametrize("onesided", [True, False])
def test_stft_gradcheck(center, pad_mode, onesided):
    x = make_signal((2, 201)).requires_grad_()
    w = _window(64)
    assert torch.autograd.gradcheck(lambda x: F.stft(x, 64, 16, 48, w[:48], center, pad_mode, False, onesided), (x,))


def test_stft_gradcheck_short_reflect():
    x = make_signal((1, 13)).requires_grad_()  # shorter than the pad: repeated mirroring
    assert torch.autograd.gradcheck(lambda x: F.stft(x, 64, 16, window=_window(64)), (x,))


@pytest.mark.parametrize("onesided", [True, False])
def test_istft_gradcheck(onesided):
    w = _window(64)
    spec = F.stft(make_signal((2, 300)), 64, 16, window=w, onesided=onesided).requires_grad_()
    assert torch.autograd.gradcheck(lambda s: F.istft(s, 64, 16, window=w, onesided=onesided, length=310), (spec,))


def test_stft_gradients_match_torch_float32():
    x = make_signal((2, 4000), dtype=torch.float32)
    w = _window(512, torch.float32)
    x1 = x.clone().requires_grad_()
    x2 = x.clone().requires_grad_()
    F.stft(x1, 512, 128, window=w).abs().pow(2).sum().backward()
    torch.stft(x2, 512, 128, window=w, return_complex=True).abs().pow(2).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-4, atol=1e-3)


def test_opcheck_stft_istft(device):
    x = make_signal((2, 500)).to(device)
    w = _window(64, device=device)
    torch.library.opcheck(torch.ops.sonix.stft.default, (x.float().requires_grad_(), w.float(), 64, 16, True, "reflect", True))
    spec = F.stft(x, 64, 16, window=w)
    torch.library.opcheck(torch.ops.sonix.istft.default, (spec.requires_grad_(), w, 64, 16, True, True, -1))
    torch.library.opcheck(torch.ops.sonix.stft_backward.default, (spec.detach(), w, 64, 16, True, "reflect", True, 500))
    torch.library.opcheck(torch.ops.sonix.istft_backward.default, (x, w, 64, 16, True, True, spec.shape[-1]))


def test_stft_device_round_trip(device):
    x = make_signal((2, 3000), dtype=torch.float32)
    w = _window(256, torch.float32)
    got = F.stft(x.to(device), 256, 64, window=w.to(device)).cpu()
    torch.testing.assert_close(got, F.stft(x, 256, 64, window=w), rtol=1e-5, atol=1e-4)


def test_compile_dynamic_lengths_no_recompile():
    from torch._dynamo.testing import CompileCounterWithBackend

    torch._dynamo.reset()
    cnt = CompileCounterWithBackend("aot_eager")
    w = _window(256, torch.float32)

    def fn(x):
        spec = F.stft(x, 256, 64, window=w)
        return F.istft(spec, 256, 64, window=w, length=x.shape[-1])

    cf = torch.compile(fn, backend=cnt, fullgraph=True, dynamic=True)
    with torch._dynamo.config.patch(error_on_recompile=True):
        for n in (3000, 4001, 5123):
            x = make_signal((2, n), dtype=torch.float32, seed=n)
            torch.testing.assert_close(cf(x), fn(x))
    assert cnt.frame_count >= 1  # fullgraph: no graph break; error_on_recompile: no recompile
