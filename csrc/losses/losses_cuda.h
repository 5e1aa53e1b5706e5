// Raw-pointer launchers of the CUDA kernels of the loss ops (stft_loss_cuda.cu). Plain header, no
// torch; conventions as spectral/spectral_cuda.h (interleaved complex, enqueue on `stream`, no sync).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "spectral/spectral_cuda.h"

namespace sonix::cuda {

// Per-frame sums (stft_loss_math.h) of a chunk's spectra X and Y, each (c.nr * c.nf, n_freq):
// partial[((c.r0 + r) * n_frames + c.f0 + j) * 4 + t], in double. One block per frame.
template <typename acc_t>
cudaError_t launch_stft_loss_partials(const acc_t* spec_x, const acc_t* spec_y, int64_t n_freq, int64_t n_frames,
                                      Chunk c, acc_t eps, bool l2, double* partial, cudaStream_t stream);

// out[r][t] = sum over frames of partial[r][f][t], frames added in order (deterministic).
template <typename acc_t>
cudaError_t launch_stft_loss_reduce(const double* partial, int64_t rows, int64_t n_frames, acc_t* out,
                                    cudaStream_t stream);

// Replaces a chunk's spectra X, Y by the gradients the row gradients grad (rows, 4) send to them,
// pre-weighted for the one-sided c2r transform (imaginary parts of DC / Nyquist zeroed).
template <typename acc_t>
cudaError_t launch_stft_loss_grad_spectrum(acc_t* spec_x, acc_t* spec_y, int64_t n_freq, int64_t n_fft, Chunk c,
                                           const acc_t* grad, acc_t eps, bool l2, cudaStream_t stream);

}  // namespace sonix::cuda
