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

  // ---- resample -------------------------------------------------------------------------------
  // Polyphase resampling of (rows, in_len) signals by up/orig (gcd-reduced) with a (up, n_taps) tap
  // table: stream output j = out_start + column is sum_k x[floor(j * orig / up) - left - in_offset + k]
  // * taps[j % up][k], reading 0 outside x (x[:, 0] is stream input in_offset). Streaming calls pass
  // the offsets; offline calls pass 0, 0.
  m.def("resample_poly(Tensor input, Tensor taps, int orig, int up, int left, SymInt in_offset, SymInt out_start, SymInt out_len) -> Tensor");
  m.def("resample_poly_backward(Tensor grad, Tensor taps, int orig, int up, int left, SymInt in_offset, SymInt out_start, SymInt in_len) -> Tensor");
  // The same with a source rate per row (orig: (rows,) int64) and taps computed from each output's
  // fractional position (windowed sinc, window 0 hann / 1 kaiser, cutoff rolloff * min(1, up / orig));
  // rows are zero past their own length ceil(up * in_len / orig) and rows with orig == up are copied.
  m.def("resample_varying(Tensor input, Tensor orig, int up, int left, int n_taps, float rolloff, float lowpass_filter_width, int window, float beta, SymInt out_len) -> Tensor");
  m.def("resample_varying_backward(Tensor grad, Tensor orig, int up, int left, int n_taps, float rolloff, float lowpass_filter_width, int window, float beta, SymInt in_len) -> Tensor");

  // ---- convolve -------------------------------------------------------------------------------
  // Full linear convolution of (rows, n) signals with (rows or 1, m) kernels: (rows, n + m - 1).
  // method 0 auto (direct for short kernels, FFT overlap-add otherwise), 1 direct, 2 FFT.
  m.def("fftconvolve(Tensor input, Tensor kernel, int method) -> Tensor");
  // Gradients w.r.t. input and kernel (correlations of grad with the kernel and the input).
  m.def("fftconvolve_backward(Tensor grad, Tensor input, Tensor kernel, int method) -> (Tensor, Tensor)");
}
