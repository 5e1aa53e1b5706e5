// Polyphase resampling geometry and the windowed-sinc tap, shared by the CPU and CUDA kernels.
//
// Rates are gcd-reduced integers: `orig` input samples per `up` output samples. Output j of the
// stream sits at input position j * orig / up = base + frac (base integer, frac in [0, 1)) and reads
// the inputs [base - left, base - left + n_taps); tap k weighs input base - left + k, at distance
// d = k - left - frac from the output's position. Taps outside the filter's support are zero, so
// a table of n_taps >= 2 * left + 2 taps per phase covers every phase.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"

namespace sonix {

enum ResampleWindow : int64_t { kWindowHann = 0, kWindowKaiser = 1 };

// Windowed-sinc low-pass with its cutoff at `scale` cycles per 2 input samples (scale = rolloff *
// min(1, up / orig)) and `lpw` zero crossings on each side, as torchaudio's sinc_interp_hann /
// sinc_interp_kaiser: h(d) = scale * sinc(pi * u) * window(u / lpw), u = d * scale, 0 for |u| >= lpw.
struct SincFilter {
  double scale, lpw, beta, inv_i0_beta;
  int64_t window;
};

// Where a call sits in the stream: x[:, 0] is input `in_offset`, the first output is `out_start`.
struct PolyGeom {
  int64_t orig, up, left, n_taps, in_offset, out_start;
};

SONIX_HD int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

SONIX_HD int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }  // b > 0

// First input read by output j.
SONIX_HD int64_t poly_start(int64_t j, int64_t orig, int64_t up, int64_t left) {
  return floor_div(j * orig, up) - left;
}

// Outputs whose reads [start, start + n_taps) contain input i: j in [lo, hi] (empty when lo > hi).
// start(j) >= i - n_taps + 1  <=>  floor(j * orig / up) >= i - n_taps + 1 + left, and
// start(j) <= i  <=>  j * orig < (i + left + 1) * up.
SONIX_HD int64_t poly_first_reader(int64_t i, int64_t orig, int64_t up, int64_t left, int64_t n_taps) {
  return ceil_div((i - n_taps + 1 + left) * up, orig);
}
SONIX_HD int64_t poly_last_reader(int64_t i, int64_t orig, int64_t up, int64_t left) {
  return ceil_div((i + left + 1) * up, orig) - 1;
}

// Modified Bessel function of the first kind, order 0 (power series; converges for the betas used).
SONIX_HD double bessel_i0(double x) {
  const double q = 0.25 * x * x;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 200; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// Tap at distance d (input samples) from the output position.
SONIX_HD double sinc_tap(double d, const SincFilter& f) {
  const double u = d * f.scale;
  if (!(u > -f.lpw && u < f.lpw)) return 0.0;
  const double r = u / f.lpw;
  double w;
  if (f.window == kWindowHann) {
    const double c = cos(r * (M_PI / 2));
    w = c * c;
  } else {
    w = bessel_i0(f.beta * sqrt(1.0 - r * r)) * f.inv_i0_beta;
  }
  const double t = M_PI * u;
  const double s = t == 0.0 ? 1.0 : sin(t) / t;
  return s * w * f.scale;
}

}  // namespace sonix
