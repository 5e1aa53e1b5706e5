// CUDA kernels of the STFT family: framing, overlap-add (as a gather: deterministic, no atomics),
// the padding adjoint, the istft normaliser and the spectrum re-layout before an inverse FFT.
#include "core/cuda_utils.cuh"
#include "spectral/spectral_cuda.h"

namespace sonix::cuda {
namespace {

constexpr int kTile = 32;      // spectrum transposes move 32 x 32 tiles
constexpr int kTileRows = 8;   // with 32 x 8 threads

// One block per frame (block-stride over the chunk's frames), threads along the frame.
template <typename in_t, typename acc_t>
__global__ void frame_kernel(const in_t* __restrict__ x, const acc_t* __restrict__ w, FrameGeometry g, Chunk c,
                             acc_t* __restrict__ frames) {
  for (int64_t q = blockIdx.x; q < c.nr * c.nf; q += gridDim.x) {
    const int64_t r = q / c.nf, j = q - r * c.nf;
    const in_t* row = x + (c.r0 + r) * g.length;
    const int64_t start = (c.f0 + j) * g.hop;
    acc_t* out = frames + q * g.n_fft;
    for (int64_t k = threadIdx.x; k < g.n_fft; k += blockDim.x) {
      const int64_t idx = source_index(start + k, g);
      out[k] = idx < 0 ? acc_t(0) : static_cast<acc_t>(widen(row[idx])) * w[k];
    }
  }
}

// Padded positions [p0, p0 + span) of each row of the chunk; each sums the chunk's frames covering it.
template <typename acc_t>
__global__ void overlap_add_kernel(const acc_t* __restrict__ frames, int64_t es, const acc_t* __restrict__ w,
                                   FrameGeometry g, Chunk c, int64_t p0, int64_t span, bool accumulate,
                                   acc_t* __restrict__ padded, int64_t padded_len) {
  const int64_t f_end = c.f0 + c.nf - 1;
  for (int64_t idx = thread_index(); idx < c.nr * span; idx += thread_stride()) {
    const int64_t r = idx / span, p = p0 + (idx - r * span);
    int64_t first, last;
    frames_covering(p, g, first, last);
    if (first < c.f0) first = c.f0;
    if (last > f_end) last = f_end;
    acc_t acc = 0;
    for (int64_t f = first; f <= last; ++f) {
      const int64_t k = p - f * g.hop;
      acc += frames[((r * c.nf + f - c.f0) * g.n_fft + k) * es] * w[k];
    }
    acc_t* dst = padded + (c.r0 + r) * padded_len + p;
    *dst = accumulate ? *dst + acc : acc;
  }
}

template <typename acc_t>
__global__ void fold_kernel(const acc_t* __restrict__ padded, int64_t rows, int64_t padded_len, FrameGeometry g,
                            acc_t* __restrict__ out) {
  for (int64_t idx = thread_index(); idx < rows * g.length; idx += thread_stride()) {
    const int64_t b = idx / g.length, i = idx - b * g.length;
    out[idx] = fold_padded(padded + b * padded_len, i, g);
  }
}

template <typename acc_t>
__global__ void window_envelope_kernel(const acc_t* __restrict__ w, FrameGeometry g, int64_t padded_len,
                                       acc_t* __restrict__ env) {
  for (int64_t p = thread_index(); p < padded_len; p += thread_stride()) {
    int64_t first, last;
    frames_covering(p, g, first, last);
    acc_t acc = 0;
    for (int64_t f = first; f <= last; ++f) {
      const acc_t v = w[p - f * g.hop];
      acc += v * v;
    }
    env[p] = acc;
  }
}

template <typename acc_t>
__global__ void istft_normalize_kernel(const acc_t* __restrict__ ypad, const acc_t* __restrict__ env, int64_t rows,
                                       int64_t padded_len, int64_t out_len, int64_t pad, acc_t inv_n,
                                       acc_t* __restrict__ y) {
  for (int64_t idx = thread_index(); idx < rows * out_len; idx += thread_stride()) {
    const int64_t b = idx / out_len, p = idx - b * out_len + pad;
    y[idx] = p < padded_len ? ypad[b * padded_len + p] * inv_n / env[p] : acc_t(0);
  }
}

template <typename acc_t>
__global__ void istft_adjoint_normalize_kernel(const acc_t* __restrict__ gy, const acc_t* __restrict__ env,
                                               int64_t rows, int64_t len, int64_t padded_len, int64_t pad,
                                               acc_t inv_n, acc_t* __restrict__ gp) {
  for (int64_t idx = thread_index(); idx < rows * padded_len; idx += thread_stride()) {
    const int64_t b = idx / padded_len, p = idx - b * padded_len, i = p - pad;
    gp[idx] = (i >= 0 && i < len) ? gy[b * len + i] * inv_n / env[p] : acc_t(0);
  }
}

// Tiles of 32 bins x 32 frames through shared memory, so that both the strided read (whichever of
// bins or frames is the faster axis of the source) and the contiguous write are coalesced.
template <typename acc_t>
__global__ void gather_spectrum_kernel(const acc_t* __restrict__ spec, int64_t s0, int64_t s1, int64_t s2,
                                       int64_t n_freq, int64_t n_fft, Chunk c, bool adjoint_weight, bool hermitian,
                                       acc_t* __restrict__ out) {
  __shared__ acc_t re[kTile][kTile + 1], im[kTile][kTile + 1];  // [frame][bin]
  const int64_t tiles_k = (n_freq + kTile - 1) / kTile, tiles_j = (c.nf + kTile - 1) / kTile;
  const bool bins_fast = s1 <= s2;
  for (int64_t t = blockIdx.x; t < c.nr * tiles_j * tiles_k; t += gridDim.x) {
    const int64_t kt = t % tiles_k, rest = t / tiles_k, jt = rest % tiles_j, r = rest / tiles_j;
    const int64_t k0 = kt * kTile, j0 = jt * kTile;
    const acc_t* src = spec + 2 * ((c.r0 + r) * s0 + c.f0 * s2);
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int dk = bins_fast ? threadIdx.x : i, dj = bins_fast ? i : threadIdx.x;
      const int64_t k = k0 + dk, j = j0 + dj;
      if (k < n_freq && j < c.nf) {
        const vec2_t<acc_t> v = load_complex(src, k * s1 + j * s2);
        re[dj][dk] = v.x;
        im[dj][dk] = v.y;
      }
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t k = k0 + threadIdx.x, j = j0 + i;
      if (k < n_freq && j < c.nf) {
        vec2_t<acc_t> v;
        v.x = re[i][threadIdx.x];
        v.y = im[i][threadIdx.x];
        if (adjoint_weight) {
          const acc_t wk = static_cast<acc_t>(onesided_adjoint_weight(k, n_fft));
          v.x *= wk;
          v.y *= wk;
        }
        if (hermitian && (k == 0 || 2 * k == n_fft)) v.y = acc_t(0);
        store_complex(out, (r * c.nf + j) * n_freq + k, v);
      }
    }
    __syncthreads();  // the tile is reused by the next iteration
  }
}

template <typename acc_t>
__global__ void unweight_onesided_kernel(acc_t* __restrict__ spec, int64_t n, int64_t n_freq, int64_t n_fft) {
  for (int64_t idx = thread_index(); idx < n; idx += thread_stride()) {
    const int64_t k = idx % n_freq;
    const acc_t s = static_cast<acc_t>(1.0 / onesided_adjoint_weight(k, n_fft));
    vec2_t<acc_t> v = load_complex(spec, idx);
    v.x *= s;
    v.y *= s;
    store_complex(spec, idx, v);
  }
}

}  // namespace

template <typename in_t, typename acc_t>
cudaError_t launch_frame(const in_t* x, const acc_t* w, FrameGeometry g, Chunk c, acc_t* frames,
                         cudaStream_t stream) {
  if (c.nr * c.nf == 0 || g.n_fft == 0) return cudaSuccess;
  const int64_t lanes = (g.n_fft + 31) / 32 * 32;
  const int threads = static_cast<int>(lanes < kThreads ? lanes : kThreads);
  frame_kernel<<<block_count(c.nr * c.nf), threads, 0, stream>>>(x, w, g, c, frames);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_overlap_add(const acc_t* frames, int64_t elem_stride, const acc_t* w, FrameGeometry g,
                               Chunk c, bool accumulate, acc_t* padded, int64_t padded_len, cudaStream_t stream) {
  // Without accumulate every position is written (those no frame covers get 0); with it only the
  // span of the chunk's frames is touched.
  int64_t p0 = 0, p1 = padded_len;
  if (accumulate) {
    p0 = c.f0 * g.hop;
    const int64_t end = (c.f0 + c.nf - 1) * g.hop + g.n_fft;
    p1 = end < padded_len ? end : padded_len;
  }
  const int64_t span = p1 - p0;
  if (c.nr == 0 || c.nf == 0 || span <= 0) return cudaSuccess;
  overlap_add_kernel<<<grid_blocks(c.nr * span), kThreads, 0, stream>>>(frames, elem_stride, w, g, c, p0, span,
                                                                          accumulate, padded, padded_len);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_fold(const acc_t* padded, int64_t rows, int64_t padded_len, FrameGeometry g, acc_t* out,
                        cudaStream_t stream) {
  if (rows * g.length == 0) return cudaSuccess;
  fold_kernel<<<grid_blocks(rows * g.length), kThreads, 0, stream>>>(padded, rows, padded_len, g, out);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_window_envelope(const acc_t* w, FrameGeometry g, int64_t padded_len, acc_t* env,
                                   cudaStream_t stream) {
  if (padded_len == 0) return cudaSuccess;
  window_envelope_kernel<<<grid_blocks(padded_len), kThreads, 0, stream>>>(w, g, padded_len, env);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_istft_normalize(const acc_t* ypad, const acc_t* env, int64_t rows, int64_t padded_len,
                                   int64_t out_len, int64_t pad, int64_t n_fft, acc_t* y, cudaStream_t stream) {
  if (rows * out_len == 0) return cudaSuccess;
  const acc_t inv_n = acc_t(1) / static_cast<acc_t>(n_fft);  // the inverse FFT is unnormalised
  istft_normalize_kernel<<<grid_blocks(rows * out_len), kThreads, 0, stream>>>(ypad, env, rows, padded_len, out_len,
                                                                               pad, inv_n, y);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_istft_adjoint_normalize(const acc_t* gy, const acc_t* env, int64_t rows, int64_t len,
                                           int64_t padded_len, int64_t pad, int64_t n_fft, acc_t* gp,
                                           cudaStream_t stream) {
  if (rows * padded_len == 0) return cudaSuccess;
  const acc_t inv_n = acc_t(1) / static_cast<acc_t>(n_fft);
  istft_adjoint_normalize_kernel<<<grid_blocks(rows * padded_len), kThreads, 0, stream>>>(gy, env, rows, len,
                                                                                          padded_len, pad, inv_n, gp);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_gather_spectrum(const acc_t* spec, int64_t s0, int64_t s1, int64_t s2, int64_t n_freq,
                                   int64_t n_fft, Chunk c, bool adjoint_weight, bool hermitian, acc_t* out,
                                   cudaStream_t stream) {
  const int64_t tiles = c.nr * ((c.nf + kTile - 1) / kTile) * ((n_freq + kTile - 1) / kTile);
  if (tiles == 0) return cudaSuccess;
  gather_spectrum_kernel<<<block_count(tiles), dim3(kTile, kTileRows), 0, stream>>>(
      spec, s0, s1, s2, n_freq, n_fft, c, adjoint_weight, hermitian, out);
  return cudaGetLastError();
}

template <typename acc_t>
cudaError_t launch_unweight_onesided(acc_t* spec, int64_t n_spectra, int64_t n_freq, int64_t n_fft,
                                     cudaStream_t stream) {
  if (n_spectra * n_freq == 0) return cudaSuccess;
  unweight_onesided_kernel<<<grid_blocks(n_spectra * n_freq), kThreads, 0, stream>>>(spec, n_spectra * n_freq,
                                                                                     n_freq, n_fft);
  return cudaGetLastError();
}

#define SONIX_INSTANTIATE_FRAME(in_t, acc_t) \
  template cudaError_t launch_frame<in_t, acc_t>(const in_t*, const acc_t*, FrameGeometry, Chunk, acc_t*, cudaStream_t);
SONIX_INSTANTIATE_FRAME(float, float)
SONIX_INSTANTIATE_FRAME(double, double)
SONIX_INSTANTIATE_FRAME(__half, float)
SONIX_INSTANTIATE_FRAME(__nv_bfloat16, float)
#undef SONIX_INSTANTIATE_FRAME

#define SONIX_INSTANTIATE_ACC(acc_t)                                                                                 \
  template cudaError_t launch_overlap_add<acc_t>(const acc_t*, int64_t, const acc_t*, FrameGeometry, Chunk, bool,    \
                                                 acc_t*, int64_t, cudaStream_t);                                     \
  template cudaError_t launch_fold<acc_t>(const acc_t*, int64_t, int64_t, FrameGeometry, acc_t*, cudaStream_t);      \
  template cudaError_t launch_window_envelope<acc_t>(const acc_t*, FrameGeometry, int64_t, acc_t*, cudaStream_t);    \
  template cudaError_t launch_istft_normalize<acc_t>(const acc_t*, const acc_t*, int64_t, int64_t, int64_t, int64_t, \
                                                     int64_t, acc_t*, cudaStream_t);                                 \
  template cudaError_t launch_istft_adjoint_normalize<acc_t>(const acc_t*, const acc_t*, int64_t, int64_t, int64_t,  \
                                                             int64_t, int64_t, acc_t*, cudaStream_t);                \
  template cudaError_t launch_gather_spectrum<acc_t>(const acc_t*, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                                                     Chunk, bool, bool, acc_t*, cudaStream_t);                       \
  template cudaError_t launch_unweight_onesided<acc_t>(acc_t*, int64_t, int64_t, int64_t, cudaStream_t);
SONIX_INSTANTIATE_ACC(float)
SONIX_INSTANTIATE_ACC(double)
#undef SONIX_INSTANTIATE_ACC

}  // namespace sonix::cuda
