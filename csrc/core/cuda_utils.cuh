// Device helpers shared by the .cu files: type conversions, complex loads, grid sizing. No torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

namespace sonix::cuda {

constexpr int kThreads = 256;

// Blocks for a block-stride loop over `items` (one block per item): the kernels' loops cover any
// count, the cap keeps the grid legal.
inline unsigned block_count(int64_t items) {
  const int64_t cap = int64_t{1} << 20;
  return static_cast<unsigned>(items < cap ? items : cap);
}

// Blocks for a grid-stride loop over n items, one thread per item.
inline unsigned grid_blocks(int64_t n, int threads = kThreads) { return block_count((n + threads - 1) / threads); }

__device__ __forceinline__ int64_t thread_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t thread_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Storage -> compute type (half and bfloat16 compute in float, as at::opmath_type does on the CPU).
__device__ __forceinline__ float widen(float v) { return v; }
__device__ __forceinline__ double widen(double v) { return v; }
__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }

// Compute -> storage type, rounding to nearest even like c10::Half / c10::BFloat16.
template <typename out_t, typename acc_t>
__device__ __forceinline__ out_t narrow_to(acc_t v) {
  if constexpr (std::is_same_v<out_t, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<out_t, __nv_bfloat16>) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else {
    return static_cast<out_t>(v);
  }
}

// Complex buffers are interleaved (re, im) pairs of acc_t; element i is read and written as one vector.
template <typename acc_t>
struct Vec2;
template <>
struct Vec2<float> {
  using type = float2;
};
template <>
struct Vec2<double> {
  using type = double2;
};
template <typename acc_t>
using vec2_t = typename Vec2<acc_t>::type;

template <typename acc_t>
__device__ __forceinline__ vec2_t<acc_t> load_complex(const acc_t* p, int64_t i) {
  return reinterpret_cast<const vec2_t<acc_t>*>(p)[i];
}
template <typename acc_t>
__device__ __forceinline__ void store_complex(acc_t* p, int64_t i, vec2_t<acc_t> v) {
  reinterpret_cast<vec2_t<acc_t>*>(p)[i] = v;
}

}  // namespace sonix::cuda
