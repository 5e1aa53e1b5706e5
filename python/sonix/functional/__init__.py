"""Functional API: STFT family, fused (log-)mel, MFCC, dB conversion, filterbanks."""

from .antialias import anti_alias_activation, antialias_filter
from .db import amplitude_to_DB, amplitude_to_db, apply_top_db, power_to_db
from .filterbanks import create_dct, hz_to_mel, mel_filterbank, mel_to_hz, melscale_fbanks
from .pcen import pcen
from .spectral import istft, mel_spectrogram, mfcc, mfcc_from_db, prepare_window, spectrogram, stft

__all__ = [
    "anti_alias_activation",
    "antialias_filter",
    "amplitude_to_DB",
    "amplitude_to_db",
    "apply_top_db",
    "create_dct",
    "hz_to_mel",
    "istft",
    "mel_filterbank",
    "mel_spectrogram",
    "mel_to_hz",
    "melscale_fbanks",
    "mfcc",
    "mfcc_from_db",
    "pcen",
    "power_to_db",
    "prepare_window",
    "spectrogram",
    "stft",
]
