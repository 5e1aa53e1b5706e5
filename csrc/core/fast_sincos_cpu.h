// Vectorisable float32 sine and cosine for rows on the CPU.
//
// libm's sinf/cosf are scalar calls (about 15 ns each on these machines), which would dominate the
// Snake activation. This is the Cephes sinf/cosf scheme, written branch-free so that GCC vectorises
// loops over it: the quadrant k = round(x * 2/pi) comes from the low mantissa bits of
// x * 2/pi + 1.5 * 2^23, the reduction r = x - k * pi/2 subtracts pi/2 in three parts whose first
// two products are exact for |k| < 2^16 (Cody-Waite), and degree-7 / degree-8 minimax polynomials
// evaluate sin and cos on [-pi/4, pi/4]. Measured against float64 (tests/test_snake.py): at most
// 2 ulp for |x| <= kFastTrigMaxArg away from the zeros of the result, and absolute error below
// 2^-23 everywhere on that range. Arguments beyond it (and inf / NaN) must go through std::sin /
// std::cos: callers count them in the vector loop and fix them up in a scalar pass.
#pragma once

#include <bit>
#include <cstdint>

#include "core/cpu_clones.h"

namespace sonix::cpu {

// Largest |x| the reduction handles to the accuracy above.
constexpr float kFastTrigMaxArg = 8192.0f;

struct SinCos {
  float s;
  float c;
};

SONIX_ALWAYS_INLINE SinCos fast_sincosf(float x) {
  constexpr float kTwoOverPi = 0.636619772367581343f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: the sum keeps round(x * 2/pi) in its low bits
  const float t = x * kTwoOverPi + kRound;
  const uint32_t q = std::bit_cast<uint32_t>(t);  // quadrant in the low two bits
  const float k = t - kRound;
  float r = x - k * 1.5703125f;               // pi/2 = 1.5703125
  r = r - k * 4.837512969970703125e-4f;       //      + 4.837512969970703125e-4
  r = r - k * 7.54978995489188216e-8f;        //      + 7.54978995489188216e-8
  const float z = r * r;
  const float sp = r + r * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
  const float cp = 1.0f - 0.5f * z +
                   z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
  // Quadrant q: sin x = (sp, cp, -sp, -cp)[q], cos x = (cp, -sp, -cp, sp)[q].
  const bool odd = (q & 1u) != 0;
  const float sv = odd ? cp : sp;
  const float cv = odd ? sp : cp;
  const uint32_t s_sign = (q << 30) & 0x80000000u;
  const uint32_t c_sign = ((q + 1u) << 30) & 0x80000000u;
  return {std::bit_cast<float>(std::bit_cast<uint32_t>(sv) ^ s_sign),
          std::bit_cast<float>(std::bit_cast<uint32_t>(cv) ^ c_sign)};
}

// sin(x)^2 alone, cheaper than squaring fast_sincosf's sine: sin^2 has period pi, so the reduction is
// r = x - k * pi (pi in the same three Cody-Waite parts, doubled), r in [-pi/2, pi/2], and one odd
// polynomial (Taylor to degree 13: truncation below 1e-9 at pi/2) needs no quadrant selection.
// Measured against float64: at most 4.5 ulp where sin^2 > 1e-3 (squaring doubles the sine's
// relative error), absolute error below 3e-7.
SONIX_ALWAYS_INLINE float fast_sin2f(float x) {
  constexpr float kOneOverPi = 0.318309886183790672f;
  constexpr float kRound = 12582912.0f;
  const float k = (x * kOneOverPi + kRound) - kRound;
  float r = x - k * 3.140625f;
  r = r - k * 9.67502593994140625e-4f;
  r = r - k * 1.509957990978376432e-7f;
  const float z = r * r;
  const float s =
      r + r * z *
              (-1.66666667e-1f + z * (8.33333333e-3f + z * (-1.98412698e-4f + z * (2.75573192e-6f + z * (-2.50521084e-8f + z * 1.60590438e-10f)))));
  return s * s;
}

// True where fast_sincosf is not accurate (|x| too large, inf, NaN): those go through libm.
SONIX_ALWAYS_INLINE bool fast_trig_needs_libm(float x) { return !(x <= kFastTrigMaxArg && x >= -kFastTrigMaxArg); }

}  // namespace sonix::cpu
