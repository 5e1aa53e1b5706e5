// Vectorisable natural log for float rows on the CPU.
//
// libm's logf is a scalar call; after the FFT it was the largest cost of the fused log-mel for small
// n_fft (80 logs per 400-point frame cost about as much as the frame's FFT). This is Cephes' logf
// (range reduction to [sqrt(1/2), sqrt(2)), degree-8 polynomial, split ln 2): about 1 ulp on positive
// normal floats and branch-free, so the compiler vectorises the loop. Zero, negative, subnormal,
// infinite and NaN inputs are rare and go through std::log in a fix-up pass.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace sonix::cpu {

inline float fast_logf(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  int32_t e = static_cast<int32_t>((bits >> 23) & 0xffu) - 126;               // x = m * 2^e
  const float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f000000u);  // m in [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  const float f = small ? m + m - 1.0f : m - 1.0f;
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  const float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return f + y + 0.693359375f * fe;
}

// v[i] = scale * ln(max(v[i] + offset, amin)) + bias over a contiguous row.
template <typename T, typename Params>
inline void log_compress_row(T* v, int64_t n, const Params& p) {
  const T scale = static_cast<T>(p.scale), offset = static_cast<T>(p.offset);
  const T amin = static_cast<T>(p.amin), bias = static_cast<T>(p.bias);
  if constexpr (std::is_same_v<T, float>) {
    constexpr float lo = std::numeric_limits<float>::min(), hi = std::numeric_limits<float>::max();
    int32_t special = 0;
#pragma omp simd reduction(+ : special)
    for (int64_t i = 0; i < n; ++i) {
      float u = v[i] + offset;
      u = u < amin ? amin : u;  // NaN stays NaN
      v[i] = u;
      special += (u >= lo && u <= hi) ? 0 : 1;
    }
    if (special == 0) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) v[i] = scale * fast_logf(v[i]) + bias;
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const float u = v[i];
        v[i] = scale * ((u >= lo && u <= hi) ? fast_logf(u) : std::log(u)) + bias;
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      T u = v[i] + offset;
      u = u < amin ? amin : u;
      v[i] = scale * std::log(u) + bias;
    }
  }
}

}  // namespace sonix::cpu
