// Raw-pointer launchers of the anti-aliased activation and PCEN CUDA kernels (no torch types here).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "layers/antialias.h"

namespace sonix::cuda {

// Upsampled samples a forward block or a backward block handles (shared-memory tile of acc_t).
constexpr int64_t kAntiAliasTileSpan = 4096;

// Outputs per forward block / inputs per backward block for a geometry.
inline int64_t antialias_cuda_out_tile(const AntiAliasGeom& g) {
  const int64_t t = (kAntiAliasTileSpan - g.kd) / g.rd + 1;
  return t < 1 ? 1 : t;
}
inline int64_t antialias_cuda_in_tile(const AntiAliasGeom& g) {
  const int64_t t = (kAntiAliasTileSpan - 3 * g.ku) / g.ru;
  return t < 1 ? 1 : t;
}

template <typename in_t, typename acc_t>
cudaError_t launch_antialias_forward(const in_t* x, const acc_t* alpha, const acc_t* beta, const acc_t* up,
                                     const acc_t* down, bool log_scale, AntiAliasGeom g, int64_t rows,
                                     int64_t channels, in_t* y, cudaStream_t stream);

// partials: (rows, tiles, 2) sums of dL/da and dL/d(inv_b), tiles = ceil(T / antialias_cuda_in_tile(g)).
template <typename in_t, typename acc_t>
cudaError_t launch_antialias_backward(const in_t* gy, const in_t* x, const acc_t* alpha, const acc_t* beta,
                                      const acc_t* up, const acc_t* down, bool log_scale, AntiAliasGeom g,
                                      int64_t rows, int64_t channels, in_t* gx, acc_t* partials,
                                      cudaStream_t stream);

// PCEN: a chunked parallel scan over time. Chunk length (a multiple of 32) for a row length.
inline int64_t pcen_chunk_length(int64_t T) {
  int64_t c = 32;
  while (c * c < T) c += 32;
  return c;
}

// Scratch: chunk_b (rows * n_chunks) and carry (rows * n_chunks), acc_t. state: (rows) initial state in,
// final state out (separate pointers).
template <typename in_t, typename acc_t>
cudaError_t launch_pcen_forward(const in_t* x, const acc_t* s, const acc_t* alpha, const acc_t* delta,
                                const acc_t* r, const acc_t* m0, acc_t eps, int64_t rows, int64_t channels, int64_t T,
                                in_t* y, acc_t* m_final, acc_t* chunk_b, acc_t* carry, cudaStream_t stream);

// smooth: (rows, T) scratch for M; partials: (rows, n_chunks, 4) sums of dL/d(s, alpha, delta, r).
template <typename in_t, typename acc_t>
cudaError_t launch_pcen_backward(const in_t* gy, const acc_t* g_final, const in_t* x, const acc_t* s,
                                 const acc_t* alpha, const acc_t* delta, const acc_t* r, const acc_t* m0, acc_t eps,
                                 int64_t rows, int64_t channels, int64_t T, in_t* gx, acc_t* g_m0, acc_t* partials,
                                 acc_t* smooth, acc_t* chunk_b, acc_t* carry, cudaStream_t stream);

}  // namespace sonix::cuda
