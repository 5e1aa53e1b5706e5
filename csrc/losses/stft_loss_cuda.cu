// CUDA kernels of the fused STFT loss: per-frame sums of the magnitude terms and the gradient spectra.
#include "core/cuda_utils.cuh"
#include "losses/losses_cuda.h"
#include "losses/stft_loss_math.h"

namespace sonix::cuda {
namespace {

template <typename acc_t>
__device__ __forceinline__ acc_t power_at(const acc_t* spec, int64_t i) {
  const vec2_t<acc_t> v = load_complex(spec, i);
  return v.x * v.x + v.y * v.y;
}

template <typename acc_t>
__global__ void stft_loss_partials_kernel(const acc_t* spec_x, const acc_t* spec_y, int64_t n_freq,
                                          int64_t n_frames, Chunk c, acc_t eps, bool l2, double* partial) {
  __shared__ double red[kStftLossTerms][kThreads / 32];
  for (int64_t s = blockIdx.x; s < c.nr * c.nf; s += gridDim.x) {
    double acc[kStftLossTerms] = {0, 0, 0, 0};
    for (int64_t k = threadIdx.x; k < n_freq; k += blockDim.x) {
      const int64_t i = s * n_freq + k;
      acc_t px = power_at(spec_x, i), py = power_at(spec_y, i);
      px = px < eps ? eps : px;
      py = py < eps ? eps : py;
      const acc_t d = sqrt(py) - sqrt(px);
      const acc_t l = acc_t(0.5) * (log(py) - log(px));
      acc[0] += d * d;
      acc[1] += py;
      acc[2] += l2 ? l * l : fabs(l);
      acc[3] += l2 ? d * d : fabs(d);
    }
    // Block reduction in a fixed order: warp shuffles, then warp 0 over the warp sums.
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int t = 0; t < kStftLossTerms; ++t) {
      double v = acc[t];
      for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
      if (lane == 0) red[t][warp] = v;
    }
    __syncthreads();
    if (threadIdx.x < kStftLossTerms) {
      double v = 0;
      for (int w = 0; w < static_cast<int>(blockDim.x) / 32; ++w) v += red[threadIdx.x][w];
      const int64_t row = c.r0 + s / c.nf, frame = c.f0 + s % c.nf;
      partial[(row * n_frames + frame) * kStftLossTerms + threadIdx.x] = v;
    }
    __syncthreads();
  }
}

template <typename acc_t>
__global__ void stft_loss_reduce_kernel(const double* partial, int64_t rows, int64_t n_frames, acc_t* out) {
  for (int64_t i = thread_index(); i < rows * kStftLossTerms; i += thread_stride()) {
    const int64_t r = i / kStftLossTerms, t = i % kStftLossTerms;
    double v = 0;
    for (int64_t f = 0; f < n_frames; ++f) v += partial[(r * n_frames + f) * kStftLossTerms + t];
    out[i] = static_cast<acc_t>(v);
  }
}

template <typename acc_t>
__global__ void stft_loss_grad_spectrum_kernel(acc_t* spec_x, acc_t* spec_y, int64_t n_freq, int64_t n_fft, Chunk c,
                                               const acc_t* grad, acc_t eps, bool l2) {
  const int64_t n = c.nr * c.nf * n_freq;
  for (int64_t i = thread_index(); i < n; i += thread_stride()) {
    const int64_t k = i % n_freq, row = c.r0 + i / (n_freq * c.nf);
    vec2_t<acc_t> X = load_complex(spec_x, i), Y = load_complex(spec_y, i);
    const acc_t px = X.x * X.x + X.y * X.y, py = Y.x * Y.x + Y.y * Y.y;
    const acc_t l = acc_t(0.5) * (log(py < eps ? eps : py) - log(px < eps ? eps : px));
    acc_t cx, cy;
    stft_loss_bin_grad(px, py, l, eps, l2, grad + row * kStftLossTerms, cx, cy);
    const acc_t w = static_cast<acc_t>(onesided_adjoint_weight(k, n_fft));
    const bool real_bin = k == 0 || 2 * k == n_fft;  // c2r ignores these imaginary parts
    X.x *= cx * w;
    X.y = real_bin ? acc_t(0) : X.y * cx * w;
    Y.x *= cy * w;
    Y.y = real_bin ? acc_t(0) : Y.y * cy * w;
    store_complex(spec_x, i, X);
    store_complex(spec_y, i, Y);
  }
}

}  // namespace

template <typename acc_t>
cudaError_t launch_stft_loss_partials(const acc_t* spec_x, const acc_t* spec_y, int64_t n_freq, int64_t n_frames,
                                      Chunk c, acc_t eps, bool l2, double* partial, cudaStream_t stream) {
  stft_loss_partials_kernel<acc_t>
      <<<block_count(c.nr * c.nf), kThreads, 0, stream>>>(spec_x, spec_y, n_freq, n_frames, c, eps, l2, partial);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_stft_loss_reduce(const double* partial, int64_t rows, int64_t n_frames, acc_t* out,
                                    cudaStream_t stream) {
  stft_loss_reduce_kernel<acc_t>
      <<<grid_blocks(rows * kStftLossTerms), kThreads, 0, stream>>>(partial, rows, n_frames, out);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_stft_loss_grad_spectrum(acc_t* spec_x, acc_t* spec_y, int64_t n_freq, int64_t n_fft, Chunk c,
                                           const acc_t* grad, acc_t eps, bool l2, cudaStream_t stream) {
  stft_loss_grad_spectrum_kernel<acc_t>
      <<<grid_blocks(c.nr * c.nf * n_freq), kThreads, 0, stream>>>(spec_x, spec_y, n_freq, n_fft, c, grad, eps, l2);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_LOSS(acc_t)                                                                               \
  template cudaError_t launch_stft_loss_partials<acc_t>(const acc_t*, const acc_t*, int64_t, int64_t, Chunk, acc_t, \
                                                        bool, double*, cudaStream_t);                               \
  template cudaError_t launch_stft_loss_reduce<acc_t>(const double*, int64_t, int64_t, acc_t*, cudaStream_t);       \
  template cudaError_t launch_stft_loss_grad_spectrum<acc_t>(acc_t*, acc_t*, int64_t, int64_t, Chunk, const acc_t*, \
                                                             acc_t, bool, cudaStream_t);
SONIX_INSTANTIATE_LOSS(float)
SONIX_INSTANTIATE_LOSS(double)
#undef SONIX_INSTANTIATE_LOSS

}  // namespace sonix::cuda
