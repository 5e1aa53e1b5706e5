// Test hook of the vectorised float32 sin/cos (core/fast_sincos_cpu.h), run by the same kind of
// cloned loop the Snake kernels use, so tests measure its error against float64.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <tuple>

#include "core/checks.h"
#include "core/cpu_clones.h"
#include "core/fast_sincos_cpu.h"

namespace sonix {
namespace {

SONIX_CPU_CLONES void sincos_row(const float* x, float* s, float* c, float* s2, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const cpu::SinCos sc = cpu::fast_sincosf(x[i]);
    s[i] = sc.s;
    c[i] = sc.c;
    s2[i] = cpu::fast_sin2f(x[i]);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (cpu::fast_trig_needs_libm(x[i])) {
      s[i] = std::sin(x[i]);
      c[i] = std::cos(x[i]);
      s2[i] = s[i] * s[i];
    }
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> fast_sincos_cpu(const at::Tensor& input) {
  SONIX_CHECK(input.scalar_type() == at::kFloat, "input must be float32, got ", input.scalar_type());
  const at::Tensor x = input.contiguous();
  at::Tensor s = at::empty_like(x), c = at::empty_like(x), s2 = at::empty_like(x);
  sincos_row(x.const_data_ptr<float>(), s.mutable_data_ptr<float>(), c.mutable_data_ptr<float>(),
             s2.mutable_data_ptr<float>(), x.numel());
  return {s, c, s2};
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CPU, m) { m.impl("_fast_sincos", &fast_sincos_cpu); }

}  // namespace sonix
