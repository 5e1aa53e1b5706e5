// Raw-pointer launchers of the CUDA kernels of the spectral ops (defined in the *_cuda.cu files).
//
// Plain header, no torch: the .cu files stay quick to compile and the torch glue (*_cuda.cpp) calls
// these with data pointers. Conventions:
//   - acc_t is float or double; in_t / out_t is acc_t, or __half / __nv_bfloat16 with acc_t float.
//   - complex buffers are interleaved (re, im) pairs of acc_t, and their strides count complex elements.
//   - every launcher enqueues on `stream`, never synchronises, and returns cudaGetLastError().
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "spectral/framing.h"
#include "spectral/spectral_math.h"

namespace sonix::cuda {

// Frames [f0, f0 + nf) of rows [r0, r0 + nr): the unit of work of the chunked ops. A chunk's frame
// buffer is (nr, nf, n_fft) and its spectrum (nr, nf, n_freq), both contiguous.
struct Chunk {
  int64_t r0, nr, f0, nf;
};

// ---- framing and overlap-add (stft_cuda.cu) ------------------------------------------------------

// frames[r][j][k] = x[r0 + r][source_index((f0 + j) * hop + k)] * w[k], 0 where the pad is zeros.
template <typename in_t, typename acc_t>
cudaError_t launch_frame(const in_t* x, const acc_t* w, FrameGeometry g, Chunk c, acc_t* frames,
                         cudaStream_t stream);

// Overlap-add of the windowed frames of a chunk into padded rows (rows, padded_len), as a gather over
// padded positions (deterministic, no atomics). Frame elements are `elem_stride` apart (2 reads the
// real part of complex frames). With accumulate the chunk adds to what earlier chunks wrote (the
// rows must start zeroed); without, the chunk holds every frame of its rows and writes them whole.
template <typename acc_t>
cudaError_t launch_overlap_add(const acc_t* frames, int64_t elem_stride, const acc_t* w, FrameGeometry g,
                               Chunk c, bool accumulate, acc_t* padded, int64_t padded_len, cudaStream_t stream);

// Adjoint of padding: out (rows, g.length) from a gradient over padded rows (rows, padded_len).
template <typename acc_t>
cudaError_t launch_fold(const acc_t* padded, int64_t rows, int64_t padded_len, FrameGeometry g, acc_t* out,
                        cudaStream_t stream);

// env[p] = sum of w^2 over the frames covering padded position p (the istft normaliser).
template <typename acc_t>
cudaError_t launch_window_envelope(const acc_t* w, FrameGeometry g, int64_t padded_len, acc_t* env,
                                   cudaStream_t stream);

// istft output: y[b][i] = ypad[b][i + pad] / n_fft / env[i + pad], 0 past the padded row.
template <typename acc_t>
cudaError_t launch_istft_normalize(const acc_t* ypad, const acc_t* env, int64_t rows, int64_t padded_len,
                                   int64_t out_len, int64_t pad, int64_t n_fft, acc_t* y, cudaStream_t stream);

// Adjoint of istft_normalize: gp[b][p] = gy[b][p - pad] / n_fft / env[p], 0 outside gy.
template <typename acc_t>
cudaError_t launch_istft_adjoint_normalize(const acc_t* gy, const acc_t* env, int64_t rows, int64_t len,
                                           int64_t padded_len, int64_t pad, int64_t n_fft, acc_t* gp,
                                           cudaStream_t stream);

// Copies the chunk of a (rows, n_freq, n_frames) complex spectrum with strides (s0, s1, s2) into a
// contiguous (nr * nf, n_freq) buffer. adjoint_weight multiplies bin k by onesided_adjoint_weight;
// hermitian zeroes the imaginary parts of DC and Nyquist, which a one-sided c2r transform ignores
// (so cuFFT sees exactly the input pocketfft uses on the CPU).
template <typename acc_t>
cudaError_t launch_gather_spectrum(const acc_t* spec, int64_t s0, int64_t s1, int64_t s2, int64_t n_freq,
                                   int64_t n_fft, Chunk c, bool adjoint_weight, bool hermitian, acc_t* out,
                                   cudaStream_t stream);

// Divides bin k of n_spectra contiguous one-sided spectra by onesided_adjoint_weight(k, n_fft).
template <typename acc_t>
cudaError_t launch_unweight_onesided(acc_t* spec, int64_t n_spectra, int64_t n_freq, int64_t n_fft,
                                     cudaStream_t stream);

// ---- power -> mel -> log (mel_cuda.cu) -----------------------------------------------------------

// A mel filterbank on the device. fbt is the (n_mels, n_freq) transposed filterbank; band m has its
// non-zero weights in bins [band_lo[m], band_hi[m]) and bin k is covered by bands [bin_lo[k],
// bin_hi[k]) at most (the bin ranges are only needed by the backward). fbt == nullptr: no
// projection, the op is the power spectrogram itself.
template <typename acc_t>
struct MelFilters {
  const acc_t* fbt;
  const int64_t* band_lo;
  const int64_t* band_hi;
  const int64_t* bin_lo;
  const int64_t* bin_hi;
  int64_t n_mels;
};

// Computes the band ranges and, when bin_lo is not null, the bin ranges of a filterbank.
template <typename acc_t>
cudaError_t launch_mel_ranges(const acc_t* fbt, int64_t n_mels, int64_t n_freq, int64_t* band_lo,
                              int64_t* band_hi, int64_t* bin_lo, int64_t* bin_hi, cudaStream_t stream);

// out[r0 + r][m][f0 + j] (out has n_frames columns) = log?(mel?(|spec[r][j]|^power)) for a chunk's
// (nr * nf, n_freq) one-sided spectrum.
template <typename acc_t, typename out_t>
cudaError_t launch_mel_forward(const acc_t* spec, int64_t n_freq, MelFilters<acc_t> mel, int64_t n_frames,
                               Chunk c, acc_t power, LogParams lp, out_t* out, cudaStream_t stream);

// Replaces a chunk's spectrum X by the gradient that the mel_spectrogram output gradient gy
// (rows, n_out, n_frames) sends to it, pre-weighted for the one-sided c2r transform:
// gX = gP * spectral_power_grad_scale(X) * onesided_adjoint_weight(k) * X. band_grad is scratch of
// (nr * nf, n_mels) elements, used with a filterbank only.
template <typename acc_t>
cudaError_t launch_mel_backward_spectrum(acc_t* spec, const acc_t* gy, int64_t n_fft, MelFilters<acc_t> mel,
                                         int64_t n_frames, Chunk c, acc_t power, LogParams lp, acc_t* band_grad,
                                         cudaStream_t stream);

// ---- elementwise log (log_compress_cuda.cu) ------------------------------------------------------

template <typename in_t, typename acc_t>
cudaError_t launch_log_compress(const in_t* x, int64_t n, LogParams lp, in_t* y, cudaStream_t stream);

template <typename in_t, typename acc_t>
cudaError_t launch_log_compress_backward(const in_t* x, const in_t* grad, int64_t n, LogParams lp, in_t* gx,
                                         cudaStream_t stream);

}  // namespace sonix::cuda
