// CUDA kernels of PCEN: the smoother M[t] = k M[t-1] + s E[t] (k = 1 - s) as a chunked parallel scan.
// Each row is cut into chunks (about sqrt(T) frames, a multiple of 32); a warp scans a chunk 32 frames
// at a time with shuffles (coalesced loads). Pass 1 gives each chunk's end value from a zero start,
// pass 2 composes the chunks of a row (M_out = k^len M_in + b, about sqrt(T) steps), pass 3 rescans
// every chunk from its true start and writes the outputs. The backward runs the same three passes
// forward (for M) and in reverse time for the adjoint.
#include "core/cuda_utils.cuh"
#include "layers/layers_extra_cuda.h"
#include "layers/pcen.h"

namespace sonix::cuda {
namespace {

constexpr int kWarps = kThreads / 32;

// Inclusive warp scan of v[i] + k v[i-1] + k^2 v[i-2] ... (forward) or of v[i] + k v[i+1] ... (reverse).
template <bool kReverse, typename acc_t>
__device__ acc_t warp_decay_scan(acc_t v, acc_t k) {
  const int lane = threadIdx.x % 32;
  acc_t kd = k;
  for (int d = 1; d < 32; d <<= 1) {
    const acc_t other = kReverse ? __shfl_down_sync(0xffffffffu, v, d) : __shfl_up_sync(0xffffffffu, v, d);
    if (kReverse ? lane + d < 32 : lane >= d) v += kd * other;
    kd *= kd;
  }
  return v;
}

template <typename acc_t>
struct Row {
  int64_t row, chunk, t0, t1;
};

template <typename acc_t>
__device__ Row<acc_t> warp_task(int64_t task, int64_t n_chunks, int64_t chunk_len, int64_t T) {
  const int64_t row = task / n_chunks, chunk = task % n_chunks;
  const int64_t t0 = chunk * chunk_len;
  return {row, chunk, t0, min(T, t0 + chunk_len)};
}

// Mode 0: chunk end value from a zero start -> chunk_b. Mode 1: from carry -> outputs (and M when
// smooth is given).
template <int kMode, typename in_t, typename acc_t>
__global__ void pcen_scan_kernel(const in_t* __restrict__ x, const acc_t* __restrict__ s_,
                                 const acc_t* __restrict__ alpha, const acc_t* __restrict__ delta,
                                 const acc_t* __restrict__ r, acc_t eps, int64_t rows, int64_t channels, int64_t T,
                                 int64_t chunk_len, int64_t n_chunks, const acc_t* __restrict__ carry,
                                 acc_t* __restrict__ chunk_b, in_t* __restrict__ y, acc_t* __restrict__ smooth) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  for (int64_t task = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; task < rows * n_chunks;
       task += warps) {
    const Row<acc_t> w = warp_task<acc_t>(task, n_chunks, chunk_len, T);
    const int64_t c = w.row % channels;
    const acc_t s = s_[c], keep = acc_t(1) - s;
    const PcenChannel<acc_t> p = pcen_channel<acc_t>(s, alpha[c], delta[c], r[c]);
    acc_t m_prev = kMode == 0 ? acc_t(0) : carry[task];
    const in_t* xr = x + w.row * T;
    for (int64_t b = w.t0; b < w.t1; b += 32) {
      const int64_t t = b + lane;
      const int nv = static_cast<int>(min(int64_t{32}, w.t1 - b));
      const acc_t e = t < w.t1 ? static_cast<acc_t>(widen(xr[t])) : acc_t(0);
      const acc_t m = warp_decay_scan<false>(s * e, keep) + pow(keep, acc_t(lane + 1)) * m_prev;
      if (kMode == 1 && t < w.t1) {
        y[w.row * T + t] = narrow_to<in_t>(pcen_value(e, m, p, eps));
        if (smooth) smooth[w.row * T + t] = m;
      }
      m_prev = __shfl_sync(0xffffffffu, m, nv - 1);
    }
    if (kMode == 0 && lane == 0) chunk_b[task] = m_prev;
  }
}

// Pass 2 of the forward scan: carry[row, chunk] = M before the chunk; m_final = M[T-1].
template <typename acc_t>
__global__ void pcen_carry_kernel(const acc_t* __restrict__ s_, const acc_t* __restrict__ m0, int64_t rows,
                                  int64_t channels, int64_t T, int64_t chunk_len, int64_t n_chunks,
                                  const acc_t* __restrict__ chunk_b, acc_t* __restrict__ carry,
                                  acc_t* __restrict__ m_final) {
  for (int64_t row = thread_index(); row < rows; row += thread_stride()) {
    const acc_t keep = acc_t(1) - s_[row % channels];
    const acc_t k_full = pow(keep, acc_t(chunk_len));
    acc_t m = m0[row];
    for (int64_t ch = 0; ch < n_chunks; ++ch) {
      carry[row * n_chunks + ch] = m;
      const int64_t len = min(chunk_len, T - ch * chunk_len);
      m = (len == chunk_len ? k_full : pow(keep, acc_t(len))) * m + chunk_b[row * n_chunks + ch];
    }
    if (m_final) m_final[row] = m;
  }
}

// Reverse pass for the adjoint lambda[t] = q[t] + k lambda[t+1], q[t] = g[t] dout/dM[t], entering each
// row with R = dL/dM[T-1] from the final state. Mode 0: chunk's k * lambda[t0] from R = 0 -> chunk_b.
// Mode 1: from the true R (carry), writes dL/dE and the per-chunk parameter partial sums.
template <int kMode, typename in_t, typename acc_t>
__global__ void pcen_adjoint_kernel(const in_t* __restrict__ gy, const in_t* __restrict__ x,
                                    const acc_t* __restrict__ smooth, const acc_t* __restrict__ m0,
                                    const acc_t* __restrict__ s_, const acc_t* __restrict__ alpha,
                                    const acc_t* __restrict__ delta, const acc_t* __restrict__ r, acc_t eps,
                                    int64_t rows, int64_t channels, int64_t T, int64_t chunk_len, int64_t n_chunks,
                                    const acc_t* __restrict__ carry, acc_t* __restrict__ chunk_b,
                                    in_t* __restrict__ gx, acc_t* __restrict__ partials) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  for (int64_t task = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; task < rows * n_chunks;
       task += warps) {
    const Row<acc_t> w = warp_task<acc_t>(task, n_chunks, chunk_len, T);
    const int64_t c = w.row % channels;
    const acc_t s = s_[c], keep = acc_t(1) - s;
    const PcenChannel<acc_t> p = pcen_channel<acc_t>(s, alpha[c], delta[c], r[c]);
    acc_t R = kMode == 0 ? acc_t(0) : carry[task];
    acc_t d_s = 0, d_alpha = 0, d_delta = 0, d_r = 0;
    const int64_t n_blocks = (w.t1 - w.t0 + 31) / 32;
    for (int64_t bi = n_blocks - 1; bi >= 0; --bi) {
      const int64_t b = w.t0 + bi * 32, t = b + lane;
      const int nv = static_cast<int>(min(int64_t{32}, w.t1 - b));
      const bool valid = t < w.t1;
      const acc_t e = valid ? static_cast<acc_t>(widen(x[w.row * T + t])) : acc_t(0);
      const acc_t g = valid ? static_cast<acc_t>(widen(gy[w.row * T + t])) : acc_t(0);
      const acc_t m = valid ? smooth[w.row * T + t] : acc_t(1);
      const PcenPartials<acc_t> d = pcen_partials(e, m, p, eps);
      const acc_t q = valid ? g * d.dm : acc_t(0);
      const acc_t lambda = warp_decay_scan<true>(q, keep) + pow(keep, acc_t(nv - 1 - lane)) * R;
      if (kMode == 1 && valid) {
        const acc_t m_prev = t > 0 ? smooth[w.row * T + t - 1] : m0[w.row];
        gx[w.row * T + t] = narrow_to<in_t>(g * d.de + s * lambda);
        d_s += lambda * (e - m_prev);
        d_alpha += g * d.dalpha;
        d_delta += g * d.ddelta;
        d_r += g * d.dr;
      }
      R = keep * __shfl_sync(0xffffffffu, lambda, 0);
    }
    if (kMode == 0) {
      if (lane == 0) chunk_b[task] = R;
    } else {
      for (int o = 16; o > 0; o >>= 1) {
        d_s += __shfl_down_sync(0xffffffffu, d_s, o);
        d_alpha += __shfl_down_sync(0xffffffffu, d_alpha, o);
        d_delta += __shfl_down_sync(0xffffffffu, d_delta, o);
        d_r += __shfl_down_sync(0xffffffffu, d_r, o);
      }
      if (lane == 0) {
        partials[task * 4 + 0] = d_s;
        partials[task * 4 + 1] = d_alpha;
        partials[task * 4 + 2] = d_delta;
        partials[task * 4 + 3] = d_r;
      }
    }
  }
}

// Pass 2 of the reverse scan: carry[row, chunk] = R entering the chunk from the right; g_m0 = k lambda[0].
template <typename acc_t>
__global__ void pcen_adjoint_carry_kernel(const acc_t* __restrict__ s_, const acc_t* __restrict__ g_final,
                                          int64_t rows, int64_t channels, int64_t T, int64_t chunk_len,
                                          int64_t n_chunks, const acc_t* __restrict__ chunk_b,
                                          acc_t* __restrict__ carry, acc_t* __restrict__ g_m0) {
  for (int64_t row = thread_index(); row < rows; row += thread_stride()) {
    const acc_t keep = acc_t(1) - s_[row % channels];
    acc_t R = g_final[row];
    for (int64_t ch = n_chunks - 1; ch >= 0; --ch) {
      carry[row * n_chunks + ch] = R;
      const int64_t len = min(chunk_len, T - ch * chunk_len);
      R = pow(keep, acc_t(len)) * R + chunk_b[row * n_chunks + ch];
    }
    g_m0[row] = R;
  }
}

unsigned warp_blocks(int64_t warp_tasks) { return block_count((warp_tasks + kWarps - 1) / kWarps); }

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_pcen_forward(const in_t* x, const acc_t* s, const acc_t* alpha, const acc_t* delta,
                                const acc_t* r, const acc_t* m0, acc_t eps, int64_t rows, int64_t channels, int64_t T,
                                in_t* y, acc_t* m_final, acc_t* chunk_b, acc_t* carry, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  const int64_t len = pcen_chunk_length(T), n_chunks = (T + len - 1) / len;
  const unsigned blocks = warp_blocks(rows * n_chunks);
  pcen_scan_kernel<0, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(x, s, alpha, delta, r, eps, rows, channels, T,
                                                                    len, n_chunks, nullptr, chunk_b, nullptr, nullptr);
  pcen_carry_kernel<acc_t><<<grid_blocks(rows), kThreads, 0, stream>>>(s, m0, rows, channels, T, len, n_chunks,
                                                                       chunk_b, carry, m_final);
  pcen_scan_kernel<1, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(x, s, alpha, delta, r, eps, rows, channels, T,
                                                                    len, n_chunks, carry, nullptr, y, nullptr);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_pcen_backward(const in_t* gy, const acc_t* g_final, const in_t* x, const acc_t* s,
                                 const acc_t* alpha, const acc_t* delta, const acc_t* r, const acc_t* m0, acc_t eps,
                                 int64_t rows, int64_t channels, int64_t T, in_t* gx, acc_t* g_m0, acc_t* partials,
                                 acc_t* smooth, acc_t* chunk_b, acc_t* carry, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  const int64_t len = pcen_chunk_length(T), n_chunks = (T + len - 1) / len;
  const unsigned blocks = warp_blocks(rows * n_chunks);
  // Forward scan again, keeping M (the outputs go to gx, overwritten below).
  pcen_scan_kernel<0, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(x, s, alpha, delta, r, eps, rows, channels, T,
                                                                    len, n_chunks, nullptr, chunk_b, nullptr, nullptr);
  pcen_carry_kernel<acc_t><<<grid_blocks(rows), kThreads, 0, stream>>>(s, m0, rows, channels, T, len, n_chunks,
                                                                       chunk_b, carry, nullptr);
  pcen_scan_kernel<1, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(x, s, alpha, delta, r, eps, rows, channels, T,
                                                                    len, n_chunks, carry, nullptr, gx, smooth);
  pcen_adjoint_kernel<0, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(gy, x, smooth, m0, s, alpha, delta, r, eps,
                                                                       rows, channels, T, len, n_chunks, nullptr,
                                                                       chunk_b, nullptr, nullptr);
  pcen_adjoint_carry_kernel<acc_t><<<grid_blocks(rows), kThreads, 0, stream>>>(s, g_final, rows, channels, T, len,
                                                                               n_chunks, chunk_b, carry, g_m0);
  pcen_adjoint_kernel<1, in_t, acc_t><<<blocks, kThreads, 0, stream>>>(gy, x, smooth, m0, s, alpha, delta, r, eps,
                                                                       rows, channels, T, len, n_chunks, carry,
                                                                       nullptr, gx, partials);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_PCEN(in_t, acc_t)                                                                          \
  template cudaError_t launch_pcen_forward<in_t, acc_t>(const in_t*, const acc_t*, const acc_t*, const acc_t*,       \
                                                        const acc_t*, const acc_t*, acc_t, int64_t, int64_t, int64_t, \
                                                        in_t*, acc_t*, acc_t*, acc_t*, cudaStream_t);                \
  template cudaError_t launch_pcen_backward<in_t, acc_t>(const in_t*, const acc_t*, const in_t*, const acc_t*,        \
                                                         const acc_t*, const acc_t*, const acc_t*, const acc_t*,      \
                                                         acc_t, int64_t, int64_t, int64_t, in_t*, acc_t*, acc_t*,     \
                                                         acc_t*, acc_t*, acc_t*, cudaStream_t);
SONIX_INSTANTIATE_PCEN(float, float)
SONIX_INSTANTIATE_PCEN(double, double)
SONIX_INSTANTIATE_PCEN(__half, float)
SONIX_INSTANTIATE_PCEN(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_PCEN

}  // namespace sonix::cuda
