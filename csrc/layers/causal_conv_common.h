// Argument checks shared by the CPU and CUDA front ends of the causal depthwise conv ops.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string_view>

#include "core/checks.h"
#include "layers/causal_conv_math.h"

namespace sonix {

inline ConvActivation parse_conv_activation(std::string_view name) {
  if (name == "none") return ConvActivation::kNone;
  if (name == "silu") return ConvActivation::kSilu;
  if (name == "gelu") return ConvActivation::kGelu;
  if (name == "glu") return ConvActivation::kGlu;
  SONIX_CHECK(false, "activation must be one of 'none', 'silu', 'gelu', 'glu', got '", std::string(name), "'");
  return ConvActivation::kNone;
}

// input (batch, channels, time), weight (channels, width), bias (channels,), lengths (batch,) int64.
inline ConvActivation check_causal_conv_args(const at::Tensor& input, const at::Tensor& weight,
                                             const std::optional<at::Tensor>& bias,
                                             const std::optional<at::Tensor>& lengths, std::string_view activation) {
  const ConvActivation act = parse_conv_activation(activation);
  check_float_input(input, "input");
  check_dim(input, 3, "input");
  const int64_t channels = input.size(1);
  check_float_input(weight, "weight");
  check_same_device(weight, "weight", input, "input");
  SONIX_CHECK(weight.dim() == 2 && weight.size(0) == channels, "weight must have shape (", channels,
              ", width) for an input with ", channels, " channels, got shape ", weight.sizes());
  const int64_t width = weight.size(1);
  SONIX_CHECK(width >= kConvMinWidth && width <= kConvMaxWidth, "weight width must be in [", kConvMinWidth, ", ",
              kConvMaxWidth, "], got ", width);
  if (bias.has_value()) {
    check_float_input(*bias, "bias");
    check_same_device(*bias, "bias", input, "input");
    SONIX_CHECK(bias->dim() == 1 && bias->size(0) == channels, "bias must have shape (", channels, ",), got shape ",
                bias->sizes());
  }
  if (lengths.has_value()) {
    check_same_device(*lengths, "lengths", input, "input");
    SONIX_CHECK(lengths->scalar_type() == at::kLong && lengths->dim() == 1 && lengths->size(0) == input.size(0),
                "lengths must be an int64 tensor of shape (", input.size(0), ",), got ", lengths->scalar_type(),
                " of shape ", lengths->sizes());
  }
  SONIX_CHECK(act != ConvActivation::kGlu || channels % 2 == 0,
              "activation 'glu' needs an even number of channels, got ", channels);
  return act;
}

inline int64_t conv_out_channels(int64_t channels, ConvActivation act) {
  return act == ConvActivation::kGlu ? channels / 2 : channels;
}

}  // namespace sonix
