// Index geometry of the fused anti-aliased activation (BigVGAN's Activation1d), shared by the CPU and
// CUDA kernels. Names follow BigVGAN's UpSample1d / LowPassFilter1d:
//
//   xp[m]  = x[clamp(m - pad, 0, T - 1)],  0 <= m < T + 2 pad      (replicate padding, zero outside)
//   u[p]   = r_up * sum_k up[k] * xp[m]  over m * r_up + k = p + crop     (transposed conv, cropped)
//   a[p]   = snake(u[p]),                 0 <= p < L = T * r_up
//   y[i]   = sum_k down[k] * a[clamp(i * r_down + k - pad_down, 0, L - 1)]   (replicate pad, stride)
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"

namespace sonix {

struct AntiAliasGeom {
  int64_t T;      // input length
  int64_t L;      // upsampled length T * r_up
  int64_t T_out;  // output length (L - 1) / r_down + 1
  int64_t n_pad;  // padded input length T + 2 pad
  int ru, rd, ku, kd;
  int pad;       // replicate padding of the input, K_up / r_up - 1
  int crop;      // samples dropped at the start of the transposed convolution, pad * r_up + (K_up - r_up) / 2
  int pad_down;  // left replicate padding of the low-pass, K_down / 2 - (K_down even)
};

inline AntiAliasGeom make_antialias_geom(int64_t T, int ru, int rd, int ku, int kd) {
  AntiAliasGeom g;
  g.T = T;
  g.L = T * ru;
  g.T_out = (g.L - 1) / rd + 1;
  g.ru = ru;
  g.rd = rd;
  g.ku = ku;
  g.kd = kd;
  g.pad = ku / ru - 1;
  g.n_pad = T + 2 * g.pad;
  g.crop = g.pad * ru + (ku - ru) / 2;
  g.pad_down = kd / 2 - (kd % 2 == 0 ? 1 : 0);
  return g;
}

SONIX_HD int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

SONIX_HD int64_t clamp_index(int64_t i, int64_t lo, int64_t hi) { return i < lo ? lo : (i > hi ? hi : i); }

// Padded input sample m (zero outside the padded signal, as the transposed convolution sees it).
template <typename acc_t, typename in_t>
SONIX_HD acc_t padded_input(const in_t* x, int64_t m, const AntiAliasGeom& g) {
  if (m < 0 || m >= g.n_pad) return acc_t(0);
  return static_cast<acc_t>(x[clamp_index(m - g.pad, 0, g.T - 1)]);
}

// Upsampled sample u[p] for 0 <= p < L, straight from the definition (the CUDA kernels' form).
template <typename acc_t, typename X>
SONIX_HD acc_t upsample_at(const X& xpad, const acc_t* up, int64_t p, const AntiAliasGeom& g) {
  const int64_t n = p + g.crop;
  const int64_t q = n / g.ru;  // n >= 0
  const int phase = static_cast<int>(n - q * g.ru);
  acc_t s = 0;
  for (int k = phase, t = 0; k < g.ku; k += g.ru, ++t) s += up[k] * xpad(q - t);
  return s * static_cast<acc_t>(g.ru);
}

// Per-channel Snake parameters in the form of snake_math.h: a, inv_b = 1 / (b + eps), and the factors
// that chain d/da and d/d(inv_b) back to alpha and beta.
template <typename acc_t>
struct AntiAliasSnake {
  acc_t a, inv_b;
  acc_t da_dalpha;    // 1 or a (log scale)
  acc_t dinvb_dbeta;  // -inv_b^2 * (1 or b): chains to beta, or to alpha for Snake (b = a)
};

template <typename acc_t>
SONIX_HD AntiAliasSnake<acc_t> antialias_snake(acc_t alpha, acc_t beta, bool log_scale, acc_t eps) {
  using std::exp;  // the float overload on the host
  const acc_t a = log_scale ? exp(alpha) : alpha;
  const acc_t b = log_scale ? exp(beta) : beta;
  const acc_t inv_b = acc_t(1) / (b + eps);
  return {a, inv_b, log_scale ? a : acc_t(1), -inv_b * inv_b * (log_scale ? b : acc_t(1))};
}

}  // namespace sonix
