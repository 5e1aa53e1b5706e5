// Vectorisable sin / cos for float rows on the CPU (the Snake term of the anti-aliased activation).
//
// libm's sinf is a scalar call and would dominate the fused kernel. This is Cephes' sinf / cosf:
// reduction by pi/4 with a three-part pi/4 (exact for |x| < 8192), degree-7/8 polynomials on
// [-pi/4, pi/4], quadrant selects. Branch-free, so `#pragma omp simd` loops vectorise. Larger or
// non-finite arguments are rare and go through std::sin / std::cos in a fix-up pass.
#pragma once

#include <cmath>
#include <cstdint>

namespace sonix::cpu {

constexpr float kSinCosFastLimit = 8192.0f;

inline void fast_sincosf(float x, float& s, float& c) {
  const float ax = std::fabs(x);
  int32_t j = static_cast<int32_t>(ax * 1.27323954473516f);  // 4 / pi
  j = (j + 1) & ~1;
  const float y = static_cast<float>(j);
  const float z = ((ax - y * 0.78515625f) - y * 2.4187564849853515625e-4f) - y * 3.77489497744594108e-8f;
  const float zz = z * z;
  const float ps = ((-1.9515295891e-4f * zz + 8.3321608736e-3f) * zz - 1.6666654611e-1f) * zz * z + z;
  const float pc =
      ((2.443315711809948e-5f * zz - 1.388731625493765e-3f) * zz + 4.166664568298827e-2f) * zz * zz - 0.5f * zz + 1.0f;
  const int32_t quadrant = (j >> 1) & 3;
  const float sv = (quadrant & 1) ? pc : ps;
  const float cv = (quadrant & 1) ? ps : pc;
  const float ssign = (quadrant & 2) ? -sv : sv;
  const float csign = ((quadrant + 1) & 2) ? -cv : cv;
  s = x < 0.0f ? -ssign : ssign;
  c = csign;
}

}  // namespace sonix::cpu
