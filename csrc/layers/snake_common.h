// Argument checks and per-channel constants shared by the CPU and CUDA front ends of the Snake ops.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "core/checks.h"
#include "layers/snake_math.h"

namespace sonix {

// input (batch, channels, time); alpha and beta (channels,) on the input's device.
inline void check_snake_args(const at::Tensor& input, const at::Tensor& alpha, const std::optional<at::Tensor>& beta) {
  check_float_input(input, "input");
  check_dim(input, 3, "input");
  const int64_t channels = input.size(1);
  auto check_param = [&](const at::Tensor& p, const char* name) {
    check_float_input(p, name);
    check_same_device(p, name, input, "input");
    SONIX_CHECK(p.dim() == 1 && p.size(0) == channels, name, " must have shape (", channels,
                ",): one value per channel of input (dim -2), got shape ", p.sizes());
  };
  check_param(alpha, "alpha");
  if (beta.has_value()) check_param(*beta, "beta");
}

// (a, inv_b) per channel, in the compute type, as a (2, channels) tensor on the parameters' device.
inline at::Tensor snake_channel_table(const at::Tensor& alpha, const std::optional<at::Tensor>& beta, bool logscale,
                                      at::ScalarType acc) {
  const at::Tensor al = alpha.to(acc);
  const at::Tensor a = logscale ? al.exp() : al;
  at::Tensor b = a;
  if (beta.has_value()) {
    const at::Tensor be = beta->to(acc);
    b = logscale ? be.exp() : be;
  }
  return at::stack({a, (b + kSnakeEps).reciprocal()}).contiguous();
}

}  // namespace sonix
