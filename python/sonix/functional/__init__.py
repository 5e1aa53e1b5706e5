"""Functional API: STFT family, fused (log-)mel, MFCC, dB, filterbanks, IIR filters and design, loudness,
resampling, convolution, fused layers (Snake, causal conv, anti-aliased activation, PCEN) and losses."""

from .antialias import anti_alias_activation, antialias_filter
from .convolve import convolve, fftconvolve
from .db import amplitude_to_DB, amplitude_to_db, apply_top_db, power_to_db
from .filter_design import biquad_coeffs, butter_sos, deemphasis_coeffs, preemphasis_coeffs
from .filterbanks import create_dct, hz_to_mel, mel_filterbank, mel_to_hz, melscale_fbanks
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
from .layers import causal_conv1d, causal_conv1d_update, snake
from .losses import multi_resolution_stft_loss, multi_scale_mel_loss, stft_loss
from .loudness import integrated_loudness, k_weighting, loudness_normalize
from .pcen import pcen
from .resample import resample
from .spectral import istft, mel_spectrogram, mfcc, mfcc_from_db, prepare_window, spectrogram, stft

__all__ = [
    "allpass_biquad",
    "amplitude_to_db",
    "amplitude_to_DB",
    "anti_alias_activation",
    "antialias_filter",
    "apply_top_db",
    "band_biquad",
    "bandpass_biquad",
    "bandreject_biquad",
    "bass_biquad",
    "biquad",
    "biquad_coeffs",
    "butter_sos",
    "causal_conv1d",
    "causal_conv1d_update",
    "check_stability",
    "convolve",
    "create_dct",
    "deemphasis_coeffs",
    "equalizer_biquad",
    "fftconvolve",
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
    "multi_resolution_stft_loss",
    "multi_scale_mel_loss",
    "pcen",
    "power_to_db",
    "preemphasis_coeffs",
    "prepare_window",
    "resample",
    "snake",
    "sosfilt",
    "sosfilt_zi",
    "sosfiltfilt",
    "spectrogram",
    "stft",
    "stft_loss",
    "treble_biquad",
]
