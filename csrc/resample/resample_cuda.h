// Raw-pointer launchers of the resampling kernels (resample_cuda.cu). No torch here.
// acc_t is float or double; signals are contiguous (rows, len); every launcher enqueues on `stream`,
// never synchronises and returns cudaGetLastError().
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "resample/resample_math.h"

namespace sonix::cuda {

// y (rows, out_len): output out_start + c of each row from x (rows, in_len) and the (up, g.n_taps) table.
template <typename acc_t>
cudaError_t launch_resample_poly(const acc_t* x, int64_t rows, int64_t in_len, const acc_t* taps, PolyGeom g,
                                 acc_t* y, int64_t out_len, cudaStream_t stream);

// Adjoint: gx (rows, in_len) from grad (rows, out_len).
template <typename acc_t>
cudaError_t launch_resample_poly_backward(const acc_t* grad, int64_t rows, int64_t out_len, const acc_t* taps,
                                          PolyGeom g, acc_t* gx, int64_t in_len, cudaStream_t stream);

// Per-row source rates orig[r] (to `up`), taps computed per output from filter f (f.scale holds the
// rolloff; each row scales it by min(1, up / orig[r])).
template <typename acc_t>
cudaError_t launch_resample_varying(const acc_t* x, int64_t rows, int64_t in_len, const int64_t* orig, int64_t up,
                                    int64_t left, int64_t n_taps, SincFilter f, acc_t* y, int64_t out_len,
                                    cudaStream_t stream);

template <typename acc_t>
cudaError_t launch_resample_varying_backward(const acc_t* grad, int64_t rows, int64_t out_len, const int64_t* orig,
                                             int64_t up, int64_t left, int64_t n_taps, SincFilter f, acc_t* gx,
                                             int64_t in_len, cudaStream_t stream);

}  // namespace sonix::cuda
