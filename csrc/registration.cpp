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

  // ---- losses -----------------------------------------------------------------------------------
  // Per-row sums of the fused STFT loss of input against target (both real (batch, time)): (batch, 4)
  // [sum (|Y|-|X|)^2, sum |Y|^2, sum dist(ln|Y| - ln|X|), sum dist(|Y| - |X|)] with |X| =
  // sqrt(max(|STFT|^2, eps)) and dist |u| (distance 1) or u^2 (distance 2); float32 or float64.
  m.def("stft_loss_sums(Tensor input, Tensor target, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, float eps, int distance) -> Tensor");
  // Gradients of the sums w.r.t. input and target (an empty tensor where not requested).
  m.def("stft_loss_sums_backward(Tensor grad, Tensor input, Tensor target, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, float eps, int distance, bool input_grad, bool target_grad) -> (Tensor, Tensor)");
}
