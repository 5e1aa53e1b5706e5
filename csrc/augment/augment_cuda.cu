// CUDA kernels of the augmentation ops: keyed Philox random numbers and the fused pointwise chain.
#include "augment/augment_cuda.h"
#include "augment/philox.h"
#include "augment/pointwise_math.h"
#include "core/cuda_utils.cuh"

namespace sonix::cuda {
namespace {

using sonix::augment::DrawKey;

__global__ void keyed_uniform_kernel(const int64_t* __restrict__ keys, int64_t rows, int64_t seed, int64_t step,
                                     int64_t stream_id, int64_t count, double* __restrict__ out) {
  const int64_t pairs = (count + 1) / 2;
  for (int64_t i = thread_index(); i < rows * pairs; i += thread_stride()) {
    const int64_t r = i / pairs, b = i % pairs;
    const DrawKey dk = sonix::augment::make_draw_key(seed, step, stream_id, keys[r]);
    double u0, u1;
    sonix::augment::uniform_pair(dk, static_cast<uint32_t>(b), u0, u1);
    out[r * count + 2 * b] = u0;
    if (2 * b + 1 < count) out[r * count + 2 * b + 1] = u1;
  }
}

// One thread per Philox block: the Box-Muller pair (cos, sin) of its uniforms (philox.h: 24-bit
// uniforms in float32, 53-bit ones in float64, as on the CPU).
template <typename out_t, typename acc_t>
__global__ void keyed_normal_kernel(const int64_t* __restrict__ keys, int64_t rows, int64_t seed, int64_t step,
                                    int64_t stream_id, int64_t count, out_t* __restrict__ out) {
  const int64_t blocks = (count + 1) / 2;
  for (int64_t i = thread_index(); i < rows * blocks; i += thread_stride()) {
    const int64_t r = i / blocks, b = i % blocks;
    const DrawKey dk = sonix::augment::make_draw_key(seed, step, stream_id, keys[r]);
    acc_t n0, n1;
    if constexpr (sizeof(acc_t) == 4) {
      const sonix::augment::Philox4 w =
          sonix::augment::philox4x32_10(static_cast<uint32_t>(b), dk.c1, dk.c2, dk.c3, dk.k0, dk.k1);
      float one_minus_u, angle, s, c;
      sonix::augment::normal_pair_inputs_f32(w, one_minus_u, angle);
      const float rad = sqrtf(-2.0f * logf(one_minus_u));
      sincosf(angle, &s, &c);
      n0 = rad * c;
      n1 = rad * s;
    } else {
      sonix::augment::normal_pair_f64(dk, static_cast<uint32_t>(b), n0, n1);
    }
    out[r * count + 2 * b] = narrow_to<out_t>(n0);
    if (2 * b + 1 < count) out[r * count + 2 * b + 1] = narrow_to<out_t>(n1);
  }
}

template <typename in_t, typename acc_t>
__global__ void pointwise_chain_kernel(const in_t* __restrict__ x, const in_t* __restrict__ grad,
                                       const sonix::augment::StageKinds kinds, const acc_t* __restrict__ params,
                                       int64_t rows, int64_t time, in_t* __restrict__ y) {
  for (int64_t i = thread_index(); i < rows * time; i += thread_stride()) {
    const int64_t r = i / time;
    acc_t d;
    const acc_t v = sonix::augment::chain_apply(kinds.code, kinds.n, params + r * kinds.n * 2,
                                                static_cast<acc_t>(widen(x[i])), d);
    y[i] = grad ? narrow_to<in_t>(static_cast<acc_t>(widen(grad[i])) * d) : narrow_to<in_t>(v);
  }
}

}  // namespace

cudaError_t launch_keyed_uniform(const int64_t* keys, int64_t rows, int64_t seed, int64_t step, int64_t stream_id,
                                 int64_t count, double* out, cudaStream_t stream) {
  const int64_t n = rows * ((count + 1) / 2);
  if (n > 0) keyed_uniform_kernel<<<grid_blocks(n), kThreads, 0, stream>>>(keys, rows, seed, step, stream_id, count, out);
  return cudaGetLastError();
}

template <typename out_t, typename acc_t>
cudaError_t launch_keyed_normal(const int64_t* keys, int64_t rows, int64_t seed, int64_t step, int64_t stream_id,
                                int64_t count, out_t* out, cudaStream_t stream) {
  const int64_t n = rows * ((count + 1) / 2);
  if (n > 0)
    keyed_normal_kernel<out_t, acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(keys, rows, seed, step, stream_id,
                                                                               count, out);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_pointwise_chain(const in_t* x, const in_t* grad, const sonix::augment::StageKinds& kinds,
                                   const acc_t* params, int64_t rows, int64_t time, in_t* y, cudaStream_t stream) {
  const int64_t n = rows * time;
  if (n > 0)
    pointwise_chain_kernel<in_t, acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(x, grad, kinds, params, rows, time, y);
  return cudaGetLastError();
}

#define SONIX_AUGMENT_INSTANTIATE(in_t, acc_t)                                                                      \
  template cudaError_t launch_keyed_normal<in_t, acc_t>(const int64_t*, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                                        in_t*, cudaStream_t);                                       \
  template cudaError_t launch_pointwise_chain<in_t, acc_t>(const in_t*, const in_t*,                                  \
                                                           const sonix::augment::StageKinds&, const acc_t*, int64_t, \
                                                           int64_t, in_t*, cudaStream_t);
SONIX_AUGMENT_INSTANTIATE(float, float)
SONIX_AUGMENT_INSTANTIATE(double, double)
SONIX_AUGMENT_INSTANTIATE(__half, float)
SONIX_AUGMENT_INSTANTIATE(__nv_bfloat16, float)
#undef SONIX_AUGMENT_INSTANTIATE

}  // namespace sonix::cuda
