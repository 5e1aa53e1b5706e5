"""sonix.compat.librosa against librosa 0.11: values (float64 and float32), argument names and
defaults, numpy-in / numpy-out dtypes, tensor-in / tensor-out devices."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch

from sonix.compat import librosa as sl

librosa = pytest.importorskip("librosa")

DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
    ),
]


def _signal(
    shape: tuple[int, ...], sr: float = 22050.0, dtype=np.float64, seed: int = 0
) -> np.ndarray:
    """Seeded sines (a different fundamental per row, with harmonics) plus white noise: (..., n)."""
    rng = np.random.default_rng(seed)
    t = np.arange(shape[-1]) / sr
    rows = math.prod(shape[:-1])
    out = np.empty((rows, shape[-1]))
    for r in range(rows):
        f0 = 110.0 * (1 + r % 5) + 17.0 * r
        out[r] = sum(0.5 / k * np.sin(2 * np.pi * f0 * k * t + k + r) for k in range(1, 6))
        out[r] += 0.02 * rng.standard_normal(shape[-1])
    return out.reshape(shape).astype(dtype)


Y64 = _signal((22050 + 123,))
Y2 = _signal((2, 11025 + 77), seed=1)
Y2[1] *= 1e-3  # a quiet channel: top_db is taken over the whole array


def _close(ours, theirs, rtol: float) -> None:
    """Same type, dtype and shape; |a - b| <= rtol * max|b|."""
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0.0, atol=rtol * np.abs(theirs).max())


# ---- signatures -----------------------------------------------------------------------------------

FUNCS = [
    "stft",
    "istft",
    "power_to_db",
    "amplitude_to_db",
    "filters.mel",
    "filters.get_window",
    "feature.melspectrogram",
    "feature.mfcc",
]


def _get(mod, path: str):
    for part in path.split("."):
        mod = getattr(mod, part)
    return mod


@pytest.mark.parametrize("path", FUNCS)
def test_same_arguments_and_defaults_as_librosa(path):
    ours = inspect.signature(_get(sl, path)).parameters
    theirs = inspect.signature(_get(librosa, path)).parameters
    extra = set(ours) - set(theirs)
    assert extra <= {"device"}, extra  # filters.mel(device=...) is a sonix extension
    assert [p for p in ours if p in theirs] == list(theirs)
    for p in theirs:
        assert ours[p].kind == theirs[p].kind, p
        assert ours[p].default == theirs[p].default, p


# ---- stft / istft ---------------------------------------------------------------------------------

STFT_CASES = [
    {},
    {"n_fft": 512, "hop_length": 100},
    {"n_fft": 512, "win_length": 300, "window": "hamming"},
    {"n_fft": 256, "window": "blackman", "pad_mode": "reflect"},
    {"n_fft": 256, "window": "boxcar", "pad_mode": "edge"},
    {"n_fft": 255, "window": "ones", "pad_mode": "symmetric"},
    {"n_fft": 256, "pad_mode": "linear_ramp"},
    {"n_fft": 400, "window": ("kaiser", 8.0), "center": False},
    {"n_fft": 256, "window": np.hanning(256)},
    {"n_fft": 256, "window": lambda n: np.bartlett(n + 1)[:-1]},
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stft_matches_librosa(kwargs, dtype):
    y = Y2.astype(dtype)
    ours, theirs = sl.stft(y, **kwargs), librosa.stft(y, **kwargs)
    assert theirs.dtype == (np.complex128 if dtype == np.float64 else np.complex64)
    _close(ours, theirs, 1e-12 if dtype == np.float64 else 2e-6)


def test_stft_dtype_and_out():
    y = Y64.astype(np.float32)
    ours = sl.stft(y, n_fft=512, dtype=np.complex128)
    theirs = librosa.stft(y, n_fft=512, dtype=np.complex128)
    _close(ours, theirs, 1e-12)  # complex128 output computes in float64, as librosa does
    out = np.zeros((257, ours.shape[-1] + 5), dtype=np.complex128)
    view = sl.stft(y, n_fft=512, dtype=np.complex128, out=out)
    assert np.shares_memory(view, out) and view.shape == ours.shape
    np.testing.assert_array_equal(view, ours)


def test_stft_short_signal_and_errors():
    y = _signal((100,))
    with pytest.warns(UserWarning, match="too large"):
        ours = sl.stft(y, n_fft=512, pad_mode="reflect")
    with pytest.warns(UserWarning, match="too large"):
        theirs = librosa.stft(y, n_fft=512, pad_mode="reflect")
    _close(ours, theirs, 1e-12)
    with pytest.raises(ValueError, match="too large"):
        sl.stft(y, n_fft=512, center=False)
    with pytest.raises(ValueError, match="pad_mode"):
        sl.stft(Y64, pad_mode="wrap")
    with pytest.raises(ValueError, match="mismatch"):
        sl.stft(Y64, n_fft=512, window=np.ones(100))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"length": 22050 + 123},
        {"length": 5000},
        {"length": 25000},
        {"n_fft": 512, "win_length": 400, "hop_length": 128},
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_istft_matches_librosa(kwargs, dtype):
    stft_kw = {k: v for k, v in kwargs.items() if k != "length"}
    S = librosa.stft(Y64.astype(dtype), **stft_kw)
    ours, theirs = sl.istft(S, **kwargs), librosa.istft(S, **kwargs)
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    # Past the natural length (23040 - 1024 here) the envelope decays to ~1e-12 and both libraries
    # divide round-off by it; compare the signal there, and the exact zeros past the last frame.
    natural = S.shape[-1] * 512 - 512
    _close(ours[:natural], theirs[:natural], 1e-12 if dtype == np.float64 else 2e-6)
    np.testing.assert_array_equal(ours[natural + 1024 :], theirs[natural + 1024 :])


def test_istft_where_the_window_envelope_vanishes():
    """center=False with a Hann window: the first sample has a zero envelope; librosa leaves it
    undivided instead of refusing (the sonix op's NOLA check), and so does the compat layer."""
    S = librosa.stft(Y2, n_fft=512, center=False)
    ours, theirs = sl.istft(S, center=False), librosa.istft(S, center=False)
    assert ours[..., 0].tolist() == theirs[..., 0].tolist()  # envelope 0: left undivided
    _close(ours, theirs, 1e-10)  # next to it the envelope is ~1e-8: round-off is amplified
    St = torch.from_numpy(S)
    np.testing.assert_allclose(
        sl.istft(St, center=False, length=9000).numpy(),
        librosa.istft(S, center=False, length=9000),
        atol=1e-12,
    )


# ---- filters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sr": 22050, "n_fft": 2048},
        {"sr": 16000, "n_fft": 400, "n_mels": 80},
        {"sr": 16000, "n_fft": 401, "n_mels": 40, "fmin": 50.0, "fmax": 7000.0},
        {"sr": 44100, "n_fft": 1024, "n_mels": 64, "htk": True, "norm": None},
        {"sr": 22050, "n_fft": 512, "n_mels": 40, "norm": 2.0},
        {"sr": 22050, "n_fft": 512, "n_mels": 40, "dtype": np.float64},
    ],
)
def test_mel_filters_match_librosa(kwargs):
    ours, theirs = sl.filters.mel(**kwargs), librosa.filters.mel(**kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    if kwargs.get("norm", "slaney") in ("slaney", None) and ours.dtype == np.float32:
        # float32: the same roundings as librosa, bit-identical
        np.testing.assert_array_equal(ours, theirs)


def test_mel_filters_as_tensor_and_empty_filter_warning():
    fb = sl.filters.mel(sr=16000, n_fft=400, n_mels=80, dtype=torch.float64)
    assert isinstance(fb, torch.Tensor) and fb.dtype == torch.float64
    np.testing.assert_allclose(
        fb.numpy(),
        librosa.filters.mel(sr=16000, n_fft=400, n_mels=80, dtype=np.float64),
        atol=1e-12,
    )
    with pytest.warns(UserWarning, match="Empty filters"):
        sl.filters.mel(sr=8000, n_fft=128, n_mels=128)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "boxcar", ("kaiser", 4.0)])
@pytest.mark.parametrize("fftbins", [True, False])
def test_get_window_matches_librosa(window, fftbins):
    np.testing.assert_allclose(
        sl.filters.get_window(window, 301, fftbins=fftbins),
        librosa.filters.get_window(window, 301, fftbins=fftbins),
        atol=1e-15,
    )


# ---- features -----------------------------------------------------------------------------------------

MEL_CASES = [
    {},
    {"n_fft": 1024, "hop_length": 256, "n_mels": 64, "fmin": 30.0, "fmax": 8000.0},
    {
        "n_fft": 512,
        "hop_length": 128,
        "n_mels": 64,
        "power": 1.0,
        "htk": True,
        "norm": None,
        "window": "hamming",
    },
    {"n_fft": 512, "win_length": 400, "center": False},
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_melspectrogram_matches_librosa(kwargs, dtype):
    y = Y2.astype(dtype)
    ours, theirs = (
        sl.feature.melspectrogram(y=y, **kwargs),
        librosa.feature.melspectrogram(y=y, **kwargs),
    )
    _close(ours, theirs, 1e-12 if dtype == np.float64 else 2e-6)
    # and power_to_db on top: float64 within 1e-6 dB, float32 within 1e-3 dB (whole-array top_db)
    db_ours, db_theirs = sl.power_to_db(ours), librosa.power_to_db(theirs)
    assert db_ours.dtype == db_theirs.dtype
    np.testing.assert_allclose(
        db_ours, db_theirs, rtol=0.0, atol=1e-6 if dtype == np.float64 else 1e-3
    )


def test_melspectrogram_from_S():
    S = np.abs(librosa.stft(Y2, n_fft=1024)) ** 2
    for n_fft in (1024, 2048):  # 2048 mismatches S and is inferred from it, as librosa does
        _close(
            sl.feature.melspectrogram(S=S, n_fft=n_fft, n_mels=40),
            librosa.feature.melspectrogram(S=S, n_fft=n_fft, n_mels=40),
            1e-12,
        )
    S32 = S.astype(np.float32)
    _close(sl.feature.melspectrogram(S=S32), librosa.feature.melspectrogram(S=S32), 1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_mfcc": 13, "lifter": 22, "n_mels": 40},
        {"norm": None, "mel_norm": None, "n_fft": 1024, "hop_length": 256},
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mfcc_matches_librosa(kwargs, dtype):
    y = Y2.astype(dtype)
    ours, theirs = sl.feature.mfcc(y=y, **kwargs), librosa.feature.mfcc(y=y, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    scale = max(1.0, np.abs(theirs).max() / 100)
    np.testing.assert_allclose(
        ours, theirs, rtol=0.0, atol=(1e-6 if dtype == np.float64 else 3e-3) * scale
    )


def test_mfcc_from_S_and_errors():
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=Y64, n_mels=64))
    _close(
        sl.feature.mfcc(S=S, n_mfcc=30, lifter=10),
        librosa.feature.mfcc(S=S, n_mfcc=30, lifter=10),
        1e-12,
    )
    with pytest.raises(ValueError, match="dct_type"):
        sl.feature.mfcc(y=Y64, dct_type=3)
    with pytest.raises(ValueError, match="lifter"):
        sl.feature.mfcc(S=S, lifter=-1)


# ---- dB --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", [1.0, 0.5, np.max, np.median])
@pytest.mark.parametrize("top_db", [80.0, 30.0, None])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_power_and_amplitude_to_db_match_librosa(ref, top_db, dtype):
    S = (np.abs(librosa.stft(Y2, n_fft=512)) ** 2).astype(dtype)  # two channels 60 dB apart
    ours, theirs = (
        sl.power_to_db(S, ref=ref, top_db=top_db),
        librosa.power_to_db(S, ref=ref, top_db=top_db),
    )
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0.0, atol=1e-9 if dtype == np.float64 else 1e-4)
    A = np.sqrt(S)
    ours, theirs = (
        sl.amplitude_to_db(A, ref=ref, top_db=top_db),
        librosa.amplitude_to_db(A, ref=ref, top_db=top_db),
    )
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0.0, atol=1e-9 if dtype == np.float64 else 1e-4)


def test_db_of_complex_input_and_errors():
    D = librosa.stft(Y64, n_fft=512)
    with pytest.warns(UserWarning, match="phase"):
        ours = sl.amplitude_to_db(D, ref=np.max)
    with pytest.warns(UserWarning, match="phase"):
        theirs = librosa.amplitude_to_db(D, ref=np.max)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    with pytest.raises(ValueError, match="amin"):
        sl.power_to_db(np.abs(D), amin=0.0)
    with pytest.raises(ValueError, match="top_db"):
        sl.power_to_db(np.abs(D), top_db=-1.0)


# ---- tensors in, tensors out ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_in_tensor_out(device):
    y = torch.from_numpy(Y2).to(device)
    D = sl.stft(y, n_fft=512)
    assert (
        isinstance(D, torch.Tensor)
        and D.device.type == torch.device(device).type
        and D.dtype == torch.complex128
    )
    _close(D.cpu().numpy(), librosa.stft(Y2, n_fft=512), 1e-12)
    y_rec = sl.istft(D, length=Y2.shape[-1])
    assert isinstance(y_rec, torch.Tensor) and y_rec.device == D.device
    np.testing.assert_allclose(y_rec.cpu().numpy(), Y2, atol=1e-10)
    M = sl.feature.melspectrogram(y=y.float())
    assert isinstance(M, torch.Tensor) and M.dtype == torch.float32 and M.device == y.device
    db = sl.power_to_db(M, ref=np.max)
    assert isinstance(db, torch.Tensor) and db.device == y.device
    expected = librosa.power_to_db(
        librosa.feature.melspectrogram(y=Y2.astype(np.float32)), ref=np.max
    )
    np.testing.assert_allclose(db.cpu().numpy(), expected, atol=1e-3)
    mf = sl.feature.mfcc(y=y, n_mfcc=13)
    assert isinstance(mf, torch.Tensor) and mf.device == y.device
    np.testing.assert_allclose(mf.cpu().numpy(), librosa.feature.mfcc(y=Y2, n_mfcc=13), atol=1e-6)


def test_tensor_autograd_through_melspectrogram():
    y = torch.from_numpy(Y64[:4000]).requires_grad_()
    sl.power_to_db(
        sl.feature.melspectrogram(y=y, n_fft=512, n_mels=32), top_db=None
    ).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0


def test_drop_in_module_layout():
    assert {"stft", "istft", "power_to_db", "amplitude_to_db", "filters", "feature"} <= set(dir(sl))
    assert (
        callable(sl.filters.mel)
        and callable(sl.feature.melspectrogram)
        and callable(sl.feature.mfcc)
    )
