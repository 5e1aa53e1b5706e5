"""Fused spectrogram -> mel -> log: against the plain-torch reference and librosa, autograd, opcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
from sonix import LogSpec
from sonix.reference import spectral as ref

LOGS = [None, LogSpec.db(10.0, 1e-10, 1.0), LogSpec.db(20.0, 1e-5, 0.5), LogSpec.log("e", 1e-6), LogSpec.log("10", 1e-10)]


def _log_tuple(log):
    return None if log is None else (log.scale, log.offset, log.amin, log.bias)


@given(
    n_fft=st.sampled_from([32, 100, 128, 255, 400, 512, 1024]),
    hop_frac=st.sampled_from([0.25, 0.5, 0.33, 1.0]),
    n_mels=st.integers(1, 64),
    fmin=st.sampled_from([0.0, 20.0, 300.0]),
    fmax_frac=st.sampled_from([1.0, 0.8, 0.5]),
    center=st.booleans(),
    pad_mode=st.sampled_from(["reflect", "constant"]),
    power=st.sampled_from([2.0, 1.0, 0.5]),
    log_idx=st.integers(0, len(LOGS) - 1),
    length=st.integers(1, 3000),
    lead=st.sampled_from([(1,), (3,), (2, 2), ()]),
    slaney=st.booleans(),
)
def test_fused_matches_reference(
    n_fft, hop_frac, n_mels, fmin, fmax_frac, center, pad_mode, power, log_idx, length, lead, slaney
):
    if not center and length < n_fft:
        length = n_fft + length % 7
    sr = 16000
    hop = max(1, int(n_fft * hop_frac))
    x = make_signal(lead + (length,), sr=sr)
    w = torch.hann_window(n_fft, dtype=torch.float64)
    fb = F.melscale_fbanks(
        n_fft // 2 + 1, fmin, sr / 2 * fmax_frac, n_mels, sr, "slaney" if slaney else None,
        "slaney" if slaney else "htk", dtype=torch.float64,
    )
    log = LOGS[log_idx]
    got = F.mel_spectrogram(x, sr, n_fft, hop_length=hop, mel_fb=fb, window=w, center=center, pad_mode=pad_mode, power=power, log=log)
    want = ref.mel_spectrogram(x, w, fb, n_fft, hop, center, pad_mode, power, _log_tuple(log))
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("power", [2.0, 1.0])
def test_plain_spectrogram_matches_reference(power):
    x = make_signal((2, 5000))
    w = torch.hann_window(300, dtype=torch.float64)
    got = F.spectrogram(x, 512, 128, 300, w, power=power)
    want = ref.spectrogram(x, torch.nn.functional.pad(w, (106, 106)), 512, 128, True, "reflect", power)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


@pytest.fixture(scope="module")
def librosa():
    return pytest.importorskip("librosa")


@pytest.mark.parametrize(
    "sr,n_fft,hop,n_mels,fmin,fmax,htk,norm",
    [(22050, 2048, 512, 128, 0.0, None, False, "slaney"), (16000, 400, 160, 80, 0.0, 8000.0, False, "slaney"), (44100, 1000, 300, 40, 50.0, 16000.0, True, None)],
)
def test_log_mel_matches_librosa(librosa, sr, n_fft, hop, n_mels, fmin, fmax, htk, norm):
    """float64: exact; float32 compute: log-mel within 1e-3 dB, mel power within 1e-4 relative."""
    y = make_signal((2, 3 * sr), sr=sr)
    mel_ref = librosa.feature.melspectrogram(
        y=y.numpy(), sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=np.float64
    )
    db_ref = np.stack([librosa.power_to_db(m, ref=1.0, amin=1e-10, top_db=80.0) for m in mel_ref])
    fb = F.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype=torch.float64).t()
    w = torch.hann_window(n_fft, dtype=torch.float64)
    kw = dict(hop_length=hop, mel_fb=fb, window=w, pad_mode="constant")
    mel64 = F.mel_spectrogram(y, sr, n_fft, **kw)
    np.testing.assert_allclose(mel64.numpy(), mel_ref, rtol=1e-9, atol=1e-12 * mel_ref.max())
    mel32 = F.mel_spectrogram(y.float(), sr, n_fft, **{**kw, "mel_fb": fb.float(), "window": w.float()})
    significant = mel_ref > 1e-6 * mel_ref.max()
    rel = np.abs(mel32.double().numpy() - mel_ref)[significant] / mel_ref[significant]
    assert rel.max() <= 1e-4
    db32 = F.mel_spectrogram(
        y.float(), sr, n_fft, **{**kw, "mel_fb": fb.float(), "window": w.float()}, log=LogSpec.db(), top_db=80.0
    )
    assert np.abs(db32.double().numpy() - db_ref).max() <= 1e-3


def test_mfcc_matches_librosa(librosa):
    sr = 22050
    y = make_signal((2, 2 * sr), sr=sr)
    want = np.stack([librosa.feature.mfcc(y=yy, sr=sr, n_mfcc=20, lifter=22, dtype=np.float64) for yy in y.numpy()])
    fb = F.mel_filterbank(sr, 2048, 128, dtype=torch.float64).t()
    w = torch.hann_window(2048, dtype=torch.float64)
    for dtype, tol in [(torch.float64, 1e-9), (torch.float32, 1e-3)]:
        db = F.mel_spectrogram(
            y.to(dtype), sr, 2048, hop_length=512, mel_fb=fb.to(dtype), window=w.to(dtype), pad_mode="constant",
            log=LogSpec.db(), top_db=80.0,
        )
        got = F.mfcc_from_db(db, F.create_dct(20, 128, "ortho", dtype=dtype), lifter=22)
        assert np.abs(got.double().numpy() - want).max() <= tol


@pytest.mark.parametrize("power", [2.0, 1.0, 1.5])
@pytest.mark.parametrize("log", [None, LogSpec.db(), LogSpec.log("e", 1e-3, 1e-2)])
def test_fused_gradcheck(power, log):
    x = make_signal((1, 2, 90)).requires_grad_()
    w = torch.hann_window(64, dtype=torch.float64)
    fb = F.melscale_fbanks(33, 0.0, 8000.0, 12, 16000, "slaney", dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: F.mel_spectrogram(x, 16000, 64, hop_length=16, mel_fb=fb, window=w, power=power, log=log), (x,)
    )


@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (True, "constant"), (False, "reflect")])
def test_spectrogram_gradcheck(center, pad_mode):
    x = make_signal((1, 2, 100)).requires_grad_()
    w = torch.hann_window(48, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: F.spectrogram(x, 64, 20, 48, w, center=center, pad_mode=pad_mode), (x,))


def test_fused_gradient_matches_reference_float32():
    x = make_signal((3, 8000), dtype=torch.float32)
    w = torch.hann_window(512)
    fb = F.melscale_fbanks(257, 0.0, 8000.0, 64, 16000)
    log = LogSpec.db()
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    g = torch.randn(3, 64, 63, generator=torch.Generator().manual_seed(1))
    (F.mel_spectrogram(x1, 16000, 512, hop_length=128, mel_fb=fb, window=w, log=log) * g).sum().backward()
    (ref.mel_spectrogram(x2, w, fb, 512, 128, True, "reflect", 2.0, _log_tuple(log)) * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-3, atol=1e-3 * x2.grad.abs().max().item())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_error_bounded(dtype):
    """Half input, float32 compute, half output: error vs float64 <= 2x the error of torch's own
    float32 pipeline on the same half input, rounded to the same dtype."""
    x = make_signal((2, 16000))
    w = torch.hann_window(512, dtype=torch.float64)
    fb = F.melscale_fbanks(257, 0.0, 8000.0, 64, 16000, dtype=torch.float64)
    log = LogSpec.db()
    want = ref.mel_spectrogram(x, w, fb, 512, 128, True, "reflect", 2.0, _log_tuple(log))
    got = F.mel_spectrogram(x.to(dtype), 16000, 512, hop_length=128, mel_fb=fb.float(), window=w.float(), log=log)
    assert got.dtype == dtype
    base = ref.mel_spectrogram(x.to(dtype).float(), w.float(), fb.float(), 512, 128, True, "reflect", 2.0, _log_tuple(log)).to(dtype)
    err = (got.double() - want).abs().max()
    err_torch = (base.double() - want).abs().max()
    assert err <= 2 * err_torch


def test_opcheck_fused(device):
    x = make_signal((2, 700), dtype=torch.float32).to(device)
    w = torch.hann_window(128, device=device)
    fb = F.melscale_fbanks(65, 0.0, 8000.0, 16, 16000, device=device)
    log = LogSpec.db().args()
    op = torch.ops.sonix
    torch.library.opcheck(op.mel_spectrogram.default, (x.requires_grad_(), w, fb, 128, 32, True, "reflect", 2.0, *log))
    torch.library.opcheck(op.mel_spectrogram.default, (x, w, None, 128, 32, False, "constant", 1.0, False, 1.0, 0.0, 0.0, 0.0))
    g = torch.randn(2, 16, 22, device=device)
    torch.library.opcheck(op.mel_spectrogram_backward.default, (g, x.detach(), w, fb, 128, 32, True, "reflect", 2.0, *log))
    torch.library.opcheck(op.log_compress.default, (x.abs().detach().requires_grad_(), 4.3, 0.0, 1e-10, 0.0))
    torch.library.opcheck(op.log_compress_backward.default, (x.detach(), x.abs().detach(), 4.3, 0.0, 1e-10, 0.0))


def test_fused_device_matches_cpu(device):
    x = make_signal((2, 16000), dtype=torch.float32)
    w = torch.hann_window(400)
    fb = F.mel_filterbank(16000, 400, 80).t()
    kw = dict(hop_length=160, window=w, log=LogSpec.db(), top_db=80.0)
    want = F.mel_spectrogram(x, 16000, 400, mel_fb=fb, **kw)
    got = F.mel_spectrogram(x.to(device), 16000, 400, mel_fb=fb.to(device), **{**kw, "window": w.to(device)})
    torch.testing.assert_close(got.cpu(), want, rtol=1e-4, atol=1e-3)


def test_inputs_not_mutated_and_no_nan_invented():
    x = torch.zeros(2, 4000)  # digital silence: log of the floor, never NaN
    x[1, 1000:1100] = 0.5
    x_before = x.clone()
    x.requires_grad_()
    w = torch.hann_window(256)
    fb = F.melscale_fbanks(129, 0.0, 8000.0, 20, 16000)
    fb_before, w_before = fb.clone(), w.clone()
    for power in (2.0, 1.0):
        y = F.mel_spectrogram(x, 16000, 256, hop_length=64, mel_fb=fb, window=w, log=LogSpec.db(), power=power)
        y.sum().backward()
        assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    assert torch.equal(x.detach(), x_before) and torch.equal(fb, fb_before) and torch.equal(w, w_before)


def test_nan_propagates_only_where_it_is():
    x = make_signal((2, 4000), dtype=torch.float32)
    x[0, 2000] = float("nan")
    y = F.mel_spectrogram(x, 16000, 256, hop_length=64, window=torch.hann_window(256), log=LogSpec.db())
    nan_frames = torch.isnan(y[0]).any(dim=0).nonzero().flatten()
    covering = set(f for f in range(y.shape[-1]) if f * 64 - 128 <= 2000 < f * 64 + 128)
    assert set(nan_frames.tolist()) == covering
    assert not torch.isnan(y[1]).any()


def test_power_to_db_matches_librosa(librosa):
    S = make_signal((3, 50, 40)).abs() ** 2
    for ref_val, top_db in [(1.0, 80.0), (0.3, None), (1.0, 30.0)]:
        got = F.power_to_db(S, ref=ref_val, top_db=top_db)
        want = np.stack([librosa.power_to_db(s.numpy(), ref=ref_val, top_db=top_db) for s in S])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    got = F.amplitude_to_db(S.sqrt(), ref="max")
    want = np.stack([librosa.amplitude_to_db(s.numpy(), ref=np.max) for s in S.sqrt()])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)


def test_compile_fused_fullgraph_dynamic():
    from torch._dynamo.testing import CompileCounterWithBackend

    torch._dynamo.reset()
    cnt = CompileCounterWithBackend("aot_eager")
    w = torch.hann_window(400)
    fb = F.mel_filterbank(16000, 400, 80).t()

    def fn(x):
        return F.mel_spectrogram(x, 16000, 400, hop_length=160, mel_fb=fb, window=w, log=LogSpec.db(), top_db=80.0)

    cf = torch.compile(fn, backend=cnt, fullgraph=True, dynamic=True)
    with torch._dynamo.config.patch(error_on_recompile=True):
        for n in (8000, 9001, 12345):
            x = make_signal((2, n), dtype=torch.float32, seed=n).requires_grad_()
            y = cf(x)
            torch.testing.assert_close(y, fn(x))
            y.sum().backward()
    assert cnt.frame_count >= 1  # fullgraph: no graph break; error_on_recompile: no recompile


def test_compile_inductor_log_mel():
    torch._dynamo.reset()
    w = torch.hann_window(512)
    fb = F.melscale_fbanks(257, 0.0, 8000.0, 64, 16000)

    def fn(x):
        return F.mel_spectrogram(x, 16000, 512, hop_length=128, mel_fb=fb, window=w, log=LogSpec.db(), top_db=80.0)

    x = make_signal((2, 6000), dtype=torch.float32)
    torch.testing.assert_close(torch.compile(fn, fullgraph=True)(x), fn(x))


def test_log_compress_float32_accuracy_and_special_values():
    """The vectorised CPU log: <= 1 ulp-ish on positive normals; zero, negatives, subnormals, inf and
    NaN behave as torch.log(torch.clamp(x + offset, min=amin))."""
    x = torch.cat(
        [
            torch.logspace(-37, 38, 20000, dtype=torch.float64),
            torch.tensor([0.0, -1.0, float("nan"), float("inf"), 1e-40, 1.0, 2.0**-126]),
        ]
    ).float()
    for offset, amin in [(0.0, 0.0), (0.0, 1e-10), (1e-6, 0.0)]:
        got = torch.ops.sonix.log_compress(x, 1.0, offset, amin, 0.0)
        want = torch.log(torch.clamp(x.double() + offset, min=amin)).float()
        torch.testing.assert_close(got, want, rtol=2e-7, atol=1e-6, equal_nan=True)
