// Argument checks shared by the CPU and CUDA front ends of the augmentation ops.
#pragma once

#include <ATen/ATen.h>

#include "augment/pointwise_math.h"
#include "core/checks.h"

namespace sonix::augment {

inline void check_row_keys(const at::Tensor& keys, int64_t count) {
  SONIX_CHECK(keys.scalar_type() == at::kLong, "keys must be an int64 tensor, got ", keys.scalar_type());
  check_dim(keys, 1, "keys");
  SONIX_CHECK(count >= 0, "count must be >= 0, got ", count);
}

// keyed_normal: the row keys and a floating-point output dtype.
inline void check_keyed_normal(const at::Tensor& keys, int64_t count, at::ScalarType dtype) {
  check_row_keys(keys, count);
  SONIX_CHECK(at::isFloatingType(dtype), "dtype must be a floating-point type, got ", dtype);
}

// x (rows, time); params (rows, n_stages, 2) floating point on x's device; kinds: known stage codes.
inline void check_chain(const at::Tensor& x, const at::Tensor& params, at::IntArrayRef kinds) {
  check_float_input(x, "input");
  check_dim(x, 2, "input");
  check_float_input(params, "params");
  check_same_device(params, "params", x, "input");
  const int64_t n = static_cast<int64_t>(kinds.size());
  SONIX_CHECK(n <= kMaxStages, "a pointwise chain holds at most ", kMaxStages, " stages, got ", n);
  for (int64_t k : kinds)
    SONIX_CHECK(k >= 0 && k < kNumStages, "kinds must hold stage codes in [0, ", int64_t{kNumStages}, "), got ", k);
  SONIX_CHECK(params.dim() == 3 && params.size(0) == x.size(0) && params.size(1) == n && params.size(2) == 2,
              "params must have shape (rows=", x.size(0), ", stages=", n, ", 2), got ", params.sizes());
}

// The backward's grad: the input's shape, on its device.
inline void check_chain_grad(const at::Tensor& grad, const at::Tensor& input) {
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  check_same_device(grad, "grad", input, "input");
}

}  // namespace sonix::augment
