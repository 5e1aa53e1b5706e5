// CUDA kernels of the fused power -> sparse mel -> log spectrogram and of its backward.
//
// With a filterbank, a block owns a tile of 16 frames x 128 bands of one row: per frame it puts the
// power of every bin in shared memory (or, when n_freq does not fit, recomputes it from the spectrum
// in global memory), then each thread sums one band over that band's non-zero bins only. Results go
// through a shared tile so the (rows, bands, frames) output is written in runs of 16 frames. Without
// a filterbank the op is a transposing elementwise map done in 32 x 32 tiles.
#include "core/cuda_utils.cuh"
#include "spectral/spectral_cuda.h"

namespace sonix::cuda {
namespace {

constexpr int kBandThreads = 128;
constexpr int kTileBands = 128;  // bands per block
constexpr int kTileFrames = 16;  // frames per block: 16 consecutive outputs fill a 32-byte sector for 2-byte types
constexpr int kTileStride = kTileFrames + 1;
constexpr int kTile = 32;  // elementwise transposes: 32 x 32 tiles, 32 x 8 threads
constexpr int kTileRows = 8;
constexpr int kRangeThreads = 128;
constexpr size_t kDefaultSharedLimit = 48 * 1024;

// Power of bin k of spectrum X: from shared memory when the block staged it, else recomputed.
template <typename acc_t, bool kShared>
__device__ __forceinline__ acc_t power_at(const acc_t* P, const acc_t* X, int64_t k, acc_t power) {
  if constexpr (kShared) {
    return P[k];
  } else {
    const vec2_t<acc_t> v = load_complex(X, k);
    return spectral_power(v.x, v.y, power);
  }
}

// All threads of the block: P[k] = |X_k|^power. Bracketed by barriers (P is shared and reused).
template <typename acc_t>
__device__ __forceinline__ void stage_power(acc_t* P, const acc_t* X, int64_t n_freq, acc_t power) {
  __syncthreads();
  for (int64_t k = threadIdx.x; k < n_freq; k += blockDim.x) {
    const vec2_t<acc_t> v = load_complex(X, k);
    P[k] = spectral_power(v.x, v.y, power);
  }
  __syncthreads();
}

// Band m of the mel projection, summed over its non-zero bins in ascending order (as the CPU does).
template <typename acc_t, bool kShared>
__device__ __forceinline__ acc_t band_sum(const MelFilters<acc_t>& mel, int64_t n_freq, int64_t m, const acc_t* P,
                                          const acc_t* X, acc_t power) {
  const acc_t* f = mel.fbt + m * n_freq;
  acc_t acc = 0;
  for (int64_t k = mel.band_lo[m]; k < mel.band_hi[m]; ++k) acc += f[k] * power_at<acc_t, kShared>(P, X, k, power);
  return acc;
}

// X_k *= gP * d|X|^power / dX * (one-sided adjoint weight); DC and Nyquist imaginary parts, which
// the c2r transform ignores, are zeroed.
template <typename acc_t>
__device__ __forceinline__ void apply_power_grad(acc_t* spec, int64_t idx, int64_t k, int64_t n_fft, acc_t gP,
                                                 acc_t power) {
  vec2_t<acc_t> v = load_complex(spec, idx);
  const acc_t s =
      gP * spectral_power_grad_scale(v.x, v.y, power) * static_cast<acc_t>(onesided_adjoint_weight(k, n_fft));
  v.x *= s;
  v.y = (k == 0 || 2 * k == n_fft) ? acc_t(0) : v.y * s;
  store_complex(spec, idx, v);
}

// Decodes tile t of a (rows, frame tiles, band tiles) grid.
struct BandTile {
  int64_t r, j0, m0;
  int nj, nb;
};
__device__ __forceinline__ BandTile band_tile(int64_t t, const Chunk& c, int64_t n_mels) {
  const int64_t tiles_m = (n_mels + kTileBands - 1) / kTileBands, tiles_f = (c.nf + kTileFrames - 1) / kTileFrames;
  const int64_t mt = t % tiles_m, rest = t / tiles_m, ft = rest % tiles_f;
  BandTile b;
  b.r = rest / tiles_f;
  b.j0 = ft * kTileFrames;
  b.m0 = mt * kTileBands;
  b.nj = static_cast<int>(c.nf - b.j0 < kTileFrames ? c.nf - b.j0 : kTileFrames);
  b.nb = static_cast<int>(n_mels - b.m0 < kTileBands ? n_mels - b.m0 : kTileBands);
  return b;
}

__host__ __device__ __forceinline__ int64_t band_tiles(const Chunk& c, int64_t n_mels) {
  return c.nr * ((c.nf + kTileFrames - 1) / kTileFrames) * ((n_mels + kTileBands - 1) / kTileBands);
}

// ---- filterbank ranges ---------------------------------------------------------------------------

template <typename acc_t>
__global__ void band_ranges_kernel(const acc_t* __restrict__ fbt, int64_t n_mels, int64_t n_freq,
                                   int64_t* __restrict__ band_lo, int64_t* __restrict__ band_hi) {
  __shared__ int64_t s_lo[kRangeThreads], s_hi[kRangeThreads];
  for (int64_t m = blockIdx.x; m < n_mels; m += gridDim.x) {
    const acc_t* f = fbt + m * n_freq;
    int64_t lo = n_freq, hi = 0;
    for (int64_t k = threadIdx.x; k < n_freq; k += blockDim.x)
      if (f[k] != acc_t(0)) {  // NaN weights count as non-zero and propagate
        if (k < lo) lo = k;
        hi = k + 1;
      }
    s_lo[threadIdx.x] = lo;
    s_hi[threadIdx.x] = hi;
    __syncthreads();
    for (int s = kRangeThreads / 2; s > 0; s /= 2) {
      if (threadIdx.x < s) {
        if (s_lo[threadIdx.x + s] < s_lo[threadIdx.x]) s_lo[threadIdx.x] = s_lo[threadIdx.x + s];
        if (s_hi[threadIdx.x + s] > s_hi[threadIdx.x]) s_hi[threadIdx.x] = s_hi[threadIdx.x + s];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const bool any = s_lo[0] < s_hi[0];
      band_lo[m] = any ? s_lo[0] : 0;
      band_hi[m] = any ? s_hi[0] : 0;
    }
    __syncthreads();
  }
}

__global__ void bin_ranges_kernel(const int64_t* __restrict__ band_lo, const int64_t* __restrict__ band_hi,
                                  int64_t n_mels, int64_t n_freq, int64_t* __restrict__ bin_lo,
                                  int64_t* __restrict__ bin_hi) {
  for (int64_t k = thread_index(); k < n_freq; k += thread_stride()) {
    int64_t first = n_mels, last = -1;
    for (int64_t m = 0; m < n_mels; ++m)
      if (band_lo[m] <= k && k < band_hi[m]) {
        if (first == n_mels) first = m;
        last = m;
      }
    bin_lo[k] = first <= last ? first : 0;
    bin_hi[k] = first <= last ? last + 1 : 0;
  }
}

// ---- forward -------------------------------------------------------------------------------------

template <typename acc_t, typename out_t, bool kShared>
__global__ void __launch_bounds__(kBandThreads)
    mel_forward_kernel(const acc_t* __restrict__ spec, int64_t n_freq, MelFilters<acc_t> mel, int64_t n_frames,
                       Chunk c, acc_t power, LogParams lp, out_t* __restrict__ out) {
  extern __shared__ __align__(16) unsigned char smem[];
  acc_t* vals = reinterpret_cast<acc_t*>(smem);  // [kTileBands][kTileStride]
  acc_t* P = vals + kTileBands * kTileStride;    // [n_freq] when kShared
  for (int64_t t = blockIdx.x; t < band_tiles(c, mel.n_mels); t += gridDim.x) {
    const BandTile b = band_tile(t, c, mel.n_mels);
    for (int j = 0; j < b.nj; ++j) {
      const acc_t* X = spec + 2 * (b.r * c.nf + b.j0 + j) * n_freq;
      if constexpr (kShared) stage_power(P, X, n_freq, power);
      for (int m = threadIdx.x; m < b.nb; m += blockDim.x) {
        const acc_t v = band_sum<acc_t, kShared>(mel, n_freq, b.m0 + m, P, X, power);
        vals[m * kTileStride + j] = lp.enabled ? log_compress(v, lp) : v;
      }
    }
    __syncthreads();
    out_t* o = out + ((c.r0 + b.r) * mel.n_mels + b.m0) * n_frames + c.f0 + b.j0;
    for (int e = threadIdx.x; e < b.nb * kTileFrames; e += blockDim.x) {
      const int m = e / kTileFrames, j = e % kTileFrames;
      if (j < b.nj) o[m * n_frames + j] = narrow_to<out_t>(vals[m * kTileStride + j]);
    }
    __syncthreads();  // vals is refilled by the next tile
  }
}

// No filterbank: out[r0 + r][k][f0 + j] = log?(|X[r][j][k]|^power), read along bins, written along frames.
template <typename acc_t, typename out_t>
__global__ void power_forward_kernel(const acc_t* __restrict__ spec, int64_t n_freq, int64_t n_frames, Chunk c,
                                     acc_t power, LogParams lp, out_t* __restrict__ out) {
  __shared__ acc_t tile[kTile][kTile + 1];  // [bin][frame]
  const int64_t tiles_k = (n_freq + kTile - 1) / kTile, tiles_j = (c.nf + kTile - 1) / kTile;
  for (int64_t t = blockIdx.x; t < c.nr * tiles_j * tiles_k; t += gridDim.x) {
    const int64_t kt = t % tiles_k, rest = t / tiles_k, jt = rest % tiles_j, r = rest / tiles_j;
    const int64_t k0 = kt * kTile, j0 = jt * kTile;
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t j = j0 + i, k = k0 + threadIdx.x;
      if (j < c.nf && k < n_freq) {
        const vec2_t<acc_t> v = load_complex(spec, (r * c.nf + j) * n_freq + k);
        const acc_t p = spectral_power(v.x, v.y, power);
        tile[threadIdx.x][i] = lp.enabled ? log_compress(p, lp) : p;
      }
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t k = k0 + i, j = j0 + threadIdx.x;
      if (j < c.nf && k < n_freq)
        out[((c.r0 + r) * n_freq + k) * n_frames + c.f0 + j] = narrow_to<out_t>(tile[i][threadIdx.x]);
    }
    __syncthreads();
  }
}

// ---- backward ------------------------------------------------------------------------------------

// band_grad[r][j][m] = d loss / d (mel band m of frame j): the output gradient through the log.
template <typename acc_t, bool kShared>
__global__ void __launch_bounds__(kBandThreads)
    mel_backward_bands_kernel(const acc_t* __restrict__ spec, const acc_t* __restrict__ gy, int64_t n_freq,
                              MelFilters<acc_t> mel, int64_t n_frames, Chunk c, acc_t power, LogParams lp,
                              acc_t* __restrict__ band_grad) {
  extern __shared__ __align__(16) unsigned char smem[];
  acc_t* gt = reinterpret_cast<acc_t*>(smem);  // [kTileBands][kTileStride] output gradient tile
  acc_t* P = gt + kTileBands * kTileStride;
  for (int64_t t = blockIdx.x; t < band_tiles(c, mel.n_mels); t += gridDim.x) {
    const BandTile b = band_tile(t, c, mel.n_mels);
    const acc_t* g = gy + ((c.r0 + b.r) * mel.n_mels + b.m0) * n_frames + c.f0 + b.j0;
    for (int e = threadIdx.x; e < b.nb * kTileFrames; e += blockDim.x) {
      const int m = e / kTileFrames, j = e % kTileFrames;
      if (j < b.nj) gt[m * kTileStride + j] = g[m * n_frames + j];
    }
    __syncthreads();
    for (int j = 0; j < b.nj; ++j) {
      const int64_t q = b.r * c.nf + b.j0 + j;
      const acc_t* X = spec + 2 * q * n_freq;
      if constexpr (kShared) {
        if (lp.enabled) stage_power(P, X, n_freq, power);  // lp is uniform over the block
      }
      for (int m = threadIdx.x; m < b.nb; m += blockDim.x) {
        const acc_t gm = gt[m * kTileStride + j];
        band_grad[q * mel.n_mels + b.m0 + m] =
            lp.enabled ? log_compress_grad(band_sum<acc_t, kShared>(mel, n_freq, b.m0 + m, P, X, power), gm, lp) : gm;
      }
    }
    __syncthreads();  // gt is refilled by the next tile
  }
}

// gP_k = sum over the bands covering bin k (ascending, as the CPU's scatter) of fb[k][m] * band_grad[m].
template <typename acc_t>
__global__ void mel_backward_spectrum_kernel(acc_t* __restrict__ spec, const acc_t* __restrict__ band_grad,
                                             int64_t n_freq, int64_t n_fft, MelFilters<acc_t> mel, int64_t n,
                                             acc_t power) {
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t q = idx / n_freq, k = idx - q * n_freq;
    const acc_t* gm = band_grad + q * mel.n_mels;
    acc_t gP = 0;
    for (int64_t m = mel.bin_lo[k]; m < mel.bin_hi[k]; ++m)
      if (mel.band_lo[m] <= k && k < mel.band_hi[m]) gP += mel.fbt[m * n_freq + k] * gm[m];
    apply_power_grad(spec, idx, k, n_fft, gP, power);
  }
}

// No filterbank: gP_k = gy[r0 + r][k][f0 + j] through the log; gy read along frames via a tile.
template <typename acc_t>
__global__ void power_backward_kernel(acc_t* __restrict__ spec, const acc_t* __restrict__ gy, int64_t n_freq,
                                      int64_t n_fft, int64_t n_frames, Chunk c, acc_t power, LogParams lp) {
  __shared__ acc_t tile[kTile][kTile + 1];  // [bin][frame]
  const int64_t tiles_k = (n_freq + kTile - 1) / kTile, tiles_j = (c.nf + kTile - 1) / kTile;
  for (int64_t t = blockIdx.x; t < c.nr * tiles_j * tiles_k; t += gridDim.x) {
    const int64_t kt = t % tiles_k, rest = t / tiles_k, jt = rest % tiles_j, r = rest / tiles_j;
    const int64_t k0 = kt * kTile, j0 = jt * kTile;
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t k = k0 + i, j = j0 + threadIdx.x;
      if (j < c.nf && k < n_freq) tile[i][threadIdx.x] = gy[((c.r0 + r) * n_freq + k) * n_frames + c.f0 + j];
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t j = j0 + i, k = k0 + threadIdx.x;
      if (j < c.nf && k < n_freq) {
        const int64_t idx = (r * c.nf + j) * n_freq + k;
        const vec2_t<acc_t> v = load_complex(spec, idx);
        const acc_t g = tile[threadIdx.x][i];
        const acc_t gP = lp.enabled ? log_compress_grad(spectral_power(v.x, v.y, power), g, lp) : g;
        apply_power_grad(spec, idx, k, n_fft, gP, power);
      }
    }
    __syncthreads();
  }
}

// Dynamic shared memory of a band kernel: its tile, plus the staged power of one spectrum when that
// fits the device's opt-in limit (above the default 48 KiB the kernel must be allowed explicitly).
template <typename Kernel>
cudaError_t plan_shared(Kernel shared_kernel, size_t tile_bytes, size_t power_bytes, size_t& bytes, bool& shared) {
  int device = 0, optin = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err != cudaSuccess) return err;
  shared = tile_bytes + power_bytes <= static_cast<size_t>(optin);
  bytes = shared ? tile_bytes + power_bytes : tile_bytes;
  if (shared && bytes > kDefaultSharedLimit)
    err = cudaFuncSetAttribute(shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  return err;
}

}  // namespace

template <typename acc_t>
cudaError_t launch_mel_ranges(const acc_t* fbt, int64_t n_mels, int64_t n_freq, int64_t* band_lo,
                              int64_t* band_hi, int64_t* bin_lo, int64_t* bin_hi, cudaStream_t stream) {
  if (n_mels == 0) return cudaSuccess;
  band_ranges_kernel<<<block_count(n_mels), kRangeThreads, 0, stream>>>(fbt, n_mels, n_freq, band_lo, band_hi);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || bin_lo == nullptr || n_freq == 0) return err;
  bin_ranges_kernel<<<grid_blocks(n_freq), kThreads, 0, stream>>>(band_lo, band_hi, n_mels, n_freq, bin_lo, bin_hi);
  return cudaGetLastError();
}

template <typename acc_t, typename out_t>
cudaError_t launch_mel_forward(const acc_t* spec, int64_t n_freq, MelFilters<acc_t> mel, int64_t n_frames, Chunk c,
                               acc_t power, LogParams lp, out_t* out, cudaStream_t stream) {
  if (c.nr * c.nf == 0) return cudaSuccess;
  if (mel.fbt == nullptr) {
    const int64_t tiles = c.nr * ((c.nf + kTile - 1) / kTile) * ((n_freq + kTile - 1) / kTile);
    power_forward_kernel<acc_t, out_t>
        <<<block_count(tiles), dim3(kTile, kTileRows), 0, stream>>>(spec, n_freq, n_frames, c, power, lp, out);
    return cudaGetLastError();
  }
  size_t bytes = 0;
  bool shared = false;
  const cudaError_t err = plan_shared(mel_forward_kernel<acc_t, out_t, true>, sizeof(acc_t) * kTileBands * kTileStride,
                                      sizeof(acc_t) * n_freq, bytes, shared);
  if (err != cudaSuccess) return err;
  const unsigned blocks = block_count(band_tiles(c, mel.n_mels));
  if (shared)
    mel_forward_kernel<acc_t, out_t, true>
        <<<blocks, kBandThreads, bytes, stream>>>(spec, n_freq, mel, n_frames, c, power, lp, out);
  else
    mel_forward_kernel<acc_t, out_t, false>
        <<<blocks, kBandThreads, bytes, stream>>>(spec, n_freq, mel, n_frames, c, power, lp, out);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_mel_backward_spectrum(acc_t* spec, const acc_t* gy, int64_t n_fft, MelFilters<acc_t> mel,
                                         int64_t n_frames, Chunk c, acc_t power, LogParams lp, acc_t* band_grad,
                                         cudaStream_t stream) {
  const int64_t n_freq = n_fft / 2 + 1;
  if (c.nr * c.nf == 0) return cudaSuccess;
  if (mel.fbt == nullptr) {
    const int64_t tiles = c.nr * ((c.nf + kTile - 1) / kTile) * ((n_freq + kTile - 1) / kTile);
    power_backward_kernel<acc_t>
        <<<block_count(tiles), dim3(kTile, kTileRows), 0, stream>>>(spec, gy, n_freq, n_fft, n_frames, c, power, lp);
    return cudaGetLastError();
  }
  size_t bytes = 0;
  bool shared = false;
  cudaError_t err = plan_shared(mel_backward_bands_kernel<acc_t, true>, sizeof(acc_t) * kTileBands * kTileStride,
                                lp.enabled ? sizeof(acc_t) * n_freq : 0, bytes, shared);
  if (err != cudaSuccess) return err;
  const unsigned blocks = block_count(band_tiles(c, mel.n_mels));
  if (shared)
    mel_backward_bands_kernel<acc_t, true>
        <<<blocks, kBandThreads, bytes, stream>>>(spec, gy, n_freq, mel, n_frames, c, power, lp, band_grad);
  else
    mel_backward_bands_kernel<acc_t, false>
        <<<blocks, kBandThreads, bytes, stream>>>(spec, gy, n_freq, mel, n_frames, c, power, lp, band_grad);
  err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  const int64_t n = c.nr * c.nf * n_freq;
  mel_backward_spectrum_kernel<acc_t>
      <<<grid_blocks(n), kThreads, 0, stream>>>(spec, band_grad, n_freq, n_fft, mel, n, power);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_MEL_OUT(acc_t, out_t)                                                                     \
  template cudaError_t launch_mel_forward<acc_t, out_t>(const acc_t*, int64_t, MelFilters<acc_t>, int64_t, Chunk, \
                                                        acc_t, LogParams, out_t*, cudaStream_t);
SONIX_INSTANTIATE_MEL_OUT(float, float)
SONIX_INSTANTIATE_MEL_OUT(double, double)
SONIX_INSTANTIATE_MEL_OUT(float, __half)
SONIX_INSTANTIATE_MEL_OUT(float, __nv_bfloat16)
#undef SONIX_INSTANTIATE_MEL_OUT

#define SONIX_INSTANTIATE_MEL_ACC(acc_t)                                                                              \
  template cudaError_t launch_mel_ranges<acc_t>(const acc_t*, int64_t, int64_t, int64_t*, int64_t*, int64_t*,        \
                                                int64_t*, cudaStream_t);                                              \
  template cudaError_t launch_mel_backward_spectrum<acc_t>(acc_t*, const acc_t*, int64_t, MelFilters<acc_t>, int64_t, \
                                                           Chunk, acc_t, LogParams, acc_t*, cudaStream_t);
SONIX_INSTANTIATE_MEL_ACC(float)
SONIX_INSTANTIATE_MEL_ACC(double)
#undef SONIX_INSTANTIATE_MEL_ACC

}  // namespace sonix::cuda
