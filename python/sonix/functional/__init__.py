"""Functional API: STFT family, fused (log-)mel, MFCC, dB conversion, filterbanks, IIR filters, loudness."""

from .antialias import anti_alias_activation, antialias_filter
from .db import amplitude_to_DB, amplitude_to_db, apply_top_db, power_to_db
from .pcen import pcen
from .filterbanks import create_dct, hz_to_mel, mel_filterbank, mel_to_hz, melscale_fbanks
from .filter_design import biquad_coeffs, butter_sos, deemphasis_coeffs, preemphasis_coeffs
from .filtering import (
    allpass_biquad,
    band_biquad,
    bandpass_biquad,
    bandreject_biquad,
    bass_biquad,
    biquad,
    check_stability,
    equalizer_biquad,
    filtfilt,
    highpass_biquad,
    lfilter,
    lfilter_zi,
    lowpass_biquad,
    sosfilt,
    sosfilt_zi,
    sosfiltfilt,
    treble_biquad,
)
from .loudness import integrated_loudness, k_weighting, loudness_normalize
"""Functional API: STFT family, fused (log-)mel, MFCC, dB conversion, filterbanks, resampling."""

from .db import amplitude_to_DB, amplitude_to_db, apply_top_db, power_to_db
from .filterbanks import create_dct, hz_to_mel, mel_filterbank, mel_to_hz, melscale_fbanks
from .resample import resample
from .layers import causal_conv1d, causal_conv1d_update, snake
from .losses import multi_resolution_stft_loss, multi_scale_mel_loss, stft_loss
from .spectral import istft, mel_spectrogram, mfcc, mfcc_from_db, prepare_window, spectrogram, stft

__all__ = [
    "allpass_biquad",
    "anti_alias_activation",
    "antialias_filter",
    "amplitude_to_DB",
    "amplitude_to_db",
    "causal_conv1d",
    "causal_conv1d_update",
    "apply_top_db",
    "band_biquad",
    "bandpass_biquad",
    "bandreject_biquad",
    "bass_biquad",
    "biquad",
    "biquad_coeffs",
    "butter_sos",
    "check_stability",
    "create_dct",
    "deemphasis_coeffs",
    "equalizer_biquad",
    "filtfilt",
    "highpass_biquad",
    "hz_to_mel",
    "integrated_loudness",
    "istft",
    "k_weighting",
    "lfilter",
    "lfilter_zi",
    "loudness_normalize",
    "lowpass_biquad",
    "mel_filterbank",
    "mel_spectrogram",
    "mel_to_hz",
    "melscale_fbanks",
    "mfcc",
    "mfcc_from_db",
    "pcen",
    "multi_resolution_stft_loss",
    "multi_scale_mel_loss",
    "power_to_db",
    "preemphasis_coeffs",
    "resample",
    "prepare_window",
    "sosfilt",
    "sosfilt_zi",
    "sosfiltfilt",
    "snake",
    "spectrogram",
    "stft",
    "treble_biquad",
    "stft_loss",
]
