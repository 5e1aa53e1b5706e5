"""sonix.transforms against torchaudio.transforms (outputs, state_dicts, signatures), LogMelSpectrogram
presets against librosa and a transcription of Whisper's log_mel_spectrogram, autograd, torch.compile."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch

import sonix.transforms as T

TA = pytest.importorskip("torchaudio.transforms")

DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
    ),
]


def _signal(
    shape: tuple[int, ...], sr: float = 16000.0, dtype=torch.float32, seed: int = 0
) -> torch.Tensor:
    """Seeded sines (a different fundamental per row, with harmonics) plus white noise: (..., time)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(shape[-1], dtype=torch.float64) / sr
    rows = math.prod(shape[:-1])
    out = torch.empty(rows, shape[-1], dtype=torch.float64)
    for r in range(rows):
        f0 = 97.0 * (1 + r % 7) + 13.0 * r
        out[r] = sum(0.5 / k * torch.sin(2 * math.pi * f0 * k * t + r + k) for k in range(1, 6))
        out[r] += 0.02 * torch.randn(shape[-1], generator=g, dtype=torch.float64)
    return out.reshape(shape).to(dtype)


def _assert_close_rel(actual: torch.Tensor, expected: torch.Tensor, rtol: float = 1e-4) -> None:
    """Elementwise |a - e| <= rtol * max|e| (float32 FFTs of different libraries agree to that)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = expected.abs().max().item()
    torch.testing.assert_close(actual, expected, rtol=0.0, atol=rtol * scale)


# ---- signatures, state_dicts ---------------------------------------------------------------------

CLASSES = [
    "Spectrogram",
    "InverseSpectrogram",
    "MelScale",
    "MelSpectrogram",
    "MFCC",
    "AmplitudeToDB",
]


@pytest.mark.parametrize("name", CLASSES)
def test_same_constructor_signature_as_torchaudio(name):
    ours = inspect.signature(getattr(T, name).__init__).parameters
    theirs = inspect.signature(getattr(TA, name).__init__).parameters
    assert list(ours) == list(theirs)
    for p in theirs:
        assert ours[p].default == theirs[p].default, p
        assert ours[p].kind == theirs[p].kind, p


CONFIGS = [
    ("Spectrogram", {}),
    ("Spectrogram", {"n_fft": 512, "win_length": 300, "hop_length": 100, "pad": 3, "power": 1.0}),
    ("InverseSpectrogram", {"n_fft": 256}),
    (
        "MelScale",
        {
            "n_mels": 40,
            "sample_rate": 22050,
            "n_stft": 257,
            "norm": "slaney",
            "mel_scale": "slaney",
        },
    ),
    ("MelSpectrogram", {}),
    (
        "MelSpectrogram",
        {"sample_rate": 22050, "n_fft": 1024, "n_mels": 80, "f_min": 30.0, "f_max": 8000.0},
    ),
    ("MFCC", {}),
    (
        "MFCC",
        {
            "n_mfcc": 13,
            "log_mels": True,
            "melkwargs": {"n_fft": 512, "n_mels": 40, "hop_length": 160},
        },
    ),
    ("AmplitudeToDB", {"stype": "magnitude", "top_db": 60.0}),
]


def _buffers(m: torch.nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype, bool]]:
    persistent = set(m.state_dict())
    return {k: (tuple(v.shape), v.dtype, k in persistent) for k, v in m.named_buffers()}


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_state_dict_round_trips_both_ways(name, kwargs):
    ours, theirs = getattr(T, name)(**kwargs), getattr(TA, name)(**kwargs)
    assert _buffers(ours) == _buffers(theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    for (
        k,
        v,
    ) in (
        theirs.state_dict().items()
    ):  # torchaudio builds its filterbank in float32, sonix in float64
        torch.testing.assert_close(ours.state_dict()[k], v, rtol=0.0, atol=5e-5)
    # perturbed values travel both ways
    perturbed = {k: v * 1.5 + 0.25 for k, v in theirs.state_dict().items()}
    ours.load_state_dict(perturbed, strict=True)
    theirs2 = getattr(TA, name)(**kwargs)
    theirs2.load_state_dict(ours.state_dict(), strict=True)
    for k, v in perturbed.items():
        assert torch.equal(theirs2.state_dict()[k], v)


def test_loaded_window_and_filterbank_are_used():
    theirs = TA.MelSpectrogram(sample_rate=16000, n_fft=256, n_mels=32)
    theirs.spectrogram.window.copy_(torch.hamming_window(256))
    theirs.mel_scale.fb.mul_(torch.linspace(0.5, 2.0, 32))
    ours = T.MelSpectrogram(sample_rate=16000, n_fft=256, n_mels=32)
    ours.load_state_dict(theirs.state_dict())
    x = _signal((2, 4000))
    _assert_close_rel(ours(x), theirs(x))


def test_attributes_match_torchaudio():
    for name, kwargs in CONFIGS:
        ours, theirs = getattr(T, name)(**kwargs), getattr(TA, name)(**kwargs)
        for mod_name, mod in theirs.named_modules():
            ours_mod = ours.get_submodule(mod_name)
            for attr, value in vars(mod).items():
                if (
                    not attr.startswith("_")
                    and not isinstance(value, torch.Tensor)
                    and attr != "training"
                ):
                    assert getattr(ours_mod, attr) == value, (name, mod_name, attr)


# ---- outputs ------------------------------------------------------------------------------------

SPEC_CONFIGS = [
    {},
    {"n_fft": 512, "hop_length": 128, "power": 1.0},
    {"n_fft": 512, "win_length": 300, "hop_length": 100, "pad": 7, "normalized": True},
    {"n_fft": 400, "win_length": 256, "normalized": "frame_length", "power": 2.0},
    {"n_fft": 255, "hop_length": 64, "center": False, "normalized": "window"},
    {"n_fft": 256, "pad_mode": "constant", "power": 0.5, "window_fn": torch.hamming_window},
    {"n_fft": 256, "window_fn": torch.kaiser_window, "wkwargs": {"beta": 8.0, "periodic": False}},
]


@pytest.mark.parametrize("kwargs", SPEC_CONFIGS)
@pytest.mark.parametrize("shape", [(8000,), (2, 3, 5003)])
def test_spectrogram_matches_torchaudio(kwargs, shape):
    x = _signal(shape)
    _assert_close_rel(T.Spectrogram(**kwargs)(x), TA.Spectrogram(**kwargs)(x))


@pytest.mark.parametrize("normalized", [False, True, "frame_length"])
def test_complex_spectrogram_and_inverse_match_torchaudio(normalized):
    kwargs = {
        "n_fft": 512,
        "win_length": 400,
        "hop_length": 128,
        "normalized": normalized,
        "pad": 5,
    }
    x = _signal((2, 6001), dtype=torch.float64)
    spec = T.Spectrogram(power=None, **kwargs)(x)
    expected = TA.Spectrogram(power=None, **kwargs).double()(
        x
    )  # torchaudio's window norm in float64
    assert spec.dtype == torch.complex128
    torch.testing.assert_close(spec, expected, rtol=1e-9, atol=1e-9)
    for length in (None, 6001):
        y = T.InverseSpectrogram(**kwargs)(spec, length)
        # (.double(): torch.istft with a float32 window loses precision on complex128 input, sonix does not)
        theirs = TA.InverseSpectrogram(**kwargs).double()(expected, length)
        torch.testing.assert_close(y, theirs, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(T.InverseSpectrogram(**kwargs)(spec, 6001), x, rtol=1e-7, atol=1e-7)


MEL_CONFIGS = [
    {},
    {
        "sample_rate": 22050,
        "n_fft": 1024,
        "hop_length": 256,
        "n_mels": 80,
        "f_min": 30.0,
        "f_max": 8000.0,
    },
    {
        "n_fft": 512,
        "win_length": 400,
        "pad": 11,
        "power": 1.0,
        "norm": "slaney",
        "mel_scale": "slaney",
    },
    {
        "n_fft": 400,
        "n_mels": 64,
        "center": False,
        "normalized": True,
        "window_fn": torch.hamming_window,
    },
    {"n_fft": 400, "n_mels": 64, "pad_mode": "constant"},
]


@pytest.mark.parametrize("kwargs", MEL_CONFIGS)
def test_mel_spectrogram_matches_torchaudio(kwargs):
    x = _signal((2, 2, 7001), sr=kwargs.get("sample_rate", 16000))
    _assert_close_rel(T.MelSpectrogram(**kwargs)(x), TA.MelSpectrogram(**kwargs)(x))


def test_mel_scale_matches_torchaudio():
    kwargs = {
        "n_mels": 40,
        "sample_rate": 22050,
        "n_stft": 257,
        "norm": "slaney",
        "mel_scale": "slaney",
    }
    spec = T.Spectrogram(n_fft=512)(_signal((3, 8000)))
    _assert_close_rel(T.MelScale(**kwargs)(spec), TA.MelScale(**kwargs)(spec))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_mfcc": 13, "norm": None, "melkwargs": {"n_fft": 512, "n_mels": 40, "hop_length": 160}},
        {"n_mfcc": 20, "log_mels": True, "melkwargs": {"n_fft": 400, "n_mels": 64}},
    ],
)
@pytest.mark.parametrize("shape", [(6000,), (3, 6000), (2, 2, 6000)])
def test_mfcc_matches_torchaudio(kwargs, shape):
    x = _signal(shape)
    if x.dim() > 1:
        x[..., 0, :] *= (
            1e-3  # channels tens of dB apart: the top_db clamp depends on torchaudio's packing
        )
    ours, theirs = T.MFCC(**kwargs)(x), TA.MFCC(**kwargs)(x)
    torch.testing.assert_close(
        ours, theirs, rtol=0.0, atol=2e-3 * max(1.0, theirs.abs().max().item() / 100)
    )


@pytest.mark.parametrize("stype", ["power", "magnitude"])
@pytest.mark.parametrize("top_db", [None, 80.0, 20.0])
@pytest.mark.parametrize("shape", [(201, 50), (3, 201, 50), (2, 3, 201, 50)])
def test_amplitude_to_db_matches_torchaudio(stype, top_db, shape):
    spec = T.Spectrogram(n_fft=400)(_signal(shape[:-2] + (8000,)))[..., :50]
    if spec.dim() > 2:
        spec[..., 0, :, :] *= 1e-4  # channels 40 dB apart: the top_db clamp depends on the packing
    ours, theirs = T.AmplitudeToDB(stype, top_db)(spec), TA.AmplitudeToDB(stype, top_db)(spec)
    torch.testing.assert_close(ours, theirs, rtol=0.0, atol=1e-3)


def test_float64_input_with_float32_buffers():
    x = _signal((2, 5000), dtype=torch.float64)
    theirs = TA.MelSpectrogram(n_fft=512, n_mels=40).double()
    ours = T.MelSpectrogram(n_fft=512, n_mels=40)
    ours.load_state_dict(theirs.state_dict())  # float64 values into the float32 buffers
    out = ours(x)
    assert out.dtype == torch.float64 and ours.mel_scale.fb.dtype == torch.float32
    expected = theirs(x)
    torch.testing.assert_close(out, expected, rtol=1e-6, atol=1e-10 * expected.abs().max().item())


@pytest.mark.parametrize("device", DEVICES)
def test_to_device_moves_buffers(device):
    m = T.MFCC(n_mfcc=13, melkwargs={"n_fft": 256, "n_mels": 32}).to(device)
    assert {b.device.type for b in m.buffers()} == {torch.device(device).type}
    x = _signal((2, 3000)).to(device)
    expected = T.MFCC(n_mfcc=13, melkwargs={"n_fft": 256, "n_mels": 32})(x.cpu())
    torch.testing.assert_close(m(x).cpu(), expected, rtol=1e-4, atol=2e-3)
    lm = T.LogMelSpectrogram(preset="whisper").to(device)
    assert lm.window.device.type == lm.fb.device.type == torch.device(device).type


def test_autograd_through_mel_spectrogram_matches_torchaudio():
    kwargs = {"n_fft": 256, "hop_length": 64, "n_mels": 24, "power": 1.0}
    x = _signal((2, 1500), dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    w = torch.randn(
        2, 24, 1500 // 64 + 1, dtype=torch.float64, generator=torch.Generator().manual_seed(3)
    )
    theirs = TA.MelSpectrogram(**kwargs).double()
    ours = T.MelSpectrogram(**kwargs)
    ours.load_state_dict(theirs.state_dict())
    (ours(x1) * w).sum().backward()
    (theirs(x2) * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-7, atol=1e-9)


def test_gradcheck_log_mel_spectrogram():
    m = T.LogMelSpectrogram(
        sample_rate=8000, n_fft=32, hop_length=16, n_mels=6, top_db=None
    ).double()
    x = _signal((1, 96), sr=8000, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(m, (x,), eps=1e-6, atol=1e-5)


def test_compile_mel_spectrogram_fullgraph():
    torch._dynamo.reset()
    m = T.MelSpectrogram(n_fft=512, hop_length=128, n_mels=40)
    x = _signal((2, 4000))
    compiled = torch.compile(
        m, fullgraph=True, backend="aot_eager"
    )  # traces fake kernels and autograd
    torch.testing.assert_close(compiled(x), m(x))


def test_compile_log_mel_spectrogram_fullgraph():
    torch._dynamo.reset()
    m = T.LogMelSpectrogram(preset="whisper")
    x = _signal((2, 8000))
    compiled = torch.compile(m, fullgraph=True)
    torch.testing.assert_close(compiled(x), m(x), rtol=1e-5, atol=1e-5)


# ---- LogMelSpectrogram presets ---------------------------------------------------------------------


def test_log_mel_default_preset_is_torchaudio_mel_then_db():
    x = _signal((6000,))
    expected = TA.AmplitudeToDB("power", top_db=80.0)(TA.MelSpectrogram()(x))
    ours = T.LogMelSpectrogram()(x)
    torch.testing.assert_close(ours, expected, rtol=0.0, atol=1e-3)
    m = T.LogMelSpectrogram()
    assert list(m.state_dict()) == ["window", "fb"]
    assert (m.sample_rate, m.n_fft, m.hop_length, m.n_mels) == (16000, 400, 200, 128)


@pytest.fixture(scope="module")
def librosa():
    return pytest.importorskip("librosa")


@pytest.mark.parametrize("preset", ["librosa", "htk"])
def test_log_mel_librosa_presets_float64(librosa, preset):
    y = _signal((22050 + 317,), sr=22050, dtype=torch.float64)
    mel_kw = {"htk": True, "norm": None} if preset == "htk" else {}
    S = librosa.feature.melspectrogram(y=y.numpy(), sr=22050, **mel_kw)
    expected = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0)
    m = T.LogMelSpectrogram(preset=preset)
    assert (m.sample_rate, m.n_fft, m.hop_length, m.n_mels, m.pad_mode) == (
        22050,
        2048,
        512,
        128,
        "constant",
    )
    ours = m(y)
    assert ours.dtype == torch.float64
    assert np.abs(ours.numpy() - expected).max() <= 1e-3
    # float32 input: same up to float32 precision
    ours32 = m(y.float())
    assert ours32.dtype == torch.float32
    assert np.abs(ours32.double().numpy() - expected).max() <= 2e-2


def test_log_mel_librosa_preset_overrides(librosa):
    y = _signal((2, 16000), sr=16000, dtype=torch.float64)
    m = T.LogMelSpectrogram(
        16000, 512, 160, 64, f_min=50.0, f_max=7000.0, top_db=60.0, preset="librosa"
    )
    S = librosa.feature.melspectrogram(
        y=y.numpy(), sr=16000, n_fft=512, hop_length=160, n_mels=64, fmin=50.0, fmax=7000.0
    )
    for i in range(
        2
    ):  # sonix clamps per example; librosa over the whole array: compare one example at a time
        expected = librosa.power_to_db(S[i], top_db=60.0)
        assert np.abs(m(y)[i].numpy() - expected).max() <= 1e-3


def _whisper_log_mel_spectrogram(audio: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """openai/whisper audio.log_mel_spectrogram, transcribed (filters: librosa.filters.mel)."""
    window = torch.hann_window(400).to(audio.device)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return log_spec


@pytest.mark.parametrize("n_mels", [80, 128])
def test_log_mel_whisper_preset(librosa, n_mels):
    filters = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels))
    audio = _signal((3, 16000 + 123))
    audio[1] *= 1e-3  # a quiet example: per-example clamp differs from Whisper's whole-batch clamp
    m = T.LogMelSpectrogram(preset="whisper", n_mels=n_mels)
    ours = m(audio)
    assert ours.shape == (3, n_mels, (16000 + 123) // 160)
    for i in range(3):
        torch.testing.assert_close(
            ours[i], _whisper_log_mel_spectrogram(audio[i], filters), rtol=0.0, atol=1e-5
        )
        torch.testing.assert_close(m(audio[i]), ours[i], rtol=0.0, atol=1e-6)


def test_package_imports_neither_torchaudio_nor_librosa():
    import subprocess
    import sys

    code = (
        "import sys, sonix.transforms, sonix.compat.librosa as L; "
        "L.feature.mfcc(y=__import__('numpy').ones(4096)); "
        "bad = {'torchaudio', 'librosa'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_log_mel_rejects_unknown_preset():
    with pytest.raises(ValueError, match="preset"):
        T.LogMelSpectrogram(preset="kaldi")
