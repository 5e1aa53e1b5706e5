// Vectorisable float32 tanh for rows on the CPU.
//
// libm's tanhf is a scalar call (~20 ns on these machines). This is a minimax rational approximation
// x P(x^2) / Q(x^2) (degree 13 / 6, the coefficients Eigen publishes for its float tanh) on
// [-7.9053111, 7.9053111], where tanh is within half an ulp of +-1 at the ends, and x itself below
// |x| = 4e-4. Branch-free, so loops over it vectorise. Measured against float64 (tests of the augment
// chain): relative error below 3e-7.
#pragma once

#include "core/cpu_clones.h"

namespace sonix::cpu {

SONIX_ALWAYS_INLINE float fast_tanhf(float x) {
  constexpr float kClamp = 7.90531110763549805f;
  constexpr float kTiny = 0.0004f;
  const float c = x > kClamp ? kClamp : (x < -kClamp ? -kClamp : x);
  const float x2 = c * c;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * c;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float r = p / q;
  const float a = x < 0 ? -x : x;
  return a < kTiny ? x : r;  // NaN: the comparisons are false, r is NaN
}

}  // namespace sonix::cpu
