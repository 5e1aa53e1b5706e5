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

  // ---- losses -----------------------------------------------------------------------------------
  // Per-row sums of the fused STFT loss of input against target (both real (batch, time)): (batch, 4)
  // [sum (|Y|-|X|)^2, sum |Y|^2, sum dist(ln|Y| - ln|X|), sum dist(|Y| - |X|)] with |X| =
  // sqrt(max(|STFT|^2, eps)) and dist |u| (distance 1) or u^2 (distance 2); float32 or float64.
  m.def("stft_loss_sums(Tensor input, Tensor target, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, float eps, int distance) -> Tensor");
  // Gradients of the sums w.r.t. input and target (an empty tensor where not requested).
  m.def("stft_loss_sums_backward(Tensor grad, Tensor input, Tensor target, Tensor window, int n_fft, int hop_length, bool center, str pad_mode, float eps, int distance, bool input_grad, bool target_grad) -> (Tensor, Tensor)");

  // ---- augment: keyed random numbers, fused pointwise chain ---------------------------------------
  // Counter-based (Philox4x32-10) draws for row keys (rows,) int64 (low 32 bits: example id, bits
  // 32..47: channel), keyed by (seed, step, stream): identical on every device and batch layout.
  // keyed_uniform: (rows, count) float64 in [0, 1); keyed_normal: (rows, count) standard normals.
  m.def("keyed_uniform(Tensor keys, int seed, int step, int stream, int count) -> Tensor");
  m.def("keyed_normal(Tensor keys, int seed, int step, int stream, int count, ScalarType dtype) -> Tensor");
  // Fused chain of per-row pointwise stages over (rows, time): kinds (n_stages,) stage codes (gain,
  // hard clip, tanh, quantize; augment/pointwise_math.h), params (rows, n_stages, 2).
  m.def("augment_pointwise(Tensor input, Tensor params, int[] kinds) -> Tensor");
  // grad * d chain / d input (params are drawn, not learned: no gradient).
  m.def("augment_pointwise_backward(Tensor grad, Tensor input, Tensor params, int[] kinds) -> Tensor");
}
