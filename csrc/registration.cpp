// Every sonix op schema, in one place: the public op surface is reviewable in one diff.
// Inputs are never mutated. Spectral ops take (batch, time) inputs; the Python wrappers flatten any
// leading dims, build windows / filterbanks and fold normalisation into the window.
#include <torch/library.h>

TORCH_LIBRARY(sonix, m) {
  // ---- spectral -------------------------------------------------------------------------------
  // Complex (batch, n_freq, n_frames) STFT of a real (batch, time) signal; `window` has n_fft samples.
  m.def("stft(Tensor input, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, bool onesided) -> Tensor");
  m.def("stft_backward(Tensor grad, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, bool onesided, SymInt length) -> Tensor");
  // Real (batch, length) signal from a complex (batch, n_freq, n_frames) STFT; length < 0: the default.
  m.def("istft(Tensor input, Tensor window, int n_fft, int hop_length, bool center, bool onesided, SymInt length) -> Tensor");
  m.def("istft_backward(Tensor grad, Tensor window, int n_fft, int hop_length, bool center, bool onesided, SymInt n_frames) -> Tensor");
  // Fused |STFT|^power -> (mel_fb projection when given) -> (scale * ln(max(v + offset, amin)) + bias
  // when log) of a real (batch, time) signal: (batch, n_mels or n_freq, n_frames), input dtype.
  m.def("mel_spectrogram(Tensor input, Tensor window, Tensor? mel_fb, int n_fft, int hop_length, bool center, str pad_mode, float power, bool log, float log_scale, float log_offset, float log_amin, float log_bias) -> Tensor");
  m.def("mel_spectrogram_backward(Tensor grad, Tensor input, Tensor window, Tensor? mel_fb, int n_fft, int hop_length, bool center, str pad_mode, float power, bool log, float log_scale, float log_offset, float log_amin, float log_bias) -> Tensor");
  // Elementwise scale * ln(max(input + offset, amin)) + bias (power_to_db, amplitude_to_db, log-mel).
  m.def("log_compress(Tensor input, float scale, float offset, float amin, float bias) -> Tensor");
  m.def("log_compress_backward(Tensor grad, Tensor input, float scale, float offset, float amin, float bias) -> Tensor");
  // ---- filters (IIR) ---------------------------------------------------------------------------
  // y, zf of x (channels, time) through per-channel a, b (channels, order + 1), normalised by a[:, 0]
  // (ignored by the op), in the compute type (float32; float64 for float64 x). zi, zf: (channels,
  // order), scipy's transposed direct form II state. y has x's dtype, zf the compute type.
  m.def("lfilter(Tensor x, Tensor a, Tensor b, Tensor? zi) -> (Tensor, Tensor)");
  // Gradients w.r.t. x, a (column 0 is zero), b and zi, from the gradients of y and (optionally) zf.
  // coef_grads=false: the gradients of a and b are not needed (they may come back as zeros).
  m.def("lfilter_backward(Tensor grad_y, Tensor? grad_zf, Tensor x, Tensor y, Tensor a, Tensor b, bool coef_grads) -> (Tensor, Tensor, Tensor, Tensor)");
}
