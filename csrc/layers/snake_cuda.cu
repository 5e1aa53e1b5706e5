// CUDA kernels of Snake / SnakeBeta: forward, backward (input gradient and per-row parameter sums)
// and the per-channel reduction with the chain rule to alpha / beta. Deterministic: fixed-order
// block reductions, no atomics.
#include "core/cuda_utils.cuh"
#include "layers/layers_cuda.h"
#include "layers/snake_math.h"

namespace sonix::cuda {
namespace {

template <typename in_t, typename acc_t>
__global__ void snake_forward_kernel(const in_t* __restrict__ x, const acc_t* __restrict__ table, int64_t n,
                                     int64_t channels, int64_t time, in_t* __restrict__ y) {
  for (int64_t i = thread_index(); i < n; i += thread_stride()) {
    const int64_t c = (i / time) % channels;
    y[i] = narrow_to<in_t>(snake_value(static_cast<acc_t>(widen(x[i])), table[c], table[channels + c]));
  }
}

// One block per row: gx over the row, and the row's two parameter sums by a fixed tree reduction.
template <typename in_t, typename acc_t>
__global__ void snake_backward_kernel(const in_t* __restrict__ x, const in_t* __restrict__ g,
                                      const acc_t* __restrict__ table, int64_t rows, int64_t channels, int64_t time,
                                      in_t* __restrict__ gx, double* __restrict__ row_sums) {
  __shared__ double red[2][kThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t c = r % channels;
    const acc_t a = table[c], inv_b = table[channels + c];
    double sa = 0.0, sb = 0.0;
    for (int64_t t = threadIdx.x; t < time; t += blockDim.x) {
      const int64_t i = r * time + t;
      const acc_t xv = static_cast<acc_t>(widen(x[i])), gv = static_cast<acc_t>(widen(g[i]));
      const acc_t s = sin(a * xv), s2 = sin(acc_t(2) * a * xv);
      gx[i] = narrow_to<in_t>(gv + gv * inv_b * a * s2);
      sa += static_cast<double>(gv * xv * s2);
      sb += static_cast<double>(gv * s * s);
    }
    red[0][threadIdx.x] = sa;
    red[1][threadIdx.x] = sb;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) {
        red[0][threadIdx.x] += red[0][threadIdx.x + s];
        red[1][threadIdx.x] += red[1][threadIdx.x + s];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      row_sums[2 * r] = red[0][0];
      row_sums[2 * r + 1] = red[1][0];
    }
    __syncthreads();
  }
}

template <typename acc_t>
__global__ void snake_param_grads_kernel(const double* __restrict__ row_sums, const acc_t* __restrict__ alpha,
                                         const acc_t* __restrict__ beta, bool logscale, int64_t batch,
                                         int64_t channels, acc_t* __restrict__ grad_alpha,
                                         acc_t* __restrict__ grad_beta) {
  for (int64_t c = thread_index(); c < channels; c += thread_stride()) {
    double sa = 0.0, sb = 0.0;
    for (int64_t b = 0; b < batch; ++b) {
      sa += row_sums[2 * (b * channels + c)];
      sb += row_sums[2 * (b * channels + c) + 1];
    }
    const bool has_beta = beta != nullptr;
    const SnakeChannel<double> ch =
        snake_channel<double>(alpha[c], has_beta ? static_cast<double>(beta[c]) : 0.0, has_beta, logscale);
    double ga = 0.0, gb = 0.0;
    snake_param_grads(ch, has_beta, logscale, sa, sb, &ga, &gb);
    grad_alpha[c] = static_cast<acc_t>(ga);
    if (has_beta) grad_beta[c] = static_cast<acc_t>(gb);
  }
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_snake_forward(const in_t* x, const acc_t* table, int64_t rows, int64_t channels, int64_t time,
                                 in_t* y, cudaStream_t stream) {
  const int64_t n = rows * time;
  if (n == 0) return cudaSuccess;
  snake_forward_kernel<in_t, acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(x, table, n, channels, time, y);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_snake_backward(const in_t* x, const in_t* g, const acc_t* table, int64_t rows, int64_t channels,
                                  int64_t time, in_t* gx, double* row_sums, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  snake_backward_kernel<in_t, acc_t>
      <<<block_count(rows), kThreads, 0, stream>>>(x, g, table, rows, channels, time, gx, row_sums);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_snake_param_grads(const double* row_sums, const acc_t* alpha, const acc_t* beta, bool logscale,
                                     int64_t batch, int64_t channels, acc_t* grad_alpha, acc_t* grad_beta,
                                     cudaStream_t stream) {
  if (channels == 0) return cudaSuccess;
  snake_param_grads_kernel<acc_t><<<grid_blocks(channels), kThreads, 0, stream>>>(
      row_sums, alpha, beta, logscale, batch, channels, grad_alpha, grad_beta);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_SNAKE(in_t, acc_t)                                                                      \
  template cudaError_t launch_snake_forward<in_t, acc_t>(const in_t*, const acc_t*, int64_t, int64_t, int64_t,   \
                                                         in_t*, cudaStream_t);                                    \
  template cudaError_t launch_snake_backward<in_t, acc_t>(const in_t*, const in_t*, const acc_t*, int64_t,        \
                                                          int64_t, int64_t, in_t*, double*, cudaStream_t);
SONIX_INSTANTIATE_SNAKE(float, float)
SONIX_INSTANTIATE_SNAKE(double, double)
SONIX_INSTANTIATE_SNAKE(__half, float)
SONIX_INSTANTIATE_SNAKE(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_SNAKE
template cudaError_t launch_snake_param_grads<float>(const double*, const float*, const float*, bool, int64_t,
                                                     int64_t, float*, float*, cudaStream_t);
template cudaError_t launch_snake_param_grads<double>(const double*, const double*, const double*, bool, int64_t,
                                                      int64_t, double*, double*, cudaStream_t);

}  // namespace sonix::cuda
