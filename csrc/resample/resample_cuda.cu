// CUDA kernels of the polyphase resampler: one thread per output (forward) or per input (adjoint,
// a gather over the outputs that read it: deterministic, no atomics). Taps come from the table
// through the read-only cache, or are computed per output for per-row rates.
#include "core/cuda_utils.cuh"
#include "resample/resample_cuda.h"

namespace sonix::cuda {
namespace {

template <typename acc_t>
__global__ void resample_poly_kernel(const acc_t* __restrict__ x, int64_t rows, int64_t in_len,
                                     const acc_t* __restrict__ taps, PolyGeom g, acc_t* __restrict__ y,
                                     int64_t out_len) {
  const int64_t n = rows * out_len;
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t r = idx / out_len, c = idx % out_len, j = g.out_start + c;
    const int64_t s = poly_start(j, g.orig, g.up, g.left) - g.in_offset;
    const acc_t* h = taps + (j % g.up) * g.n_taps;
    const acc_t* xr = x + r * in_len;
    const int64_t k0 = s < 0 ? -s : 0;
    const int64_t k1 = in_len - s < g.n_taps ? in_len - s : g.n_taps;
    acc_t v = 0;
    for (int64_t k = k0; k < k1; ++k) v += xr[s + k] * __ldg(h + k);
    y[idx] = v;
  }
}

template <typename acc_t>
__global__ void resample_poly_backward_kernel(const acc_t* __restrict__ grad, int64_t rows, int64_t out_len,
                                              const acc_t* __restrict__ taps, PolyGeom g, acc_t* __restrict__ gx,
                                              int64_t in_len) {
  const int64_t n = rows * in_len;
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t r = idx / in_len, i = idx % in_len + g.in_offset;
    int64_t lo = poly_first_reader(i, g.orig, g.up, g.left, g.n_taps);
    int64_t hi = poly_last_reader(i, g.orig, g.up, g.left);
    lo = lo > g.out_start ? lo : g.out_start;
    hi = hi < g.out_start + out_len - 1 ? hi : g.out_start + out_len - 1;
    const acc_t* gr = grad + r * out_len - g.out_start;
    acc_t v = 0;
    for (int64_t j = lo; j <= hi; ++j)
      v += gr[j] * __ldg(taps + (j % g.up) * g.n_taps + i - poly_start(j, g.orig, g.up, g.left));
    gx[idx] = v;
  }
}

__device__ __forceinline__ SincFilter row_filter(SincFilter f, int64_t orig, int64_t up) {
  const double ratio = static_cast<double>(up) / static_cast<double>(orig);
  f.scale = f.scale * (ratio < 1.0 ? ratio : 1.0);
  return f;
}

template <typename acc_t>
__global__ void resample_varying_kernel(const acc_t* __restrict__ x, int64_t rows, int64_t in_len,
                                        const int64_t* __restrict__ orig, int64_t up, int64_t left, int64_t n_taps,
                                        SincFilter f0, acc_t* __restrict__ y, int64_t out_len) {
  const int64_t n = rows * out_len;
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t r = idx / out_len, j = idx % out_len;
    const int64_t o = orig[r] > 0 ? orig[r] : 1;
    const acc_t* xr = x + r * in_len;
    acc_t v = 0;
    if (j < ceil_div(up * in_len, o)) {
      if (o == up) {
        v = j < in_len ? xr[j] : acc_t(0);
      } else {
        const SincFilter f = row_filter(f0, o, up);
        const int64_t num = j * o, s = num / up - left;
        const double frac = static_cast<double>(num % up) / static_cast<double>(up);
        const int64_t k0 = s < 0 ? -s : 0;
        const int64_t k1 = in_len - s < n_taps ? in_len - s : n_taps;
        for (int64_t k = k0; k < k1; ++k)
          v += xr[s + k] * static_cast<acc_t>(sinc_tap(static_cast<double>(k - left) - frac, f));
      }
    }
    y[idx] = v;
  }
}

template <typename acc_t>
__global__ void resample_varying_backward_kernel(const acc_t* __restrict__ grad, int64_t rows, int64_t out_len,
                                                 const int64_t* __restrict__ orig, int64_t up, int64_t left,
                                                 int64_t n_taps, SincFilter f0, acc_t* __restrict__ gx,
                                                 int64_t in_len) {
  const int64_t n = rows * in_len;
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t r = idx / in_len, i = idx % in_len;
    const int64_t o = orig[r] > 0 ? orig[r] : 1;
    const acc_t* gr = grad + r * out_len;
    int64_t n_out = ceil_div(up * in_len, o);
    n_out = n_out < out_len ? n_out : out_len;
    acc_t v = 0;
    if (o == up) {
      v = i < n_out ? gr[i] : acc_t(0);
    } else {
      const SincFilter f = row_filter(f0, o, up);
      int64_t lo = poly_first_reader(i, o, up, left, n_taps), hi = poly_last_reader(i, o, up, left);
      lo = lo > 0 ? lo : 0;
      hi = hi < n_out - 1 ? hi : n_out - 1;
      for (int64_t j = lo; j <= hi; ++j) {
        const int64_t num = j * o;
        const double frac = static_cast<double>(num % up) / static_cast<double>(up);
        v += gr[j] * static_cast<acc_t>(sinc_tap(static_cast<double>(i - num / up) - frac, f));
      }
    }
    gx[idx] = v;
  }
}

}  // namespace

template <typename acc_t>
cudaError_t launch_resample_poly(const acc_t* x, int64_t rows, int64_t in_len, const acc_t* taps, PolyGeom g,
                                 acc_t* y, int64_t out_len, cudaStream_t stream) {
  if (rows * out_len == 0) return cudaSuccess;
  resample_poly_kernel<<<grid_blocks(rows * out_len), kThreads, 0, stream>>>(x, rows, in_len, taps, g, y, out_len);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_resample_poly_backward(const acc_t* grad, int64_t rows, int64_t out_len, const acc_t* taps,
                                          PolyGeom g, acc_t* gx, int64_t in_len, cudaStream_t stream) {
  if (rows * in_len == 0) return cudaSuccess;
  resample_poly_backward_kernel<<<grid_blocks(rows * in_len), kThreads, 0, stream>>>(grad, rows, out_len, taps, g,
                                                                                      gx, in_len);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_resample_varying(const acc_t* x, int64_t rows, int64_t in_len, const int64_t* orig, int64_t up,
                                    int64_t left, int64_t n_taps, SincFilter f, acc_t* y, int64_t out_len,
                                    cudaStream_t stream) {
  if (rows * out_len == 0) return cudaSuccess;
  resample_varying_kernel<<<grid_blocks(rows * out_len), kThreads, 0, stream>>>(x, rows, in_len, orig, up, left,
                                                                                 n_taps, f, y, out_len);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_resample_varying_backward(const acc_t* grad, int64_t rows, int64_t out_len, const int64_t* orig,
                                             int64_t up, int64_t left, int64_t n_taps, SincFilter f, acc_t* gx,
                                             int64_t in_len, cudaStream_t stream) {
  if (rows * in_len == 0) return cudaSuccess;
  resample_varying_backward_kernel<<<grid_blocks(rows * in_len), kThreads, 0, stream>>>(grad, rows, out_len, orig,
                                                                                         up, left, n_taps, f, gx,
                                                                                         in_len);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_RESAMPLE(acc_t)                                                                         \
  template cudaError_t launch_resample_poly<acc_t>(const acc_t*, int64_t, int64_t, const acc_t*, PolyGeom, acc_t*, \
                                                   int64_t, cudaStream_t);                                       \
  template cudaError_t launch_resample_poly_backward<acc_t>(const acc_t*, int64_t, int64_t, const acc_t*,         \
                                                            PolyGeom, acc_t*, int64_t, cudaStream_t);             \
  template cudaError_t launch_resample_varying<acc_t>(const acc_t*, int64_t, int64_t, const int64_t*, int64_t,    \
                                                      int64_t, int64_t, SincFilter, acc_t*, int64_t, cudaStream_t); \
  template cudaError_t launch_resample_varying_backward<acc_t>(const acc_t*, int64_t, int64_t, const int64_t*,    \
                                                               int64_t, int64_t, int64_t, SincFilter, acc_t*,      \
                                                               int64_t, cudaStream_t);
SONIX_INSTANTIATE_RESAMPLE(float)
SONIX_INSTANTIATE_RESAMPLE(double)
#undef SONIX_INSTANTIATE_RESAMPLE

}  // namespace sonix::cuda
