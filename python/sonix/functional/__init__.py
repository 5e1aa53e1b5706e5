"""Functional API: STFT family, fused (log-)mel, MFCC, dB conversion, filterbanks, resampling, convolution."""

from .convolve import convolve, fftconvolve
from .db import amplitude_to_DB, amplitude_to_db, apply_top_db, power_to_db
from .filterbanks import create_dct, hz_to_mel, mel_filterbank, mel_to_hz, melscale_fbanks
from .resample import resample
from .spectral import istft, mel_spectrogram, mfcc, mfcc_from_db, prepare_window, spectrogram, stft

__all__ = [
    "amplitude_to_DB",
    "amplitude_to_db",
    "apply_top_db",
    "convolve",
    "create_dct",
    "fftconvolve",
    "hz_to_mel",
    "istft",
    "mel_filterbank",
    "mel_spectrogram",
    "mel_to_hz",
    "melscale_fbanks",
    "mfcc",
    "mfcc_from_db",
    "power_to_db",
    "resample",
    "prepare_window",
    "spectrogram",
    "stft",
]
