// Torch-side helpers of the CUDA glue (*_cuda.cpp): dtype mapping, data pointers and chunking.
#pragma once

#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>

#include "spectral/spectral_cuda.h"

// Checks the cudaError_t a launcher returns (variadic: template argument lists hold commas).
#define SONIX_CUDA_CHECK(...) C10_CUDA_CHECK((__VA_ARGS__))

namespace sonix::cuda {

// at:: storage types -> the CUDA types the launchers are instantiated for (same layout).
template <typename T>
struct CudaType {
  using type = T;
};
template <>
struct CudaType<at::Half> {
  using type = __half;
};
template <>
struct CudaType<at::BFloat16> {
  using type = __nv_bfloat16;
};
template <typename T>
using cuda_t = typename CudaType<T>::type;

template <typename T>
const cuda_t<T>* cuda_ptr(const at::Tensor& t) {
  return reinterpret_cast<const cuda_t<T>*>(t.const_data_ptr<T>());
}
template <typename T>
cuda_t<T>* cuda_mutable_ptr(at::Tensor& t) {
  return reinterpret_cast<cuda_t<T>*>(t.mutable_data_ptr<T>());
}

// A complex<acc_t> tensor as interleaved (re, im) pairs.
template <typename acc_t>
const acc_t* complex_ptr(const at::Tensor& t) {
  return reinterpret_cast<const acc_t*>(t.const_data_ptr<c10::complex<acc_t>>());
}
template <typename acc_t>
acc_t* complex_mutable_ptr(at::Tensor& t) {
  return reinterpret_cast<acc_t*>(t.mutable_data_ptr<c10::complex<acc_t>>());
}

// Ops work through rows x frames in chunks of at most kChunkElems spectrum elements (~32M complex),
// so that no op holds the complex spectrogram of the whole batch unless it is the op's output. A
// chunk is whole rows when a row fits, otherwise a run of frames of one row.
constexpr int64_t kChunkElems = int64_t{1} << 25;

struct ChunkPlan {
  int64_t rows, n_frames, nr, nf;  // nr x nf: the largest chunk

  // Every chunk holds all frames of its rows (overlap-adds need not accumulate across chunks).
  bool whole_rows() const { return nf == n_frames; }
  // One chunk holds the whole (non-empty) batch.
  bool single() const { return rows > 0 && nr >= rows && nf == n_frames; }

  template <typename Fn>
  void for_each(const Fn& fn) const {
    for (int64_t r0 = 0; r0 < rows; r0 += nr)
      for (int64_t f0 = 0; f0 < n_frames; f0 += nf)
        fn(Chunk{r0, std::min(nr, rows - r0), f0, std::min(nf, n_frames - f0)});
  }
};

// per_frame: the largest per-frame buffer of the op, in elements.
inline ChunkPlan plan_chunks(int64_t rows, int64_t n_frames, int64_t per_frame) {
  const int64_t frames = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(per_frame, 1));
  const int64_t nf = std::min(n_frames, frames);
  const int64_t nr = nf == n_frames ? std::max<int64_t>(1, frames / std::max<int64_t>(n_frames, 1)) : 1;
  return ChunkPlan{rows, n_frames, nr, nf};
}

// The (nr * nf, n) slice of a contiguous (rows, n_frames, n) tensor that a chunk covers (contiguous,
// since a chunk is whole rows or a run of frames of one row).
inline at::Tensor chunk_rows(const at::Tensor& t, const Chunk& c) {
  return t.narrow(0, c.r0, c.nr).narrow(1, c.f0, c.nf).view({c.nr * c.nf, t.size(2)});
}

}  // namespace sonix::cuda
