// Argument checks whose messages name the argument, what was expected and what was given.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <string>

namespace sonix {

#define SONIX_CHECK(cond, ...) TORCH_CHECK_VALUE(cond, "sonix: ", __VA_ARGS__)

inline void check_float_input(const at::Tensor& t, const char* name) {
  SONIX_CHECK(t.is_floating_point(), name, " must be a floating-point tensor (float16, bfloat16, float32 or float64), got ",
              t.scalar_type());
}

inline void check_dim(const at::Tensor& t, int64_t dim, const char* name) {
  SONIX_CHECK(t.dim() == dim, name, " must have ", dim, " dimensions, got shape ", t.sizes());
}

inline void check_same_device(const at::Tensor& a, const char* na, const at::Tensor& b, const char* nb) {
  SONIX_CHECK(a.device() == b.device(), na, " and ", nb, " must be on the same device, got ", a.device(), " and ",
              b.device());
}

inline void check_window(const at::Tensor& window, const at::Tensor& x, int64_t n_fft) {
  check_dim(window, 1, "window");
  SONIX_CHECK(window.size(0) == n_fft, "window must have n_fft=", n_fft, " samples, got ", window.size(0));
  check_same_device(window, "window", x, "input");
  SONIX_CHECK(window.is_floating_point(), "window must be floating point, got ", window.scalar_type());
}

// Accumulation type: float64 stays float64; everything else computes in float32.
inline at::ScalarType compute_type(at::ScalarType t) {
  return t == at::kDouble ? at::kDouble : at::kFloat;
}

inline at::ScalarType complex_type(at::ScalarType t) {
  return t == at::kDouble ? at::kComplexDouble : at::kComplexFloat;
}

}  // namespace sonix
