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

  // ---- layers_extra: anti-aliased activation (BigVGAN Activation1d), PCEN ------------------------
  // upsample (zero-stuff + up_filter, replicate padding, x up_ratio) -> Snake (beta None) or SnakeBeta
  // per channel -> replicate-padded low-pass (down_filter) at stride down_ratio, fused; input
  // (batch, channels, time) -> (batch, channels, (time * up_ratio - 1) // down_ratio + 1), input dtype.
  m.def("anti_alias_activation(Tensor input, Tensor alpha, Tensor? beta, Tensor up_filter, Tensor down_filter, int up_ratio, int down_ratio, bool log_scale) -> Tensor");
  // (grad input, grad alpha, grad beta: empty when beta is None); the filters get no gradient.
  m.def("anti_alias_activation_backward(Tensor grad, Tensor input, Tensor alpha, Tensor? beta, Tensor up_filter, Tensor down_filter, int up_ratio, int down_ratio, bool log_scale) -> (Tensor, Tensor, Tensor)");
  // PCEN of an energy spectrogram (batch, channels, frames) with per-channel (channels,) smoothing s,
  // alpha, delta, r: (output in the input dtype, final smoother state (batch, channels) in the compute
  // dtype). initial_state (batch, channels) is the smoother before frame 0 (None: ones, as librosa).
  m.def("pcen(Tensor input, Tensor s, Tensor alpha, Tensor delta, Tensor r, Tensor? initial_state, float eps) -> (Tensor, Tensor)");
  // (grad input, grad s, grad alpha, grad delta, grad r, grad initial_state); grad_state: gradient of
  // the final state (None: zero).
  m.def("pcen_backward(Tensor grad, Tensor? grad_state, Tensor input, Tensor s, Tensor alpha, Tensor delta, Tensor r, Tensor? initial_state, float eps) -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)");
}
