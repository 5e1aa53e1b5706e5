// CUDA kernels of the fused anti-aliased activation. One block per (row, time tile): the padded input
// the tile reads is staged in shared memory, the upsampled + activated tile lives only in shared memory,
// and the backward recomputes it the same way.
#include "core/cuda_utils.cuh"
#include "layers/layers_extra_cuda.h"
#include "layers/snake_math.h"

namespace sonix::cuda {
namespace {

template <typename acc_t>
__device__ acc_t block_sum(acc_t v, acc_t* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  acc_t total = 0;
  if (threadIdx.x == 0)
    for (int w = 0; w < (blockDim.x + 31) / 32; ++w) total += scratch[w];
  return total;  // valid in thread 0
}

// Stages xpad[m] for m in [m_lo, m_lo + n) into xs.
template <typename in_t, typename acc_t>
__device__ void stage_input(const in_t* x, const AntiAliasGeom& g, int64_t m_lo, int64_t n, acc_t* xs) {
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int64_t m = m_lo + i;
    xs[i] = (m < 0 || m >= g.n_pad) ? acc_t(0) : static_cast<acc_t>(widen(x[clamp_index(m - g.pad, 0, g.T - 1)]));
  }
}

template <typename acc_t>
struct SharedInput {
  const acc_t* xs;
  int64_t m_lo;
  __device__ acc_t operator()(int64_t m) const { return xs[m - m_lo]; }
};

template <typename in_t, typename acc_t>
__global__ void antialias_forward_kernel(const in_t* __restrict__ x, const acc_t* __restrict__ alpha,
                                         const acc_t* __restrict__ beta, const acc_t* __restrict__ up,
                                         const acc_t* __restrict__ down, bool log_scale, AntiAliasGeom g,
                                         int64_t rows, int64_t channels, int64_t tile, int64_t tiles,
                                         in_t* __restrict__ y) {
  extern __shared__ unsigned char smem_raw[];
  acc_t* act = reinterpret_cast<acc_t*>(smem_raw);
  const int ntu = (g.ku + g.ru - 1) / g.ru;
  for (int64_t task = blockIdx.x; task < rows * tiles; task += gridDim.x) {
    const int64_t row = task / tiles, i0 = (task % tiles) * tile;
    const int64_t i1 = min(g.T_out, i0 + tile);
    const int64_t c = row % channels;
    const AntiAliasSnake<acc_t> sc =
        antialias_snake<acc_t>(alpha[c], beta ? beta[c] : alpha[c], log_scale, acc_t(kSnakeEps));
    const int64_t p_lo = i0 * g.rd - g.pad_down, p_hi = (i1 - 1) * g.rd + g.kd - 1 - g.pad_down;
    const int64_t c_lo = max(p_lo, int64_t{0}), c_hi = min(p_hi, g.L - 1);
    const int64_t m_lo = (c_lo + g.crop) / g.ru - (ntu - 1), n_m = (c_hi + g.crop) / g.ru - m_lo + 1;
    acc_t* xs = act + (p_hi - p_lo + 1);
    __syncthreads();  // the previous task's reads of act are done
    stage_input(x + row * g.T, g, m_lo, n_m, xs);
    __syncthreads();
    const SharedInput<acc_t> xin{xs, m_lo};
    for (int64_t p = p_lo + threadIdx.x; p <= p_hi; p += blockDim.x) {
      const acc_t u = upsample_at<acc_t>(xin, up, clamp_index(p, c_lo, c_hi), g);  // replicate padding
      act[p - p_lo] = snake_value(u, sc.a, sc.inv_b);
    }
    __syncthreads();
    for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
      const acc_t* a = act + (i - i0) * g.rd;
      acc_t s = 0;
      for (int k = 0; k < g.kd; ++k) s += down[k] * a[k];
      y[row * g.T_out + i] = narrow_to<in_t>(s);
    }
  }
}

template <typename in_t, typename acc_t>
__global__ void antialias_backward_kernel(const in_t* __restrict__ gy, const in_t* __restrict__ x,
                                          const acc_t* __restrict__ alpha, const acc_t* __restrict__ beta,
                                          const acc_t* __restrict__ up, const acc_t* __restrict__ down,
                                          bool log_scale, AntiAliasGeom g, int64_t rows, int64_t channels,
                                          int64_t tile, int64_t tiles, in_t* __restrict__ gx,
                                          acc_t* __restrict__ partials) {
  extern __shared__ unsigned char smem_raw[];
  acc_t* red = reinterpret_cast<acc_t*>(smem_raw);  // 32 slots for block sums
  acc_t* gu = red + 32;
  const int ntu = (g.ku + g.ru - 1) / g.ru;
  for (int64_t task = blockIdx.x; task < rows * tiles; task += gridDim.x) {
    const int64_t row = task / tiles, j0 = (task % tiles) * tile;
    const int64_t j1 = min(g.T, j0 + tile);
    const int64_t c = row % channels;
    const AntiAliasSnake<acc_t> sc =
        antialias_snake<acc_t>(alpha[c], beta ? beta[c] : alpha[c], log_scale, acc_t(kSnakeEps));
    const int64_t m_lo = j0 == 0 ? 0 : j0 + g.pad, m_hi = j1 == g.T ? g.n_pad - 1 : j1 - 1 + g.pad;
    const int64_t P_lo = m_lo * g.ru - g.crop, P_hi = m_hi * g.ru + g.ku - 1 - g.crop;
    const int64_t c_lo = max(P_lo, int64_t{0}), c_hi = min(P_hi, g.L - 1);
    const int64_t xm_lo = (c_lo + g.crop) / g.ru - (ntu - 1), n_xm = (c_hi + g.crop) / g.ru - xm_lo + 1;
    acc_t* xs = gu + (P_hi - P_lo + 1);
    const int64_t own_lo = j0 == 0 ? 0 : j0 * g.ru, own_hi = j1 == g.T ? g.L : j1 * g.ru;
    const in_t* gyr = gy + row * g.T_out;
    __syncthreads();
    stage_input(x + row * g.T, g, xm_lo, n_xm, xs);
    __syncthreads();
    const SharedInput<acc_t> xin{xs, xm_lo};
    acc_t sum_a = 0, sum_invb = 0;
    for (int64_t p = P_lo + threadIdx.x; p <= P_hi; p += blockDim.x) {
      acc_t val = 0;
      if (p >= c_lo && p <= c_hi) {
        // dL/d act[p]: the low-pass transposed, replicate padding folded onto the ends.
        acc_t ga = 0;
        for (int k = 0; k < g.kd; ++k) {
          const int64_t n = p + g.pad_down - k;
          if (n >= 0 && n % g.rd == 0 && n / g.rd < g.T_out) ga += down[k] * static_cast<acc_t>(widen(gyr[n / g.rd]));
        }
        if (p == 0)
          for (int64_t i = 0; i < g.T_out && i * g.rd < g.pad_down; ++i)
            for (int k = 0; k < g.kd; ++k)
              if (i * g.rd + k - g.pad_down < 0) ga += down[k] * static_cast<acc_t>(widen(gyr[i]));
        if (p == g.L - 1)
          for (int64_t i = max(int64_t{0}, (g.L - g.kd + g.pad_down) / g.rd); i < g.T_out; ++i)
            for (int k = 0; k < g.kd; ++k)
              if (i * g.rd + k - g.pad_down > g.L - 1) ga += down[k] * static_cast<acc_t>(widen(gyr[i]));
        const acc_t u = upsample_at<acc_t>(xin, up, p, g);
        const SnakePartials<acc_t> d = snake_partials(u, sc.a, sc.inv_b);
        if (p >= own_lo && p < own_hi) {
          sum_a += ga * d.da;
          sum_invb += ga * d.dinv_b;
        }
        val = ga * d.dx;
      }
      gu[p - P_lo] = val;
    }
    sum_a = block_sum(sum_a, red);
    if (threadIdx.x == 0) partials[task * 2] = sum_a;
    sum_invb = block_sum(sum_invb, red);
    if (threadIdx.x == 0) partials[task * 2 + 1] = sum_invb;
    __syncthreads();
    const acc_t gain = static_cast<acc_t>(g.ru);
    for (int64_t j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
      // Padded samples that replicate x[j]: one inside, the whole padding at either end.
      const int64_t ms = j == 0 ? 0 : j + g.pad, me = j == g.T - 1 ? g.n_pad - 1 : j + g.pad;
      acc_t s = 0;
      for (int64_t m = ms; m <= me; ++m) {
        const acc_t* src = gu + (m * g.ru - g.crop - P_lo);
        for (int k = 0; k < g.ku; ++k) s += up[k] * src[k];
      }
      gx[row * g.T + j] = narrow_to<in_t>(s * gain);
    }
  }
}

template <typename K>
cudaError_t allow_smem(K kernel, size_t bytes) {
  if (bytes <= 48 * 1024) return cudaSuccess;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_antialias_forward(const in_t* x, const acc_t* alpha, const acc_t* beta, const acc_t* up,
                                     const acc_t* down, bool log_scale, AntiAliasGeom g, int64_t rows,
                                     int64_t channels, in_t* y, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  const int64_t tile = antialias_cuda_out_tile(g), tiles = (g.T_out + tile - 1) / tile;
  const int64_t span = (tile - 1) * g.rd + g.kd;
  const int64_t n_x = span / g.ru + (g.ku + g.ru - 1) / g.ru + 2;
  const size_t bytes = static_cast<size_t>(span + n_x) * sizeof(acc_t);
  auto kernel = antialias_forward_kernel<in_t, acc_t>;
  if (cudaError_t e = allow_smem(kernel, bytes); e != cudaSuccess) return e;
  kernel<<<block_count(rows * tiles), kThreads, bytes, stream>>>(x, alpha, beta, up, down, log_scale, g, rows,
                                                                 channels, tile, tiles, y);
  return cudaGetLastError();
}

template <typename in_t, typename acc_t>
cudaError_t launch_antialias_backward(const in_t* gy, const in_t* x, const acc_t* alpha, const acc_t* beta,
                                      const acc_t* up, const acc_t* down, bool log_scale, AntiAliasGeom g,
                                      int64_t rows, int64_t channels, in_t* gx, acc_t* partials,
                                      cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  const int64_t tile = antialias_cuda_in_tile(g), tiles = (g.T + tile - 1) / tile;
  const int64_t span = (tile + 2 * g.pad + 1) * g.ru + g.ku;
  const int64_t n_x = span / g.ru + (g.ku + g.ru - 1) / g.ru + 2;
  const size_t bytes = static_cast<size_t>(32 + span + n_x) * sizeof(acc_t);
  auto kernel = antialias_backward_kernel<in_t, acc_t>;
  if (cudaError_t e = allow_smem(kernel, bytes); e != cudaSuccess) return e;
  kernel<<<block_count(rows * tiles), kThreads, bytes, stream>>>(gy, x, alpha, beta, up, down, log_scale, g, rows,
                                                                 channels, tile, tiles, gx, partials);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_AA(in_t, acc_t)                                                                           \
  template cudaError_t launch_antialias_forward<in_t, acc_t>(const in_t*, const acc_t*, const acc_t*, const acc_t*, \
                                                             const acc_t*, bool, AntiAliasGeom, int64_t, int64_t,  \
                                                             in_t*, cudaStream_t);                                  \
  template cudaError_t launch_antialias_backward<in_t, acc_t>(const in_t*, const in_t*, const acc_t*, const acc_t*, \
                                                              const acc_t*, const acc_t*, bool, AntiAliasGeom,      \
                                                              int64_t, int64_t, in_t*, acc_t*, cudaStream_t);
SONIX_INSTANTIATE_AA(float, float)
SONIX_INSTANTIATE_AA(double, double)
SONIX_INSTANTIATE_AA(__half, float)
SONIX_INSTANTIATE_AA(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_AA

}  // namespace sonix::cuda
