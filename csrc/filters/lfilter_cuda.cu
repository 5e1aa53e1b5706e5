// CUDA kernels of lfilter: FIR part elementwise, all-pole part as a chunked scan (see filters_cuda.h).
#include "core/cuda_utils.cuh"
#include "filters/filters_cuda.h"

namespace sonix::cuda {
namespace {

// Logical time u of a channel -> storage index (the adjoint runs backwards in time).
__device__ __forceinline__ int64_t time_index(int64_t u, int64_t T, bool reverse) { return reverse ? T - 1 - u : u; }

// One chunk of y[t] = w[t] - sum a[i] y[t-i] from the history h (h[0] = y[t-1]); kMax >= N keeps
// h and the coefficients in registers for small orders (the loops unroll over kMax).
template <int kMax, typename acc_t, typename out_t>
__device__ __forceinline__ void run_chunk(const acc_t* w, const acc_t (&ar)[kMax], acc_t (&h)[kMax], int64_t N,
                                          int64_t T, int64_t u0, int64_t len, bool reverse, out_t* y) {
  for (int64_t j = 0; j < len; ++j) {
    const int64_t t = time_index(u0 + j, T, reverse);
    acc_t v = w[t];
#pragma unroll
    for (int i = kMax - 1; i >= 0; --i)
      if (i < N) v -= ar[i] * h[i];
#pragma unroll
    for (int i = kMax - 1; i > 0; --i) h[i] = h[i - 1];
    h[0] = v;
    if (y) y[t] = narrow_to<out_t>(v);
  }
}

template <int kMax, typename acc_t>
__device__ __forceinline__ void load_a(const acc_t* a, int64_t c, int64_t N, acc_t (&ar)[kMax]) {
#pragma unroll
  for (int i = 0; i < kMax; ++i) ar[i] = i < N ? a[c * (N + 1) + 1 + i] : acc_t(0);
}

// Pass 1: each chunk from a zero state; s[(c, k)] = its final history.
template <int kMax, typename acc_t>
__global__ void chunk_state_kernel(const acc_t* __restrict__ w, const acc_t* __restrict__ a, int64_t C, int64_t T,
                                   int64_t N, int64_t K, bool reverse, acc_t* __restrict__ s) {
  for (int64_t idx = thread_index(); idx < C * K; idx += thread_stride()) {
    const int64_t c = idx / K, k = idx % K;
    acc_t ar[kMax], h[kMax];
    load_a(a, c, N, ar);
#pragma unroll
    for (int i = 0; i < kMax; ++i) h[i] = acc_t(0);
    const int64_t u0 = k * kScanChunk, len = T - u0 < kScanChunk ? T - u0 : kScanChunk;
    run_chunk<kMax, acc_t, acc_t>(w + c * T, ar, h, N, T, u0, len, reverse, nullptr);
    for (int64_t i = 0; i < N; ++i) s[idx * N + i] = h[i];
  }
}

// Pass 2, one thread per channel over its chunks (not its samples): the transition M of one full
// chunk from unit histories, then S_0 = 0, S_{k+1} = s_k + M S_k.
template <int kMax, typename acc_t>
__global__ void carry_kernel(const acc_t* __restrict__ a, const acc_t* __restrict__ s, int64_t C, int64_t N,
                             int64_t K, acc_t* __restrict__ S) {
  for (int64_t c = thread_index(); c < C; c += thread_stride()) {
    acc_t ar[kMax];
    load_a(a, c, N, ar);
    acc_t M[kMax * kMax];  // M[i * kMax + m]: history entry i after a chunk that starts from e_m
    for (int64_t m = 0; m < N; ++m) {
      acc_t h[kMax];
#pragma unroll
      for (int i = 0; i < kMax; ++i) h[i] = i == m ? acc_t(1) : acc_t(0);
      for (int64_t j = 0; j < kScanChunk; ++j) {
        acc_t v = 0;
#pragma unroll
        for (int i = kMax - 1; i >= 0; --i)
          if (i < N) v -= ar[i] * h[i];
#pragma unroll
        for (int i = kMax - 1; i > 0; --i) h[i] = h[i - 1];
        h[0] = v;
      }
      for (int64_t i = 0; i < N; ++i) M[i * kMax + m] = h[i];
    }
    acc_t cur[kMax];
#pragma unroll
    for (int i = 0; i < kMax; ++i) cur[i] = acc_t(0);
    const acc_t* sc = s + c * K * N;
    acc_t* Sc = S + c * K * N;
    for (int64_t i = 0; i < N; ++i) Sc[i] = acc_t(0);
    for (int64_t k = 0; k + 1 < K; ++k) {
      acc_t nxt[kMax];
      for (int64_t i = 0; i < N; ++i) {
        acc_t v = sc[k * N + i];
        for (int64_t m = 0; m < N; ++m) v += M[i * kMax + m] * cur[m];
        nxt[i] = v;
      }
      for (int64_t i = 0; i < N; ++i) {
        cur[i] = nxt[i];
        Sc[(k + 1) * N + i] = nxt[i];
      }
    }
  }
}

// Pass 3: each chunk again from its true history, writing y.
template <int kMax, typename acc_t, typename out_t>
__global__ void chunk_final_kernel(const acc_t* __restrict__ w, const acc_t* __restrict__ a,
                                   const acc_t* __restrict__ S, int64_t C, int64_t T, int64_t N, int64_t K,
                                   bool reverse, out_t* __restrict__ y) {
  for (int64_t idx = thread_index(); idx < C * K; idx += thread_stride()) {
    const int64_t c = idx / K, k = idx % K;
    acc_t ar[kMax], h[kMax];
    load_a(a, c, N, ar);
#pragma unroll
    for (int i = 0; i < kMax; ++i) h[i] = i < N ? S[idx * N + i] : acc_t(0);
    const int64_t u0 = k * kScanChunk, len = T - u0 < kScanChunk ? T - u0 : kScanChunk;
    run_chunk<kMax, acc_t, out_t>(w + c * T, ar, h, N, T, u0, len, reverse, y + c * T);
  }
}

template <typename in_t, typename acc_t>
__global__ void fir_kernel(const in_t* __restrict__ x, const acc_t* __restrict__ b, const acc_t* __restrict__ zi,
                           int64_t C, int64_t T, int64_t N, acc_t* __restrict__ w) {
  for (int64_t idx = thread_index(); idx < C * T; idx += thread_stride()) {
    const int64_t c = idx / T, t = idx % T;
    const acc_t* bc = b + c * (N + 1);
    acc_t v = (zi && t < N) ? zi[c * N + t] : acc_t(0);
    for (int64_t i = 0; i <= N && i <= t; ++i) v += bc[i] * static_cast<acc_t>(widen(x[idx - i]));
    w[idx] = v;
  }
}

template <typename in_t, typename acc_t>
__global__ void final_state_kernel(const in_t* __restrict__ x, const in_t* __restrict__ y,
                                   const acc_t* __restrict__ a, const acc_t* __restrict__ b,
                                   const acc_t* __restrict__ zi, int64_t C, int64_t T, int64_t N,
                                   acc_t* __restrict__ zf) {
  for (int64_t idx = thread_index(); idx < C * N; idx += thread_stride()) {
    const int64_t c = idx / N, k = idx % N;
    acc_t v = (zi && T + k < N) ? zi[c * N + T + k] : acc_t(0);
    for (int64_t i = k + 1; i <= N; ++i) {
      const int64_t t = T + k - i;
      if (t < 0) break;
      v += b[c * (N + 1) + i] * static_cast<acc_t>(widen(x[c * T + t])) -
           a[c * (N + 1) + i] * static_cast<acc_t>(widen(y[c * T + t]));
    }
    zf[idx] = v;
  }
}

template <typename in_t, typename acc_t>
__global__ void widen_kernel(const in_t* __restrict__ src, int64_t n, acc_t* __restrict__ dst) {
  for (int64_t i = thread_index(); i < n; i += thread_stride()) dst[i] = static_cast<acc_t>(widen(src[i]));
}

// One thread per channel: grad_zf through zf's formula (O(N^2) per channel).
template <typename in_t, typename acc_t>
__global__ void zf_adjoint_kernel(const acc_t* __restrict__ gzf, const in_t* __restrict__ x,
                                  const in_t* __restrict__ y, const acc_t* __restrict__ a,
                                  const acc_t* __restrict__ b, int64_t C, int64_t T, int64_t N, acc_t* __restrict__ g,
                                  acc_t* __restrict__ ex, acc_t* __restrict__ da, acc_t* __restrict__ db,
                                  acc_t* __restrict__ dz) {
  for (int64_t c = thread_index(); c < C; c += thread_stride()) {
    for (int64_t i = 0; i <= N; ++i) da[c * (N + 1) + i] = db[c * (N + 1) + i] = acc_t(0);
    for (int64_t k = 0; k < N; ++k) ex[c * N + k] = dz[c * N + k] = acc_t(0);
    if (!gzf) continue;
    for (int64_t k = 0; k < N; ++k) {
      const acc_t gk = gzf[c * N + k];
      if (T + k < N) dz[c * N + T + k] += gk;
      for (int64_t i = k + 1; i <= N; ++i) {
        const int64_t t = T + k - i;
        if (t < 0) break;
        const acc_t bi = b[c * (N + 1) + i], ai = a[c * (N + 1) + i];
        ex[c * N + t - (T - N)] += gk * bi;
        g[c * T + t] -= gk * ai;
        db[c * (N + 1) + i] += gk * static_cast<acc_t>(widen(x[c * T + t]));
        da[c * (N + 1) + i] -= gk * static_cast<acc_t>(widen(y[c * T + t]));
      }
    }
  }
}

template <typename acc_t, typename out_t>
__global__ void fir_adjoint_kernel(const acc_t* __restrict__ gw, const acc_t* __restrict__ b,
                                   const acc_t* __restrict__ ex, int64_t C, int64_t T, int64_t N,
                                   out_t* __restrict__ gx) {
  for (int64_t idx = thread_index(); idx < C * T; idx += thread_stride()) {
    const int64_t c = idx / T, t = idx % T;
    const acc_t* bc = b + c * (N + 1);
    acc_t v = t >= T - N ? ex[c * N + t - (T - N)] : acc_t(0);
    for (int64_t i = 0; i <= N && t + i < T; ++i) v += bc[i] * gw[idx + i];
    gx[idx] = narrow_to<out_t>(v);
  }
}

// Block (c, r): r <= N gives gb[c][r], r > N gives ga[c][r - N]; a tree reduction in shared memory.
template <typename in_t, typename acc_t>
__global__ void coef_grads_kernel(const acc_t* __restrict__ gw, const in_t* __restrict__ x,
                                  const in_t* __restrict__ y, const acc_t* __restrict__ da,
                                  const acc_t* __restrict__ db, int64_t C, int64_t T, int64_t N,
                                  acc_t* __restrict__ ga, acc_t* __restrict__ gb) {
  __shared__ acc_t part[kThreads];
  const int64_t R = 2 * N + 1;
  for (int64_t blk = blockIdx.x; blk < C * R; blk += gridDim.x) {
    const int64_t c = blk / R, r = blk % R;
    const bool is_b = r <= N;
    const int64_t lag = is_b ? r : r - N;
    const in_t* src = (is_b ? x : y) + c * T;
    acc_t v = 0;
    for (int64_t t = lag + threadIdx.x; t < T; t += blockDim.x)
      v += gw[c * T + t] * static_cast<acc_t>(widen(src[t - lag]));
    part[threadIdx.x] = v;
    __syncthreads();
    for (int step = kThreads / 2; step > 0; step >>= 1) {
      if (threadIdx.x < step) part[threadIdx.x] += part[threadIdx.x + step];
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      if (is_b) {
        gb[c * (N + 1) + r] = db[c * (N + 1) + r] + part[0];
        if (r == 0) ga[c * (N + 1)] = acc_t(0);
      } else {
        ga[c * (N + 1) + lag] = da[c * (N + 1) + lag] - part[0];
      }
    }
    __syncthreads();
  }
}

template <typename acc_t>
__global__ void zi_grad_kernel(const acc_t* __restrict__ gw, const acc_t* __restrict__ dz, int64_t C, int64_t T,
                               int64_t N, acc_t* __restrict__ gzi) {
  for (int64_t idx = thread_index(); idx < C * N; idx += thread_stride()) {
    const int64_t c = idx / N, k = idx % N;
    gzi[idx] = dz[idx] + (k < T ? gw[c * T + k] : acc_t(0));
  }
}

template <int kMax, typename acc_t, typename out_t>
cudaError_t scan_impl(const acc_t* w, const acc_t* a, int64_t C, int64_t T, int64_t N, bool reverse,
                      acc_t* scratch, out_t* y, cudaStream_t stream) {
  const int64_t K = scan_chunks(T);
  acc_t* s = scratch;
  acc_t* S = scratch + C * K * N;
  chunk_state_kernel<kMax, acc_t><<<grid_blocks(C * K), kThreads, 0, stream>>>(w, a, C, T, N, K, reverse, s);
  carry_kernel<kMax, acc_t><<<grid_blocks(C, 64), 64, 0, stream>>>(a, s, C, N, K, S);
  chunk_final_kernel<kMax, acc_t, out_t><<<grid_blocks(C * K), kThreads, 0, stream>>>(w, a, S, C, T, N, K, reverse, y);
  return cudaGetLastError();
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_fir(const in_t* x, const acc_t* b, const acc_t* zi, int64_t C, int64_t T, int64_t N, acc_t* w,
                       cudaStream_t stream) {
  if (C * T == 0) return cudaSuccess;
  fir_kernel<in_t, acc_t><<<grid_blocks(C * T), kThreads, 0, stream>>>(x, b, zi, C, T, N, w);
  return cudaGetLastError();
}

template <typename acc_t, typename out_t>
cudaError_t launch_allpole_scan(const acc_t* w, const acc_t* a, int64_t C, int64_t T, int64_t N, bool reverse,
                                acc_t* scratch, out_t* y, cudaStream_t stream) {
  if (C * T == 0) return cudaSuccess;
  if (N <= 2) return scan_impl<2, acc_t, out_t>(w, a, C, T, N, reverse, scratch, y, stream);
  if (N <= 8) return scan_impl<8, acc_t, out_t>(w, a, C, T, N, reverse, scratch, y, stream);
  if (N <= kMaxCudaOrder) return scan_impl<kMaxCudaOrder, acc_t, out_t>(w, a, C, T, N, reverse, scratch, y, stream);
  return cudaErrorInvalidValue;
}

template <typename in_t, typename acc_t>
cudaError_t launch_final_state(const in_t* x, const in_t* y, const acc_t* a, const acc_t* b, const acc_t* zi,
                               int64_t C, int64_t T, int64_t N, acc_t* zf, cudaStream_t stream) {
  if (C * N == 0) return cudaSuccess;
  final_state_kernel<in_t, acc_t><<<grid_blocks(C * N), kThreads, 0, stream>>>(x, y, a, b, zi, C, T, N, zf);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_adjoint_input(const in_t* gy, const acc_t* gzf, const in_t* x, const in_t* y, const acc_t* a,
                                 const acc_t* b, int64_t C, int64_t T, int64_t N, acc_t* g, acc_t* ex, acc_t* da,
                                 acc_t* db, acc_t* dz, cudaStream_t stream) {
  if (C * T == 0) return cudaSuccess;
  widen_kernel<in_t, acc_t><<<grid_blocks(C * T), kThreads, 0, stream>>>(gy, C * T, g);
  zf_adjoint_kernel<in_t, acc_t><<<grid_blocks(C, 64), 64, 0, stream>>>(gzf, x, y, a, b, C, T, N, g, ex, da, db, dz);
  return cudaGetLastError();
}

template <typename acc_t, typename out_t>
cudaError_t launch_fir_adjoint(const acc_t* gw, const acc_t* b, const acc_t* ex, int64_t C, int64_t T, int64_t N,
                               out_t* gx, cudaStream_t stream) {
  if (C * T == 0) return cudaSuccess;
  fir_adjoint_kernel<acc_t, out_t><<<grid_blocks(C * T), kThreads, 0, stream>>>(gw, b, ex, C, T, N, gx);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_coef_grads(const acc_t* gw, const in_t* x, const in_t* y, const acc_t* da, const acc_t* db,
                              const acc_t* dz, int64_t C, int64_t T, int64_t N, acc_t* ga, acc_t* gb, acc_t* gzi,
                              cudaStream_t stream) {
  if (C == 0) return cudaSuccess;
  coef_grads_kernel<in_t, acc_t><<<block_count(C * (2 * N + 1)), kThreads, 0, stream>>>(gw, x, y, da, db, C, T, N,
                                                                                       ga, gb);
  if (C * N > 0) zi_grad_kernel<acc_t><<<grid_blocks(C * N), kThreads, 0, stream>>>(gw, dz, C, T, N, gzi);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_LFILTER(in_t, acc_t)                                                                      \
  template cudaError_t launch_fir<in_t, acc_t>(const in_t*, const acc_t*, const acc_t*, int64_t, int64_t, int64_t, \
                                               acc_t*, cudaStream_t);                                             \
  template cudaError_t launch_allpole_scan<acc_t, in_t>(const acc_t*, const acc_t*, int64_t, int64_t, int64_t,     \
                                                        bool, acc_t*, in_t*, cudaStream_t);                       \
  template cudaError_t launch_final_state<in_t, acc_t>(const in_t*, const in_t*, const acc_t*, const acc_t*,       \
                                                       const acc_t*, int64_t, int64_t, int64_t, acc_t*,            \
                                                       cudaStream_t);                                             \
  template cudaError_t launch_adjoint_input<in_t, acc_t>(const in_t*, const acc_t*, const in_t*, const in_t*,      \
                                                         const acc_t*, const acc_t*, int64_t, int64_t, int64_t,    \
                                                         acc_t*, acc_t*, acc_t*, acc_t*, acc_t*, cudaStream_t);    \
  template cudaError_t launch_fir_adjoint<acc_t, in_t>(const acc_t*, const acc_t*, const acc_t*, int64_t, int64_t, \
                                                       int64_t, in_t*, cudaStream_t);                             \
  template cudaError_t launch_coef_grads<in_t, acc_t>(const acc_t*, const in_t*, const in_t*, const acc_t*,        \
                                                      const acc_t*, const acc_t*, int64_t, int64_t, int64_t,       \
                                                      acc_t*, acc_t*, acc_t*, cudaStream_t);
SONIX_INSTANTIATE_LFILTER(float, float)
SONIX_INSTANTIATE_LFILTER(double, double)
SONIX_INSTANTIATE_LFILTER(__half, float)
SONIX_INSTANTIATE_LFILTER(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_LFILTER

}  // namespace sonix::cuda
