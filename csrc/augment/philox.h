// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011) shared by the CPU and CUDA kernels,
// so a key gives bit-identical uniforms on both devices.
//
// A draw is addressed by (seed, step, example id, channel, stream, slot): the 64-bit seed is the key;
// the 128-bit counter is (block, stream | channel << 16, example id, step), all modulo 2^32 (channel
// and stream modulo 2^16). Nothing depends on the batch an example sits in, so an example gets the same
// numbers whatever the batch size, device or DDP rank.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"

namespace sonix::augment {

struct Philox4 {
  uint32_t v[4];
};

SONIX_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// Multipliers and Weyl key increments of Philox4x32.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u, kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// One Philox round on the counter (c0, c1, c2, c3) with the round's key (k0, k1).
SONIX_HD void philox_round(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3, uint32_t k0, uint32_t k1) {
  uint32_t hi0, lo0, hi1, lo1;
  mulhilo32(kPhiloxM0, c0, hi0, lo0);
  mulhilo32(kPhiloxM1, c2, hi1, lo1);
  c0 = hi1 ^ c1 ^ k0;
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k1;
  c3 = lo0;
}

SONIX_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    philox_round(c0, c1, c2, c3, k0, k1);
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// The row a kernel draws for: key = low 32 bits example id, bits 32..47 the channel.
struct DrawKey {
  uint32_t k0, k1, c1, c2, c3;
};

SONIX_HD DrawKey make_draw_key(int64_t seed, int64_t step, int64_t stream, int64_t row_key) {
  const uint64_t s = static_cast<uint64_t>(seed);
  const uint64_t rk = static_cast<uint64_t>(row_key);
  const uint32_t channel = static_cast<uint32_t>((rk >> 32) & 0xFFFFu);
  return DrawKey{static_cast<uint32_t>(s), static_cast<uint32_t>(s >> 32),
                 static_cast<uint32_t>(stream & 0xFFFF) | (channel << 16), static_cast<uint32_t>(rk),
                 static_cast<uint32_t>(static_cast<uint64_t>(step))};
}

// Two 53-bit uniforms in [0, 1) from one Philox block (words (0, 1) and (2, 3)).
SONIX_HD void uniform_pair(const DrawKey& k, uint32_t block, double& u0, double& u1) {
  const Philox4 r = philox4x32_10(block, k.c1, k.c2, k.c3, k.k0, k.k1);
  constexpr double kScale = 1.0 / 9007199254740992.0;  // 2^-53
  u0 = static_cast<double>((static_cast<uint64_t>(r.v[0] >> 5) << 26) | (r.v[1] >> 6)) * kScale;
  u1 = static_cast<double>((static_cast<uint64_t>(r.v[2] >> 5) << 26) | (r.v[3] >> 6)) * kScale;
}

// Uniform number `slot` of a row: slot 2b and 2b + 1 come from block b.
SONIX_HD double keyed_uniform_at(const DrawKey& k, int64_t slot) {
  double u0, u1;
  uniform_pair(k, static_cast<uint32_t>(slot >> 1), u0, u1);
  return (slot & 1) ? u1 : u0;
}

// float32 normals: the pair (2b, 2b + 1) is Box-Muller over 24-bit uniforms from words 0 and 2 of
// block b: radius sqrt(-2 ln(1 - u)) with 1 - u in [2^-24, 1] (exact in float), angle 2 pi v.
SONIX_HD void normal_pair_inputs_f32(const Philox4& r, float& one_minus_u, float& angle) {
  constexpr float kU24 = 5.9604644775390625e-08f;  // 2^-24
  one_minus_u = 1.0f - static_cast<float>(static_cast<int32_t>(r.v[0] >> 8)) * kU24;
  angle = static_cast<float>(static_cast<int32_t>(r.v[2] >> 8)) * (6.28318530717958648f * kU24);
}

// float64 normals 2b and 2b + 1 of a row: the Box-Muller pair (r cos, r sin) over the 53-bit
// uniform pair of block b.
SONIX_HD void normal_pair_f64(const DrawKey& k, uint32_t block, double& n0, double& n1) {
  double u0, u1;
  uniform_pair(k, block, u0, u1);
  const double r = sqrt(-2.0 * log(1.0 - u0));  // 1 - u0 in (0, 1]: the log is finite
  const double angle = 6.283185307179586 * u1;
  n0 = r * cos(angle);
  n1 = r * sin(angle);
}

}  // namespace sonix::augment
