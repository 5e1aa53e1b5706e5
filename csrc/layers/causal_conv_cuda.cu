// CUDA kernels of the causal depthwise conv: a block per (output row, time tile) with the tile and its
// width - 1 halo of history in shared memory (forward, and the pre-activation gradient that recomputes
// z the same way), the input gradient as the same tiling over the gradient with reversed taps, and
// per-row weight / bias sums reduced by fixed trees and then over the batch in order (deterministic).
#include <algorithm>

#include "core/cuda_utils.cuh"
#include "layers/layers_cuda.h"

namespace sonix::cuda {
namespace {

constexpr int kTile = 512;  // outputs per block
constexpr int kHalo = static_cast<int>(kConvMaxWidth) - 1;

__host__ __device__ inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Forward (kBackward false): y. Backward (true): gz, the gradient w.r.t. the pre-activations of every
// input channel, from grad (batch, out_channels, time); 0 at t >= lengths[b].
template <typename in_t, typename acc_t, bool kBackward>
__global__ void causal_conv_tile_kernel(const in_t* __restrict__ x, const in_t* __restrict__ state,
                                        const acc_t* __restrict__ w, const acc_t* __restrict__ bias,
                                        const int64_t* __restrict__ lengths, ConvShape s,
                                        const in_t* __restrict__ grad, in_t* __restrict__ y,
                                        acc_t* __restrict__ gz) {
  __shared__ acc_t xs[2][kTile + kHalo];
  __shared__ acc_t ws[2][kConvMaxWidth];
  const int64_t T = s.time, K = s.width, H = K - 1;
  const int n_in = s.act == ConvActivation::kGlu ? 2 : 1;
  const int64_t tiles = ceil_div(T, kTile);
  for (int64_t blk = blockIdx.x; blk < s.batch * s.out_channels * tiles; blk += gridDim.x) {
    const int64_t r = blk / tiles, t0 = (blk % tiles) * kTile;
    const int64_t b = r / s.out_channels, co = r % s.out_channels;
    __syncthreads();  // the previous tile is done with shared memory
    for (int i = 0; i < n_in; ++i) {
      const int64_t row = b * s.channels + co + i * s.out_channels;
      for (int64_t j = threadIdx.x; j < kTile + H; j += blockDim.x) {
        const int64_t t = t0 - H + j;
        acc_t v = acc_t(0);
        if (t >= 0 && t < T)
          v = static_cast<acc_t>(widen(x[row * T + t]));
        else if (t < 0 && state != nullptr)
          v = static_cast<acc_t>(widen(state[row * H + H + t]));
        xs[i][j] = v;
      }
      for (int64_t k = threadIdx.x; k < K; k += blockDim.x) ws[i][k] = w[(co + i * s.out_channels) * K + k];
    }
    __syncthreads();
    int64_t valid = lengths != nullptr ? lengths[b] : T;
    valid = valid < 0 ? 0 : (valid > T ? T : valid);
    for (int64_t j = threadIdx.x; j < kTile && t0 + j < T; j += blockDim.x) {
      const int64_t t = t0 + j;
      acc_t z[2] = {acc_t(0), acc_t(0)};
      for (int i = 0; i < n_in; ++i) {
        acc_t acc = bias != nullptr ? bias[co + i * s.out_channels] : acc_t(0);
        for (int64_t k = 0; k < K; ++k) acc += ws[i][k] * xs[i][j + k];
        z[i] = acc;
      }
      if constexpr (!kBackward) {
        acc_t out = s.act == ConvActivation::kGlu ? z[0] * conv_sigmoid(z[1]) : conv_activation(z[0], s.act);
        y[r * T + t] = narrow_to<in_t>(t < valid ? out : acc_t(0));
      } else {
        const acc_t g = t < valid ? static_cast<acc_t>(widen(grad[r * T + t])) : acc_t(0);
        const int64_t row = b * s.channels + co;
        if (s.act == ConvActivation::kGlu) {
          const acc_t sg = conv_sigmoid(z[1]);
          gz[row * T + t] = g * sg;
          gz[(row + s.out_channels) * T + t] = g * z[0] * sg * (acc_t(1) - sg);
        } else {
          gz[row * T + t] = g * conv_activation_grad(z[0], s.act);
        }
      }
    }
  }
}

// gx[t] = sum_k w[k] * gz[t + K - 1 - k] per input row, tiled like the forward (halo on the right).
template <typename in_t, typename acc_t>
__global__ void causal_conv_grad_input_kernel(const acc_t* __restrict__ gz, const acc_t* __restrict__ w,
                                              ConvShape s, in_t* __restrict__ gx) {
  __shared__ acc_t gs[kTile + kHalo];
  __shared__ acc_t ws[kConvMaxWidth];
  const int64_t T = s.time, K = s.width, H = K - 1;
  const int64_t tiles = ceil_div(T, kTile);
  for (int64_t blk = blockIdx.x; blk < s.batch * s.channels * tiles; blk += gridDim.x) {
    const int64_t row = blk / tiles, t0 = (blk % tiles) * kTile;
    const int64_t c = row % s.channels;
    __syncthreads();
    for (int64_t j = threadIdx.x; j < kTile + H; j += blockDim.x)
      gs[j] = t0 + j < T ? gz[row * T + t0 + j] : acc_t(0);
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) ws[k] = w[c * K + k];
    __syncthreads();
    for (int64_t j = threadIdx.x; j < kTile && t0 + j < T; j += blockDim.x) {
      acc_t acc = acc_t(0);
      for (int64_t k = 0; k < K; ++k) acc += ws[k] * gs[j + H - k];
      gx[row * T + t0 + j] = narrow_to<in_t>(acc);
    }
  }
}

// One block per input row: parts[row][k] = sum_t gz[t] x[t - K + 1 + k], parts[row][K] = sum_t gz[t].
template <typename in_t, typename acc_t>
__global__ void causal_conv_row_sums_kernel(const acc_t* __restrict__ gz, const in_t* __restrict__ x, ConvShape s,
                                            double* __restrict__ parts) {
  __shared__ double red[kThreads];
  const int64_t T = s.time, K = s.width, H = K - 1;
  for (int64_t row = blockIdx.x; row < s.batch * s.channels; row += gridDim.x) {
    for (int64_t k = 0; k <= K; ++k) {
      double acc = 0.0;
      for (int64_t t = threadIdx.x; t < T; t += blockDim.x) {
        const int64_t src = t - H + k;
        const acc_t xv = k == K ? acc_t(1) : (src >= 0 ? static_cast<acc_t>(widen(x[row * T + src])) : acc_t(0));
        acc += static_cast<double>(gz[row * T + t] * xv);
      }
      red[threadIdx.x] = acc;
      __syncthreads();
      for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) red[threadIdx.x] += red[threadIdx.x + h];
        __syncthreads();
      }
      if (threadIdx.x == 0) parts[row * (K + 1) + k] = red[0];
      __syncthreads();
    }
  }
}

template <typename acc_t>
__global__ void causal_conv_param_grads_kernel(const double* __restrict__ parts, ConvShape s, acc_t* __restrict__ gw,
                                               acc_t* __restrict__ gb) {
  const int64_t K = s.width;
  for (int64_t i = thread_index(); i < s.channels * (K + 1); i += thread_stride()) {
    double acc = 0.0;
    for (int64_t b = 0; b < s.batch; ++b) acc += parts[b * s.channels * (K + 1) + i];
    const int64_t c = i / (K + 1), k = i % (K + 1);
    if (k < K)
      gw[c * K + k] = static_cast<acc_t>(acc);
    else if (gb != nullptr)
      gb[c] = static_cast<acc_t>(acc);
  }
}

template <typename in_t>
__global__ void causal_conv_state_kernel(const in_t* __restrict__ x, const in_t* __restrict__ state, ConvShape s,
                                         in_t* __restrict__ new_state) {
  const int64_t T = s.time, H = s.width - 1;
  for (int64_t i = thread_index(); i < s.batch * s.channels * H; i += thread_stride()) {
    const int64_t row = i / H, k = i % H;
    const int64_t p = T + k;  // position in [state (H), x (T)]
    new_state[i] = p < H ? state[row * H + p] : x[row * T + p - H];
  }
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_causal_conv_forward(const in_t* x, const in_t* state, const acc_t* w, const acc_t* bias,
                                       const int64_t* lengths, ConvShape s, in_t* y, cudaStream_t stream) {
  const int64_t blocks = s.batch * s.out_channels * ceil_div(s.time, kTile);
  if (blocks == 0) return cudaSuccess;
  causal_conv_tile_kernel<in_t, acc_t, false>
      <<<block_count(blocks), kThreads, 0, stream>>>(x, state, w, bias, lengths, s, nullptr, y, nullptr);
  return cudaGetLastError();
}

template <typename in_t>
cudaError_t launch_causal_conv_state(const in_t* x, const in_t* state, ConvShape s, in_t* new_state,
                                     cudaStream_t stream) {
  const int64_t n = s.batch * s.channels * (s.width - 1);
  if (n == 0) return cudaSuccess;
  causal_conv_state_kernel<in_t><<<grid_blocks(n), kThreads, 0, stream>>>(x, state, s, new_state);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_causal_conv_backward(const in_t* grad, const in_t* x, const acc_t* w, const acc_t* bias,
                                        const int64_t* lengths, ConvShape s, acc_t* gz, in_t* gx, double* parts,
                                        acc_t* gw, acc_t* gb, cudaStream_t stream) {
  const int64_t tiles = ceil_div(s.time, kTile);
  if (s.batch * s.channels * tiles > 0) {
    causal_conv_tile_kernel<in_t, acc_t, true><<<block_count(s.batch * s.out_channels * tiles), kThreads, 0, stream>>>(
        x, nullptr, w, bias, lengths, s, grad, nullptr, gz);
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
    causal_conv_grad_input_kernel<in_t, acc_t>
        <<<block_count(s.batch * s.channels * tiles), kThreads, 0, stream>>>(gz, w, s, gx);
    err = cudaGetLastError();
    if (err != cudaSuccess) return err;
    causal_conv_row_sums_kernel<in_t, acc_t>
        <<<block_count(s.batch * s.channels), kThreads, 0, stream>>>(gz, x, s, parts);
    err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  const int64_t n = s.channels * (s.width + 1);
  if (n == 0) return cudaSuccess;
  causal_conv_param_grads_kernel<acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(parts, s, gw, gb);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_CONV(in_t, acc_t)                                                                        \
  template cudaError_t launch_causal_conv_forward<in_t, acc_t>(const in_t*, const in_t*, const acc_t*,            \
                                                               const acc_t*, const int64_t*, ConvShape, in_t*,     \
                                                               cudaStream_t);                                      \
  template cudaError_t launch_causal_conv_backward<in_t, acc_t>(const in_t*, const in_t*, const acc_t*,           \
                                                                const acc_t*, const int64_t*, ConvShape, acc_t*,   \
                                                                in_t*, double*, acc_t*, acc_t*, cudaStream_t);     \
  template cudaError_t launch_causal_conv_state<in_t>(const in_t*, const in_t*, ConvShape, in_t*, cudaStream_t);
SONIX_INSTANTIATE_CONV(float, float)
SONIX_INSTANTIATE_CONV(double, double)
SONIX_INSTANTIATE_CONV(__half, float)
SONIX_INSTANTIATE_CONV(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_CONV

}  // namespace sonix::cuda
