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

  // ---- layers: snake, causal depthwise conv1d ----------------------------------------------------
  // Snake / SnakeBeta of a (batch, channels, time) input: y = x + sin(a x)^2 / (b + 1e-9) with a = alpha,
  // b = beta (or alpha when beta is None), each (channels,); logscale: a = exp(alpha), b = exp(beta).
  m.def("snake(Tensor input, Tensor alpha, Tensor? beta, bool logscale) -> Tensor");
  // (grad_input, grad_alpha, grad_beta); grad_beta has 0 elements when beta is None.
  m.def("snake_backward(Tensor grad, Tensor input, Tensor alpha, Tensor? beta, bool logscale) -> (Tensor, Tensor, Tensor)");
  // Causal depthwise conv of a (batch, channels, time) input with a (channels, width) weight:
  // z[b,c,t] = bias[c] + sum_k weight[c,k] x[b,c,t-width+1+k] (zero history), then activation
  // ("none", "silu", "gelu" (erf), "glu": z[:, :C/2] * sigmoid(z[:, C/2:])). lengths (batch,) int64:
  // outputs at t >= lengths[b] are 0.
  m.def("causal_conv1d(Tensor input, Tensor weight, Tensor? bias, Tensor? lengths, str activation) -> Tensor");
  // (grad_input, grad_weight, grad_bias); grad_bias has 0 elements when bias is None.
  m.def("causal_conv1d_backward(Tensor grad, Tensor input, Tensor weight, Tensor? bias, Tensor? lengths, str activation) -> (Tensor, Tensor, Tensor)");
  // Streaming step: input (batch, channels, chunk) continues the history conv_state (batch, channels,
  // width - 1); returns (output chunk, new state). Chunk by chunk equal to causal_conv1d of the whole.
  // Test hook: float32 (sin, cos, sin^2) by the vectorised CPU routines the Snake kernels use (CPU only).
  m.def("_fast_sincos(Tensor input) -> (Tensor, Tensor, Tensor)");
  m.def("causal_conv1d_update(Tensor input, Tensor conv_state, Tensor weight, Tensor? bias, str activation) -> (Tensor, Tensor)");
}
