// Argument checks and the parameter-gradient epilogue of PCEN, shared by the CPU and CUDA front ends.
#pragma once

#include <ATen/ATen.h>

#include <optional>

namespace sonix {

// Checks input (batch, channels, frames), the four (channels,) parameters and the (batch, channels)
// initial state.
void check_pcen_args(const at::Tensor& input, const at::Tensor& s, const at::Tensor& alpha, const at::Tensor& delta,
                     const at::Tensor& r, const std::optional<at::Tensor>& initial_state);

// The initial state as a contiguous (batch, channels) tensor of the compute type (ones when absent:
// librosa's lfilter_zi steady state for a unit input).
at::Tensor pcen_initial_state(const at::Tensor& input, const std::optional<at::Tensor>& initial_state,
                              at::ScalarType acc);

}  // namespace sonix
