// Per-element math of the causal depthwise conv's fused activations, shared by the CPU and CUDA
// kernels: value and derivative with respect to the pre-activation z.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hostdevice.h"

namespace sonix {

// "none", "silu", "gelu" (erf form) and "glu" (z[:C/2] * sigmoid(z[C/2:]), C/2 outputs).
enum class ConvActivation : int32_t { kNone = 0, kSilu = 1, kGelu = 2, kGlu = 3 };

constexpr int64_t kConvMinWidth = 2;
constexpr int64_t kConvMaxWidth = 64;

template <typename T>
SONIX_HD T conv_sigmoid(T z) {
  return T(1) / (T(1) + exp(-z));
}

// Activation of one pre-activation (none, silu, gelu; glu is handled on channel pairs).
template <typename T>
SONIX_HD T conv_activation(T z, ConvActivation act) {
  switch (act) {
    case ConvActivation::kSilu:
      return z * conv_sigmoid(z);
    case ConvActivation::kGelu:
      return T(0.5) * z * (T(1) + erf(z * T(0.70710678118654752440)));
    default:
      return z;
  }
}

// d activation / dz at z.
template <typename T>
SONIX_HD T conv_activation_grad(T z, ConvActivation act) {
  switch (act) {
    case ConvActivation::kSilu: {
      const T s = conv_sigmoid(z);
      return s * (T(1) + z * (T(1) - s));
    }
    case ConvActivation::kGelu:
      return T(0.5) * (T(1) + erf(z * T(0.70710678118654752440))) +
             z * T(0.39894228040143267794) * exp(T(-0.5) * z * z);
    default:
      return T(1);
  }
}

}  // namespace sonix
