// Raw-pointer launchers of the augmentation kernels (augment_cuda.cu). Plain header, no torch; as in
// spectral/spectral_cuda.h: contiguous buffers, enqueue on `stream`, never synchronise, return
// cudaGetLastError().
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "augment/pointwise_math.h"

namespace sonix::cuda {

// out (rows, count) float64 uniforms in [0, 1) for the row keys (rows,).
cudaError_t launch_keyed_uniform(const int64_t* keys, int64_t rows, int64_t seed, int64_t step, int64_t stream_id,
                                 int64_t count, double* out, cudaStream_t stream);

// out (rows, count) standard normals, computed in acc_t and stored as out_t.
template <typename out_t, typename acc_t>
cudaError_t launch_keyed_normal(const int64_t* keys, int64_t rows, int64_t seed, int64_t step, int64_t stream_id,
                                int64_t count, out_t* out, cudaStream_t stream);

// y = chain(x) (grad null) or y = grad * chain'(x) over (rows, time); params (rows, kinds.n, 2) on
// the device.
template <typename in_t, typename acc_t>
cudaError_t launch_pointwise_chain(const in_t* x, const in_t* grad, const sonix::augment::StageKinds& kinds,
                                   const acc_t* params, int64_t rows, int64_t time, in_t* y, cudaStream_t stream);

}  // namespace sonix::cuda
