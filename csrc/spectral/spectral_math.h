// Per-element math of the spectral ops, shared by the CPU and CUDA kernels.
#pragma once

#include <cmath>

#include "core/hostdevice.h"

namespace sonix {

// y = scale * ln(max(v + offset, amin)) + bias. Covers ln / log10 / dB (power or amplitude) and
// Whisper's log10(clamp(x, 1e-10)); NaN propagates (the comparison is false for NaN).
struct LogParams {
  bool enabled;
  double scale, offset, amin, bias;
};

template <typename T>
SONIX_HD T log_compress(T v, const LogParams& p) {
  T u = v + static_cast<T>(p.offset);
  if (u < static_cast<T>(p.amin)) u = static_cast<T>(p.amin);
  return static_cast<T>(p.scale) * std::log(u) + static_cast<T>(p.bias);
}

// d log_compress / dv, times g. Zero where the clamp is active (as torch.clamp's gradient).
template <typename T>
SONIX_HD T log_compress_grad(T v, T g, const LogParams& p) {
  const T u = v + static_cast<T>(p.offset);
  if (u >= static_cast<T>(p.amin)) return g * static_cast<T>(p.scale) / u;
  return (u == u) ? T(0) : u;  // keep NaN
}

// |X|^power from the real and imaginary parts; exact fast paths for power 2 and 1.
template <typename T>
SONIX_HD T spectral_power(T re, T im, T power) {
  const T m2 = re * re + im * im;
  if (power == T(2)) return m2;
  if (power == T(1)) return std::sqrt(m2);
  return std::pow(m2, power / T(2));
}

// c such that dL/dX = gP * c * X (torch's convention for complex gradients) for P = |X|^power.
// At X = 0 the gradient is defined as 0 for power <= 1, as torch.abs does.
template <typename T>
SONIX_HD T spectral_power_grad_scale(T re, T im, T power) {
  if (power == T(2)) return T(2);
  const T m2 = re * re + im * im;
  if (m2 == T(0)) return T(0);
  if (power == T(1)) return T(1) / std::sqrt(m2);
  return power * std::pow(m2, power / T(2) - T(1));
}

// Weight of bin k in the adjoint of a one-sided real FFT: DC and (even n) Nyquist appear once in
// the full spectrum, every other bin twice (once as its conjugate).
SONIX_HD double onesided_adjoint_weight(long k, long n_fft) {
  return (k == 0 || 2 * k == n_fft) ? 1.0 : 0.5;
}

}  // namespace sonix
