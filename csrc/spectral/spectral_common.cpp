#include "spectral/spectral_common.h"

#include <cmath>

namespace sonix {

PadMode parse_pad_mode(c10::string_view mode) {
  if (mode == "reflect") return PadMode::Reflect;
  if (mode == "constant") return PadMode::Constant;
  if (mode == "replicate" || mode == "edge") return PadMode::Replicate;
  if (mode == "circular" || mode == "wrap") return PadMode::Circular;
  SONIX_CHECK(false, "pad_mode must be one of 'reflect', 'constant', 'replicate', 'circular', got '",
              std::string(mode.data(), mode.size()), "'");
  return PadMode::Constant;
}

FrameGeometry analysis_geometry(const at::Tensor& input, const at::Tensor& window, int64_t n_fft, int64_t hop,
                                bool center, c10::string_view pad_mode) {
  check_float_input(input, "input");
  check_dim(input, 2, "input (after flattening leading dims)");
  SONIX_CHECK(n_fft >= 1, "n_fft must be >= 1, got ", n_fft);
  SONIX_CHECK(hop >= 1, "hop_length must be >= 1, got ", hop);
  SONIX_CHECK(input.size(0) >= 1 && input.size(1) >= 1, "input must be non-empty, got shape ", input.sizes());
  check_window(window, input, n_fft);
  FrameGeometry g;
  g.length = input.size(1);
  g.n_fft = n_fft;
  g.hop = hop;
  g.pad = center ? n_fft / 2 : 0;
  g.mode = parse_pad_mode(pad_mode);
  const int64_t padded = g.length + 2 * g.pad;
  SONIX_CHECK(n_fft <= padded, "n_fft=", n_fft, " is longer than the ", center ? "padded " : "", "input (",
              padded, " samples); use center=True or a shorter n_fft");
  if (g.mode == PadMode::Circular) {
    SONIX_CHECK(g.pad <= g.length, "pad_mode='circular' needs n_fft // 2 <= input length, got pad ", g.pad,
                " for length ", g.length);
  }
  g.n_frames = 1 + (padded - n_fft) / hop;
  return g;
}

FrameGeometry adjoint_geometry(const at::Tensor& grad, const at::Tensor& window, int64_t length, int64_t n_fft,
                               int64_t hop, bool center, c10::string_view pad_mode, bool onesided) {
  SONIX_CHECK(length >= 1, "length must be >= 1, got ", length);
  SONIX_CHECK(n_fft >= 1, "n_fft must be >= 1, got ", n_fft);
  SONIX_CHECK(hop >= 1, "hop_length must be >= 1, got ", hop);
  FrameGeometry g;
  g.length = length;
  g.n_fft = n_fft;
  g.hop = hop;
  g.pad = center ? n_fft / 2 : 0;
  g.mode = parse_pad_mode(pad_mode);
  const int64_t padded = length + 2 * g.pad;
  SONIX_CHECK(n_fft <= padded, "n_fft=", n_fft, " is longer than the ", center ? "padded " : "", "signal (", padded,
              " samples)");
  g.n_frames = 1 + (padded - n_fft) / hop;
  check_spec(grad, window, n_fft, onesided, "grad");
  SONIX_CHECK(grad.size(2) == g.n_frames, "grad has ", grad.size(2), " frames, expected ", g.n_frames);
  return g;
}

FrameGeometry synthesis_geometry(int64_t n_frames, int64_t n_fft, int64_t hop, bool center) {
  SONIX_CHECK(n_fft >= 1, "n_fft must be >= 1, got ", n_fft);
  SONIX_CHECK(hop >= 1, "hop_length must be >= 1, got ", hop);
  SONIX_CHECK(n_frames >= 1, "the spectrogram must have at least one frame, got ", n_frames);
  SONIX_CHECK(hop <= n_fft, "hop_length must be <= n_fft for an inverse STFT (frames must overlap or touch), got hop ",
              hop, " and n_fft ", n_fft);
  FrameGeometry g;
  g.n_fft = n_fft;
  g.hop = hop;
  g.n_frames = n_frames;
  g.pad = center ? n_fft / 2 : 0;
  g.mode = PadMode::Constant;
  g.length = n_fft + hop * (n_frames - 1) - 2 * g.pad;  // default output length
  return g;
}

int64_t istft_length(const FrameGeometry& g, int64_t length) {
  if (length >= 0) {
    SONIX_CHECK(length >= 1, "length must be positive, got ", length);
    return length;
  }
  SONIX_CHECK(g.length >= 1, "the spectrogram is too short to invert with center=True: ", g.n_frames,
              " frames of n_fft ", g.n_fft, " give no samples after removing the padding");
  return g.length;
}

int64_t n_freq_of(int64_t n_fft, bool onesided) { return onesided ? n_fft / 2 + 1 : n_fft; }

at::ScalarType real_of_complex(const at::Tensor& t, const char* name) {
  SONIX_CHECK(t.is_complex(), name, " must be a complex tensor (complex64 or complex128), got ", t.scalar_type());
  return t.scalar_type() == at::kComplexDouble ? at::kDouble : at::kFloat;
}

int64_t check_spec(const at::Tensor& spec, const at::Tensor& window, int64_t n_fft, bool onesided, const char* name) {
  check_dim(spec, 3, name);
  SONIX_CHECK(spec.size(0) >= 1 && spec.size(2) >= 1, name, " must be non-empty, got shape ", spec.sizes());
  SONIX_CHECK(spec.size(1) == n_freq_of(n_fft, onesided), name, " must have ", n_freq_of(n_fft, onesided),
              " frequency bins for n_fft=", n_fft, onesided ? " (onesided)" : " (two-sided)", ", got shape ",
              spec.sizes());
  check_window(window, spec, n_fft);
  return spec.size(2);
}

LogParams make_log_params(bool enabled, double scale, double offset, double amin, double bias) {
  if (enabled) {
    SONIX_CHECK(std::isfinite(scale) && std::isfinite(offset) && std::isfinite(bias),
                "log scale, offset and bias must be finite, got ", scale, ", ", offset, ", ", bias);
    SONIX_CHECK(amin >= 0.0, "amin must be >= 0, got ", amin);
  }
  return LogParams{enabled, scale, offset, amin, bias};
}

void check_mel_fb(const c10::optional<at::Tensor>& fb, const at::Tensor& input, int64_t n_fft) {
  if (!fb.has_value()) return;
  const at::Tensor& f = *fb;
  SONIX_CHECK(f.dim() == 2, "mel_fb must have shape (n_freq, n_mels), got ", f.sizes());
  SONIX_CHECK(f.size(0) == n_fft / 2 + 1, "mel_fb must have n_fft // 2 + 1 = ", n_fft / 2 + 1,
              " rows (frequency bins), got shape ", f.sizes());
  SONIX_CHECK(f.size(1) >= 1, "mel_fb must have at least one mel band, got shape ", f.sizes());
  SONIX_CHECK(f.is_floating_point(), "mel_fb must be floating point, got ", f.scalar_type());
  check_same_device(f, "mel_fb", input, "input");
}

void check_power(double power) {
  SONIX_CHECK(std::isfinite(power) && power > 0.0, "power must be a positive finite number, got ", power);
}

MelArgs mel_args(const at::Tensor& input, const at::Tensor& window, const c10::optional<at::Tensor>& mel_fb,
                 int64_t n_fft, int64_t hop, bool center, c10::string_view pad_mode, double power, bool log,
                 double log_scale, double log_offset, double log_amin, double log_bias) {
  MelArgs a;
  a.g = analysis_geometry(input, window, n_fft, hop, center, pad_mode);
  check_mel_fb(mel_fb, input, n_fft);
  check_power(power);
  a.lp = make_log_params(log, log_scale, log_offset, log_amin, log_bias);
  a.rows = input.size(0);
  a.n_freq = n_fft / 2 + 1;
  a.n_out = mel_fb.has_value() ? mel_fb->size(1) : a.n_freq;
  return a;
}

void check_mel_grad(const at::Tensor& grad, const at::Tensor& input, const MelArgs& a) {
  check_dim(grad, 3, "grad");
  SONIX_CHECK(grad.size(0) == a.rows && grad.size(1) == a.n_out && grad.size(2) == a.g.n_frames,
              "grad must have shape (", a.rows, ", ", a.n_out, ", ", a.g.n_frames, "), got ", grad.sizes());
  check_same_device(grad, "grad", input, "input");
}

}  // namespace sonix
