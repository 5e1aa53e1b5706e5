// Argument checks and the parameter-gradient epilogue of the anti-aliased activation, shared by the CPU
// and CUDA front ends.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <tuple>

#include "layers/antialias.h"

namespace sonix {

// Checks every argument (names, expected and given) and returns the geometry.
AntiAliasGeom check_antialias_args(const at::Tensor& input, const at::Tensor& alpha,
                                   const std::optional<at::Tensor>& beta, const at::Tensor& up_filter,
                                   const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio);

// Number of time tiles per row of the forward (over outputs) and backward (over inputs) kernels.
int64_t antialias_tiles(int64_t n, int64_t tile);

// (grad_alpha, grad_beta) from per-(row, tile) partial sums of dL/da and dL/d(inv_b), shape
// (batch * channels, tiles, 2). grad_beta is empty for Snake (beta absent: b = a).
std::tuple<at::Tensor, at::Tensor> antialias_param_grads(const at::Tensor& partials, int64_t batch,
                                                         const at::Tensor& alpha,
                                                         const std::optional<at::Tensor>& beta, bool log_scale);

}  // namespace sonix
