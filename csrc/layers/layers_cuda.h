// Raw-pointer launchers of the CUDA kernels of the layer ops (snake_cuda.cu, causal_conv_cuda.cu).
//
// Plain header, no torch. Conventions as in spectral/spectral_cuda.h: acc_t is float or double;
// in_t is acc_t, or __half / __nv_bfloat16 with acc_t float; tensors are contiguous; every launcher
// enqueues on `stream`, never synchronises, and returns cudaGetLastError().
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "layers/causal_conv_math.h"

namespace sonix::cuda {

// ---- snake (snake_cuda.cu) -------------------------------------------------------------------------

// y = x + inv_b * sin(a x)^2 over (rows = batch * channels, time); table = [a (channels), inv_b (channels)].
template <typename in_t, typename acc_t>
cudaError_t launch_snake_forward(const in_t* x, const acc_t* table, int64_t rows, int64_t channels, int64_t time,
                                 in_t* y, cudaStream_t stream);

// gx = g * dy/dx; row_sums (rows, 2) = per-row sums of g * x * sin(2ax) and g * sin(ax)^2.
template <typename in_t, typename acc_t>
cudaError_t launch_snake_backward(const in_t* x, const in_t* g, const acc_t* table, int64_t rows, int64_t channels,
                                  int64_t time, in_t* gx, double* row_sums, cudaStream_t stream);

// Per channel: the row sums over the batch (in order), then the chain rule to alpha (and beta).
// alpha, beta: (channels,) in acc_t (beta null for Snake); grad_beta unused without beta.
template <typename acc_t>
cudaError_t launch_snake_param_grads(const double* row_sums, const acc_t* alpha, const acc_t* beta, bool logscale,
                                     int64_t batch, int64_t channels, acc_t* grad_alpha, acc_t* grad_beta,
                                     cudaStream_t stream);

// ---- causal depthwise conv (causal_conv_cuda.cu) --------------------------------------------------

struct ConvShape {
  int64_t batch, channels, out_channels, time, width;
  ConvActivation act;
};

// y (batch, out_channels, time) from x (batch, channels, time) with history `state` (batch, channels,
// width - 1; null: zeros); w (channels, width); bias (channels,) or null; lengths (batch,) or null.
template <typename in_t, typename acc_t>
cudaError_t launch_causal_conv_forward(const in_t* x, const in_t* state, const acc_t* w, const acc_t* bias,
                                       const int64_t* lengths, ConvShape s, in_t* y, cudaStream_t stream);

// new_state (batch, channels, width - 1) = the last width - 1 samples of [state, x].
template <typename in_t>
cudaError_t launch_causal_conv_state(const in_t* x, const in_t* state, ConvShape s, in_t* new_state,
                                     cudaStream_t stream);

// Backward: gz (batch, channels, time) scratch in acc_t; gx (batch, channels, time);
// parts (batch, channels, width + 1) per-row weight dots and bias sums; then gw (channels, width)
// and gb (channels,) as sums over the batch in order.
template <typename in_t, typename acc_t>
cudaError_t launch_causal_conv_backward(const in_t* grad, const in_t* x, const acc_t* w, const acc_t* bias,
                                        const int64_t* lengths, ConvShape s, acc_t* gz, in_t* gx, double* parts,
                                        acc_t* gw, acc_t* gb, cudaStream_t stream);

}  // namespace sonix::cuda
