"""Bad input gets a clear error naming the argument, what was expected and what was given."""

from __future__ import annotations

import pytest
import torch
from conftest import HAS_CUDA, make_signal

import sonix.functional as F
from sonix import LogSpec

X = make_signal((2, 4000), dtype=torch.float32)
W = torch.hann_window(256)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (lambda: F.stft((X * 32768).to(torch.int16), 256), TypeError, r"input must be a floating-point.*int16.*32768"),
        (lambda: F.mel_spectrogram(X.to(torch.complex64)), TypeError, r"waveform must be a floating-point.*complex64"),
        (lambda: F.stft(X.numpy(), 256), TypeError, r"input must be a torch.Tensor, got ndarray"),
        (lambda: F.stft(torch.tensor(1.0), 256), ValueError, r"at least 1 dimension.*\(\)"),
        (lambda: F.stft(torch.empty(2, 0), 256), ValueError, r"non-empty.*\(2, 0\)"),
        (lambda: F.stft(X, 0), ValueError, r"n_fft must be a positive integer, got 0"),
        (lambda: F.stft(X[:, :100], 256, center=False), ValueError, r"n_fft=256 is longer than the input \(100 samples\)"),
        (lambda: F.stft(X, 256, hop_length=0), ValueError, r"hop_length must be a positive integer, got 0"),
        (lambda: F.stft(X, 256, hop_length=-4), ValueError, r"hop_length must be a positive integer, got -4"),
        (lambda: F.stft(X, 256, win_length=300), ValueError, r"win_length must be <= n_fft=256, got 300"),
        (lambda: F.stft(X, 256, window=torch.hann_window(200)), ValueError, r"window must have win_length=256 samples, got 200"),
        (lambda: F.stft(X, 256, window=W.to("meta")), ValueError, r"window and input must be on the same device, got meta and cpu"),
        (lambda: F.stft(X, 256, pad_mode="mirror"), ValueError, r"pad_mode must be one of .* got 'mirror'"),
        (lambda: F.mel_spectrogram(X, 16000, f_max=9000.0), ValueError, r"f_max must be <= sample_rate / 2 = 8000.0, got 9000.0"),
        (lambda: F.mel_spectrogram(X, 16000, n_mels=0), ValueError, r"n_mels must be a positive integer, got 0"),
        (lambda: F.mel_spectrogram(X, 16000, f_min=5000.0, f_max=4000.0), ValueError, r"f_min must be < f_max"),
        (lambda: F.mel_spectrogram(X, 16000, power=0.0), ValueError, r"power must be a positive number.*0.0"),
        (lambda: F.mel_spectrogram(X, 16000, 256, mel_fb=torch.ones(100, 10)), ValueError, r"mel_fb must have shape \(n_fft // 2 \+ 1 = 129, n_mels\), got \(100, 10\)"),
        (lambda: F.power_to_db(X.abs(), amin=0.0), ValueError, r"amin must be > 0, got 0.0"),
        (lambda: F.power_to_db(X.abs(), top_db=-1.0), ValueError, r"top_db must be non-negative, got -1.0"),
        (lambda: F.istft(X, 256), TypeError, r"input must be a complex tensor"),
        (lambda: F.istft(torch.zeros(2, 100, 5, dtype=torch.complex64), 256), ValueError, r"129 frequency bins for n_fft=256.*\[2, 100, 5\]"),
        (lambda: F.istft(torch.zeros(1, 129, 5, dtype=torch.complex64), 256, 64, window=torch.zeros(256)), ValueError, r"NOLA"),
        (lambda: LogSpec.db(ref=0.0), ValueError, r"ref must be > 0, got 0.0"),
    ],
)
def test_clear_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize(
    "args,pattern",
    [
        ((X[0], W, 256, 64, True, "reflect", True), r"input \(after flattening leading dims\) must have 2 dimensions"),
        ((X, W, -1, 64, True, "reflect", True), r"n_fft must be >= 1, got -1"),
        ((X, W, 256, 0, True, "reflect", True), r"hop_length must be >= 1, got 0"),
        ((X, W[:100], 256, 64, True, "reflect", True), r"window must have n_fft=256 samples, got 100"),
        ((X.long(), W, 256, 64, True, "reflect", True), r"input must be a floating-point tensor.*Long"),
        ((X, W, 256, 64, True, "nope", True), r"pad_mode must be one of .* got 'nope'"),
    ],
)
def test_raw_op_errors(args, pattern):
    """The C++ ops check their arguments too (users may call torch.ops.sonix directly)."""
    with pytest.raises(ValueError, match=pattern):
        torch.ops.sonix.stft(*args)


def test_raw_mel_op_errors():
    op = torch.ops.sonix.mel_spectrogram
    with pytest.raises(ValueError, match=r"power must be a positive finite number, got -1"):
        op(X, W, None, 256, 64, True, "reflect", -1.0, False, 1.0, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"mel_fb must have n_fft // 2 \+ 1 = 129 rows"):
        op(X, W, torch.ones(128, 4), 256, 64, True, "reflect", 2.0, False, 1.0, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"amin must be >= 0, got -1"):
        op(X, W, None, 256, 64, True, "reflect", 2.0, True, 1.0, 0.0, -1.0, 0.0)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cpu_cuda_mix():
    with pytest.raises(ValueError, match=r"window and input must be on the same device"):
        F.stft(X.cuda(), 256, window=W)
    with pytest.raises(ValueError, match=r"mel_fb and waveform must be on the same device"):
        F.mel_spectrogram(X.cuda(), 16000, 256, mel_fb=torch.ones(129, 4))
