// Argument checks and geometry of the resampling ops, shared by the CPU and CUDA front ends.
#pragma once

#include <ATen/ATen.h>

#include "core/checks.h"
#include "resample/resample_math.h"

namespace sonix {

inline void check_rates(int64_t orig, int64_t up, int64_t left) {
  SONIX_CHECK(orig >= 1, "orig must be >= 1, got ", orig);
  SONIX_CHECK(up >= 1, "up must be >= 1, got ", up);
  SONIX_CHECK(left >= 0, "left must be >= 0, got ", left);
  SONIX_CHECK(orig <= (int64_t{1} << 31) && up <= (int64_t{1} << 31), "orig and up must be < 2^31, got ", orig,
              " and ", up);
}

// Stream offsets of resample_poly (0, 0 offline).
inline void check_geom(int64_t orig, int64_t up, int64_t left, int64_t in_offset, int64_t out_start) {
  check_rates(orig, up, left);
  SONIX_CHECK(out_start >= 0, "out_start must be >= 0, got ", out_start);
  SONIX_CHECK(in_offset >= 0, "in_offset must be >= 0, got ", in_offset);
}

// Scalar geometry of resample_varying (the per-row rates are checked by the front end that can read them).
inline void check_varying_geom(int64_t up, int64_t left, int64_t n_taps) {
  SONIX_CHECK(up >= 1, "up must be >= 1, got ", up);
  SONIX_CHECK(left >= 0, "left must be >= 0, got ", left);
  SONIX_CHECK(n_taps >= 1, "n_taps must be >= 1, got ", n_taps);
}

inline void check_rows(const at::Tensor& x, const char* name) {
  check_float_input(x, name);
  check_dim(x, 2, name);
}

inline void check_taps(const at::Tensor& taps, const at::Tensor& x, int64_t up) {
  check_dim(taps, 2, "taps");
  check_same_device(taps, "taps", x, "input");
  SONIX_CHECK(taps.is_floating_point(), "taps must be floating point, got ", taps.scalar_type());
  SONIX_CHECK(taps.size(0) == up, "taps must have up=", up, " rows (one per phase), got shape ", taps.sizes());
  SONIX_CHECK(taps.size(1) >= 1, "taps must have at least one tap per phase, got shape ", taps.sizes());
}

// Per-row source rates of resample_varying: (rows,) integers >= 1 on the input's device.
inline void check_rates_tensor(const at::Tensor& orig, const at::Tensor& x) {
  check_dim(orig, 1, "orig");
  check_same_device(orig, "orig", x, "input");
  SONIX_CHECK(orig.scalar_type() == at::kLong, "orig must be an int64 tensor, got ", orig.scalar_type());
  SONIX_CHECK(orig.size(0) == x.size(0), "orig must have one rate per row (", x.size(0), "), got ", orig.size(0));
}

inline SincFilter make_sinc_filter(double rolloff, double lpw, int64_t window, double beta) {
  SONIX_CHECK(window == kWindowHann || window == kWindowKaiser, "window must be 0 (hann) or 1 (kaiser), got ",
              window);
  SONIX_CHECK(lpw > 0, "lowpass_filter_width must be > 0, got ", lpw);
  SONIX_CHECK(rolloff > 0 && rolloff <= 1, "rolloff must be in (0, 1], got ", rolloff);
  return SincFilter{rolloff, lpw, beta, window == kWindowKaiser ? 1.0 / bessel_i0(beta) : 1.0, window};
}

// Tap tables are padded to a multiple of 8 taps (zeros) so the CPU dot products need no tail.
constexpr int64_t kTapPad = 8;
inline int64_t padded_taps(int64_t n) { return (n + kTapPad - 1) / kTapPad * kTapPad; }

}  // namespace sonix
