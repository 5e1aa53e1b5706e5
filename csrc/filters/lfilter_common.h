// Argument checks and shape rules of the lfilter ops, shared by the CPU and CUDA front ends.
//
// The ops see x (channels, time) and per-channel coefficients a, b of shape (channels, order + 1),
// already normalised by a[:, 0] (which the ops ignore) and in the compute type (float32, or float64
// for float64 input). The Python wrappers broadcast, pad and normalise.
//
// Form: w = FIR_b(x) + zi (zi added to the first `order` samples), y = all-pole_a(w), both with zero
// history. This equals scipy's transposed direct form II with initial state zi, and the final state
// zf[k] = sum_{i>k} (b[i] x[T-1+k+1-i] - a[i] y[T-1+k+1-i]) + zi[T+k] (terms outside the signal are 0).
#pragma once

#include <ATen/ATen.h>

#include "core/checks.h"

namespace sonix {

struct LfilterShape {
  int64_t channels, length, order;
};

inline LfilterShape check_lfilter_args(const at::Tensor& x, const at::Tensor& a, const at::Tensor& b,
                                       const c10::optional<at::Tensor>& zi) {
  check_float_input(x, "x");
  check_dim(x, 2, "x");
  check_dim(a, 2, "a");
  check_dim(b, 2, "b");
  const at::ScalarType acc = compute_type(x.scalar_type());
  const int64_t C = x.size(0);
  SONIX_CHECK(a.size(0) == C && b.size(0) == C, "a and b must have one row per channel of x (", C,
              "), got shapes ", a.sizes(), " and ", b.sizes());
  SONIX_CHECK(a.size(1) >= 1 && a.size(1) == b.size(1), "a and b must have the same number (>= 1) of taps, got ",
              a.sizes(), " and ", b.sizes());
  SONIX_CHECK(a.scalar_type() == acc && b.scalar_type() == acc, "a and b must have dtype ", acc, " for x of dtype ",
              x.scalar_type(), ", got ", a.scalar_type(), " and ", b.scalar_type());
  check_same_device(a, "a", x, "x");
  check_same_device(b, "b", x, "x");
  const int64_t order = a.size(1) - 1;
  if (zi.has_value()) {
    check_dim(*zi, 2, "zi");
    SONIX_CHECK(zi->size(0) == C && zi->size(1) == order, "zi must have shape (", C, ", ", order, "), got ",
                zi->sizes());
    SONIX_CHECK(zi->scalar_type() == acc, "zi must have dtype ", acc, ", got ", zi->scalar_type());
    check_same_device(*zi, "zi", x, "x");
  }
  return {C, x.size(1), order};
}

inline void check_lfilter_backward_args(const at::Tensor& grad_y, const c10::optional<at::Tensor>& grad_zf,
                                        const at::Tensor& x, const at::Tensor& y, const at::Tensor& a,
                                        const at::Tensor& b) {
  const LfilterShape s = check_lfilter_args(x, a, b, c10::nullopt);
  SONIX_CHECK(grad_y.sizes() == x.sizes() && y.sizes() == x.sizes(), "grad_y and y must have the shape of x ",
              x.sizes(), ", got ", grad_y.sizes(), " and ", y.sizes());
  check_same_device(grad_y, "grad_y", x, "x");
  check_same_device(y, "y", x, "x");
  if (grad_zf.has_value()) {
    SONIX_CHECK(grad_zf->dim() == 2 && grad_zf->size(0) == s.channels && grad_zf->size(1) == s.order,
                "grad_zf must have shape (", s.channels, ", ", s.order, "), got ", grad_zf->sizes());
    check_same_device(*grad_zf, "grad_zf", x, "x");
  }
}

}  // namespace sonix
