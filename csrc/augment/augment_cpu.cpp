// CPU kernels of the augmentation ops: keyed random numbers and the fused pointwise chain.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "augment/augment_common.h"
#include "augment/philox.h"
#include "core/cpu_clones.h"
#include "core/fast_log_cpu.h"
#include "core/fast_sincos_cpu.h"
#include "core/fast_tanh_cpu.h"

namespace sonix::augment {
namespace {


int64_t grain(int64_t per_row) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(per_row, 1)); }

at::Tensor keyed_uniform_cpu(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream, int64_t count) {
  check_row_keys(keys, count);
  const at::Tensor k = keys.contiguous();
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(at::kDouble));
  const int64_t* kp = k.const_data_ptr<int64_t>();
  double* op = out.mutable_data_ptr<double>();
  at::parallel_for(0, k.size(0), grain(count), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const DrawKey dk = make_draw_key(seed, step, stream, kp[r]);
      for (int64_t j = 0; j < count; j += 2) {
        double u0, u1;
        uniform_pair(dk, static_cast<uint32_t>(j >> 1), u0, u1);
        op[r * count + j] = u0;
        if (j + 1 < count) op[r * count + j + 1] = u1;
      }
    }
  });
  return out;
}

// One row of float32 normals (philox.h: normal_pair_inputs_f32), Philox vectorised across blocks
// and the float log / sincos vectorised (a few ulp from libm, as CUDA's logf / sincosf are).
SONIX_CPU_CLONES void normal_row_float(const DrawKey& dk, int64_t count, float* out) {
  constexpr int64_t kChunk = 256;  // blocks per pass (two normals each)
  float rad[kChunk], ang[kChunk];
  uint32_t c0[kChunk], c1[kChunk], c2[kChunk], c3[kChunk];
  const int64_t blocks = (count + 1) / 2;
  for (int64_t b0 = 0; b0 < blocks; b0 += kChunk) {
    const int64_t nb = std::min(kChunk, blocks - b0);
    // Philox over the chunk's blocks in structure-of-arrays form (rounds outside, blocks inside), so
    // the 32x32 -> 64-bit products vectorise: philox4x32_10's rounds, lane by lane.
    for (int64_t i = 0; i < kChunk; ++i) {
      c0[i] = static_cast<uint32_t>(b0 + i);
      c1[i] = dk.c1;
      c2[i] = dk.c2;
      c3[i] = dk.c3;
    }
    uint32_t k0 = dk.k0, k1 = dk.k1;
    for (int round = 0; round < 10; ++round) {
#pragma omp simd
      for (int64_t i = 0; i < kChunk; ++i) philox_round(c0[i], c1[i], c2[i], c3[i], k0, k1);
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
#pragma omp simd
    for (int64_t i = 0; i < nb; ++i) normal_pair_inputs_f32(Philox4{{c0[i], c1[i], c2[i], c3[i]}}, rad[i], ang[i]);
#pragma omp simd
    for (int64_t i = 0; i < nb; ++i) {
      const float r = std::sqrt(-2.0f * sonix::cpu::fast_logf(rad[i]));
      const sonix::cpu::SinCos sc = sonix::cpu::fast_sincosf(ang[i]);
      rad[i] = r * sc.c;
      ang[i] = r * sc.s;
    }
    float* o = out + 2 * b0;
    const int64_t full = std::min(nb, count / 2 - b0);  // blocks whose both normals are in the row
    for (int64_t i = 0; i < full; ++i) {
      o[2 * i] = rad[i];
      o[2 * i + 1] = ang[i];
    }
    if (full < nb) o[2 * full] = rad[full];  // odd count: the last block's cosine only
  }
}

at::Tensor keyed_normal_cpu(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream, int64_t count,
                            at::ScalarType dtype) {
  check_keyed_normal(keys, count, dtype);
  const at::Tensor k = keys.contiguous();
  const int64_t* kp = k.const_data_ptr<int64_t>();
  if (dtype == at::kDouble) {
    at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(at::kDouble));
    double* op = out.mutable_data_ptr<double>();
    at::parallel_for(0, k.size(0), grain(count), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const DrawKey dk = make_draw_key(seed, step, stream, kp[r]);
        double* row = op + r * count;
        for (int64_t j = 0; j < count; j += 2) {  // one Philox block per pair
          double n0, n1;
          normal_pair_f64(dk, static_cast<uint32_t>(j >> 1), n0, n1);
          row[j] = n0;
          if (j + 1 < count) row[j + 1] = n1;
        }
      }
    });
    return out;
  }
  // float32, float16, bfloat16: computed in float32, like at::opmath_type.
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(at::kFloat));
  float* op = out.mutable_data_ptr<float>();
  at::parallel_for(0, k.size(0), grain(count), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) normal_row_float(make_draw_key(seed, step, stream, kp[r]), count, op + r * count);
  });
  return dtype == at::kFloat ? out : out.to(dtype);
}

constexpr int64_t kChainBlock = 512;  // samples per block: the chain runs stage by stage over a block

// Applies the stages to v[0..n) one stage at a time (loops the compiler vectorises, unlike a switch per
// sample), with the per-stage math of pointwise_math.h; d (null in the forward) accumulates the
// derivative. Same results as chain_apply.
template <typename acc_t>
SONIX_ALWAYS_INLINE acc_t stage_tanh(acc_t x) {
  if constexpr (std::is_same_v<acc_t, float>) {
    return sonix::cpu::fast_tanhf(x);
  } else {
    return std::tanh(x);
  }
}

// v[i] = stage(v[i], d_i) over a block; d_i is d[i] (updated) with kGrad, else a dead local.
template <bool kGrad, typename acc_t, typename Stage>
SONIX_ALWAYS_INLINE void stage_block(acc_t* v, acc_t* d, int64_t n, const Stage& stage) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    acc_t di = kGrad ? d[i] : acc_t(1);
    v[i] = stage(v[i], di);
    if constexpr (kGrad) d[i] = di;
  }
}

template <bool kGrad, typename acc_t>
SONIX_ALWAYS_INLINE void chain_block(const int64_t* kinds, int64_t n_stages, const acc_t* params, acc_t* v,
                                     acc_t* d, int64_t n) {
  for (int64_t s = 0; s < n_stages; ++s) {
    const acc_t p0 = params[2 * s], p1 = params[2 * s + 1];
    switch (kinds[s]) {
      case kGain:
        stage_block<kGrad>(v, d, n, [p0](acc_t x, acc_t& di) { return gain_stage(p0, x, di); });
        break;
      case kHardClip:
        stage_block<kGrad>(v, d, n, [p0](acc_t x, acc_t& di) { return hard_clip_stage(p0, x, di); });
        break;
      case kTanh:
        if (p0 == acc_t(0)) break;  // identity setting
        stage_block<kGrad>(v, d, n,
                           [p0, p1](acc_t x, acc_t& di) { return tanh_stage(p0, p1, stage_tanh(p0 * x), di); });
        break;
      case kQuantize:
        if (p0 == acc_t(0)) break;  // identity setting
        stage_block<kGrad>(v, d, n, [p0](acc_t x, acc_t& di) { return quantize_stage(p0, x, di); });
        break;
      default:
        break;
    }
  }
}

SONIX_CPU_CLONES void chain_block_f32(const int64_t* kinds, int64_t n_stages, const float* params, float* v, float* d,
                                      int64_t n) {
  if (d) {
    chain_block<true>(kinds, n_stages, params, v, d, n);
  } else {
    chain_block<false>(kinds, n_stages, params, v, d, n);
  }
}

void chain_block_f64(const int64_t* kinds, int64_t n_stages, const double* params, double* v, double* d, int64_t n) {
  if (d) {
    chain_block<true>(kinds, n_stages, params, v, d, n);
  } else {
    chain_block<false>(kinds, n_stages, params, v, d, n);
  }
}

// Runs the chain over (rows, time) in blocks; with grad, writes grad * chain'(x) instead of chain(x).
template <typename scalar_t>
void run_chain(const at::Tensor& x, const scalar_t* grad, const at::Tensor& table, const std::vector<int64_t>& kinds,
               at::Tensor& out) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t rows = x.size(0), time = x.size(1), n_stages = static_cast<int64_t>(kinds.size());
  const scalar_t* xp = x.const_data_ptr<scalar_t>();
  const acc_t* pp = table.const_data_ptr<acc_t>();
  scalar_t* op = out.mutable_data_ptr<scalar_t>();
  at::parallel_for(0, rows, grain(time), [&](int64_t r0, int64_t r1) {
    acc_t v[kChainBlock], d[kChainBlock];
    for (int64_t r = r0; r < r1; ++r) {
      const acc_t* params = pp + r * n_stages * 2;
      for (int64_t t0 = 0; t0 < time; t0 += kChainBlock) {
        const int64_t n = std::min(kChainBlock, time - t0);
        const int64_t at = r * time + t0;
        for (int64_t i = 0; i < n; ++i) v[i] = static_cast<acc_t>(xp[at + i]);
        if (grad) std::fill(d, d + n, acc_t(1));
        if constexpr (std::is_same_v<acc_t, float>) {
          chain_block_f32(kinds.data(), n_stages, params, v, grad ? d : nullptr, n);
        } else {
          chain_block_f64(kinds.data(), n_stages, params, v, grad ? d : nullptr, n);
        }
        if (grad) {
          for (int64_t i = 0; i < n; ++i) op[at + i] = static_cast<scalar_t>(static_cast<acc_t>(grad[at + i]) * d[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) op[at + i] = static_cast<scalar_t>(v[i]);
        }
      }
    }
  });
}

// A chain of gains only (the common case: gain, polarity) folds into one multiply per row.
bool gains_only(const std::vector<int64_t>& kinds) {
  return std::all_of(kinds.begin(), kinds.end(), [](int64_t k) { return k == kGain; });
}

at::Tensor chain_cpu(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds_ref,
                     const at::Tensor* grad) {
  check_chain(input, params, kinds_ref);
  const std::vector<int64_t> kinds(kinds_ref.begin(), kinds_ref.end());
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  if (x.numel() == 0) return out;
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor table = params.to(acc).contiguous();
  if (gains_only(kinds)) {
    // Product of the stage gains per row, then one broadcast multiply (vectorised by ATen).
    const at::Tensor g = table.select(2, 0).prod(1, /*keepdim=*/true);
    const at::Tensor base = grad ? grad->to(x.scalar_type()) : x;
    return (base.to(acc) * g).to(x.scalar_type());
  }
  const at::Tensor g = grad ? grad->to(x.scalar_type()).contiguous() : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_augment_pointwise_cpu", [&] {
    run_chain<scalar_t>(x, grad ? g.const_data_ptr<scalar_t>() : nullptr, table, kinds, out);
  });
  return out;
}

at::Tensor augment_pointwise_cpu(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds) {
  return chain_cpu(input, params, kinds, nullptr);
}

at::Tensor augment_pointwise_backward_cpu(const at::Tensor& grad, const at::Tensor& input, const at::Tensor& params,
                                          at::IntArrayRef kinds) {
  check_chain_grad(grad, input);
  return chain_cpu(input, params, kinds, &grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("keyed_uniform", &keyed_uniform_cpu);
  m.impl("keyed_normal", &keyed_normal_cpu);
  m.impl("augment_pointwise", &augment_pointwise_cpu);
  m.impl("augment_pointwise_backward", &augment_pointwise_backward_cpu);
}

}  // namespace sonix::augment
