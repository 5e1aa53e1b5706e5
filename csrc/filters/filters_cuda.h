// Raw-pointer launchers of the IIR filter kernels (lfilter_cuda.cu). Plain header, no torch.
//
// The all-pole recurrence y[t] = w[t] - sum_{i=1..N} a[i] y[t-i] runs as a chunked scan: chunks of
// kScanChunk samples are solved in parallel from a zero state (their final states s_k), a per-channel
// pass carries the true states across chunks (S_{k+1} = s_k + M S_k, M the state transition over one
// chunk), and the chunks are solved again from their true states. No thread walks a whole signal.
// acc_t is float or double; in_t / out_t is acc_t or __half / __nv_bfloat16 with acc_t float. Every
// launcher enqueues on `stream`, never synchronises, and returns cudaGetLastError().
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace sonix::cuda {

constexpr int64_t kScanChunk = 128;
constexpr int64_t kMaxCudaOrder = 32;

inline int64_t scan_chunks(int64_t length) { return (length + kScanChunk - 1) / kScanChunk; }

// w[c][t] = sum_i b[c][i] x[c][t - i] + (t < N ? zi[c][t] : 0); zi may be null. b: (C, N + 1).
template <typename in_t, typename acc_t>
cudaError_t launch_fir(const in_t* x, const acc_t* b, const acc_t* zi, int64_t C, int64_t T, int64_t N, acc_t* w,
                       cudaStream_t stream);

// y = all-pole_a(w) per channel, zero initial history, in time order or (reverse) backwards in time
// (the adjoint). a: (C, N + 1), a[c][0] ignored. scratch: 2 * C * scan_chunks(T) * N elements.
template <typename acc_t, typename out_t>
cudaError_t launch_allpole_scan(const acc_t* w, const acc_t* a, int64_t C, int64_t T, int64_t N, bool reverse,
                                acc_t* scratch, out_t* y, cudaStream_t stream);

// zf[c][k] = sum_{i>k} (b[i] x[T+k-i] - a[i] y[T+k-i]) + zi[c][T+k] (when T + k < N); zi may be null.
template <typename in_t, typename acc_t>
cudaError_t launch_final_state(const in_t* x, const in_t* y, const acc_t* a, const acc_t* b, const acc_t* zi,
                               int64_t C, int64_t T, int64_t N, acc_t* zf, cudaStream_t stream);

// Adjoint preparation: g[c][t] = gy[c][t], plus (gzf given) grad_zf sent through zf's formula to the
// last N samples of y (into g) and of x (into ex (C, N)), and to a, b, zi (into da, db (C, N + 1),
// dz (C, N), which this launcher overwrites). gzf may be null (then ex, da, db, dz are zeroed).
template <typename in_t, typename acc_t>
cudaError_t launch_adjoint_input(const in_t* gy, const acc_t* gzf, const in_t* x, const in_t* y, const acc_t* a,
                                 const acc_t* b, int64_t C, int64_t T, int64_t N, acc_t* g, acc_t* ex, acc_t* da,
                                 acc_t* db, acc_t* dz, cudaStream_t stream);

// gx[c][t] = sum_i b[c][i] gw[c][t + i] + ex[c][t - (T - N)] (last N samples).
template <typename acc_t, typename out_t>
cudaError_t launch_fir_adjoint(const acc_t* gw, const acc_t* b, const acc_t* ex, int64_t C, int64_t T, int64_t N,
                               out_t* gx, cudaStream_t stream);

// gb[c][i] = db + sum_t gw[t] x[t-i]; ga[c][i] = da - sum_t gw[t] y[t-i] (ga[c][0] = 0);
// gzi[c][k] = dz + gw[k] (k < T).
template <typename in_t, typename acc_t>
cudaError_t launch_coef_grads(const acc_t* gw, const in_t* x, const in_t* y, const acc_t* da, const acc_t* db,
                              const acc_t* dz, int64_t C, int64_t T, int64_t N, acc_t* ga, acc_t* gb, acc_t* gzi,
                              cudaStream_t stream);

}  // namespace sonix::cuda
