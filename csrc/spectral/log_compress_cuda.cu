// CUDA kernels of the elementwise y = scale * ln(max(x + offset, amin)) + bias and its gradient.
#include "core/cuda_utils.cuh"
#include "spectral/spectral_cuda.h"

namespace sonix::cuda {
namespace {

template <typename in_t, typename acc_t>
__global__ void log_compress_kernel(const in_t* __restrict__ x, int64_t n, LogParams lp, in_t* __restrict__ y) {
  for (int64_t i = thread_index(); i < n; i += thread_stride())
    y[i] = narrow_to<in_t>(log_compress(static_cast<acc_t>(widen(x[i])), lp));
}

template <typename in_t, typename acc_t>
__global__ void log_compress_backward_kernel(const in_t* __restrict__ x, const in_t* __restrict__ g, int64_t n,
                                             LogParams lp, in_t* __restrict__ gx) {
  for (int64_t i = thread_index(); i < n; i += thread_stride())
    gx[i] = narrow_to<in_t>(
        log_compress_grad(static_cast<acc_t>(widen(x[i])), static_cast<acc_t>(widen(g[i])), lp));
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_log_compress(const in_t* x, int64_t n, LogParams lp, in_t* y, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  log_compress_kernel<in_t, acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(x, n, lp, y);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_log_compress_backward(const in_t* x, const in_t* grad, int64_t n, LogParams lp, in_t* gx,
                                         cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  log_compress_backward_kernel<in_t, acc_t><<<grid_blocks(n), kThreads, 0, stream>>>(x, grad, n, lp, gx);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_LOG(in_t, acc_t)                                                                      \
  template cudaError_t launch_log_compress<in_t, acc_t>(const in_t*, int64_t, LogParams, in_t*, cudaStream_t); \
  template cudaError_t launch_log_compress_backward<in_t, acc_t>(const in_t*, const in_t*, int64_t, LogParams,  \
                                                                 in_t*, cudaStream_t);
SONIX_INSTANTIATE_LOG(float, float)
SONIX_INSTANTIATE_LOG(double, double)
SONIX_INSTANTIATE_LOG(__half, float)
SONIX_INSTANTIATE_LOG(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_LOG

}  // namespace sonix::cuda
