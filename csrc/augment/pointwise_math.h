// Per-sample stages of the fused pointwise augmentation chain, shared by the CPU and CUDA kernels.
//
// A chain is up to kMaxStages stages applied in order; every row (example or channel) has its own two
// parameters per stage, and each stage has an identity setting so an example that is not augmented
// by a stage passes through it unchanged. Every stage maps 0 to 0: padding stays silent.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"

namespace sonix::augment {

constexpr int kMaxStages = 16;

enum Stage : int64_t {
  kGain = 0,      // v * p0                      (identity: p0 = 1; polarity inversion: p0 = -1)
  kHardClip = 1,  // clamp(v, -p0, p0)           (identity: p0 = +inf)
  kTanh = 2,      // p1 * tanh(p0 * v)           (identity: p0 = 0)
  kQuantize = 3,  // rint(v * p0) / p0           (identity: p0 = 0); piecewise constant, gradient 0
  kNumStages = 4,
};

// The stage codes of a chain by value (a kernel argument: no device copy of the list).
struct StageKinds {
  int64_t n;
  int64_t code[kMaxStages];
};

// One stage at v: returns its value and multiplies d by its derivative there. The CPU kernel calls
// these per stage over a block of samples, the CUDA kernel per sample through stage_apply.
template <typename acc_t>
SONIX_HD acc_t gain_stage(acc_t p0, acc_t v, acc_t& d) {
  d *= p0;
  return v * p0;
}

template <typename acc_t>
SONIX_HD acc_t hard_clip_stage(acc_t p0, acc_t v, acc_t& d) {
  const bool clipped = v > p0 || v < -p0;  // NaN is neither: it passes, as does its derivative
  d = clipped ? acc_t(0) : d;
  const acc_t w = v > p0 ? p0 : v;
  return w < -p0 ? -p0 : w;
}

// t = tanh(p0 * v), computed by the caller (the CPU kernel uses a vectorisable float tanh).
template <typename acc_t>
SONIX_HD acc_t tanh_stage(acc_t p0, acc_t p1, acc_t t, acc_t& d) {
  d *= p1 * p0 * (acc_t(1) - t * t);
  return p1 * t;
}

template <typename acc_t>
SONIX_HD acc_t quantize_stage(acc_t p0, acc_t v, acc_t& d) {
  d = acc_t(0);
  return rint(v * p0) / p0;
}

// Applies one stage to v and multiplies d by the stage's derivative at v.
template <typename acc_t>
SONIX_HD acc_t stage_apply(int64_t kind, acc_t p0, acc_t p1, acc_t v, acc_t& d) {
  switch (kind) {
    case kGain:
      return gain_stage(p0, v, d);
    case kHardClip:
      return hard_clip_stage(p0, v, d);
    case kTanh:
      return p0 == acc_t(0) ? v : tanh_stage(p0, p1, static_cast<acc_t>(tanh(p0 * v)), d);
    case kQuantize:
      return p0 == acc_t(0) ? v : quantize_stage(p0, v, d);
    default:
      return v;
  }
}

// The chain's value (and, through d, its derivative) at v; params: the row's (n_stages, 2) table.
template <typename acc_t>
SONIX_HD acc_t chain_apply(const int64_t* kinds, int64_t n_stages, const acc_t* params, acc_t v, acc_t& d) {
  d = acc_t(1);
  for (int64_t s = 0; s < n_stages; ++s) v = stage_apply(kinds[s], params[2 * s], params[2 * s + 1], v, d);
  return v;
}

}  // namespace sonix::augment
