// Elementwise y = scale * ln(max(x + offset, amin)) + bias (dB, ln, log10 with a floor) on CPU.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include "core/fast_log_cpu.h"
#include "spectral/spectral_common.h"

namespace sonix {

at::Tensor log_compress_cpu(const at::Tensor& input, double scale, double offset, double amin, double bias) {
  check_float_input(input, "input");
  const LogParams lp = make_log_params(true, scale, offset, amin, bias);
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_log_compress_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    scalar_t* yp = y.mutable_data_ptr<scalar_t>();
    at::parallel_for(0, x.numel(), 16384, [&](int64_t begin, int64_t end) {
      acc_t buf[1024];  // rows of the compute type for the vectorised log
      for (int64_t b0 = begin; b0 < end; b0 += 1024) {
        const int64_t len = std::min<int64_t>(1024, end - b0);
        for (int64_t i = 0; i < len; ++i) buf[i] = static_cast<acc_t>(xp[b0 + i]);
        cpu::log_compress_row(buf, len, lp);
        for (int64_t i = 0; i < len; ++i) yp[b0 + i] = static_cast<scalar_t>(buf[i]);
      }
    });
  });
  return y;
}

at::Tensor log_compress_backward_cpu(const at::Tensor& grad, const at::Tensor& input, double scale, double offset,
                                     double amin, double bias) {
  check_float_input(input, "input");
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  const LogParams lp = make_log_params(true, scale, offset, amin, bias);
  const at::Tensor x = input.contiguous();
  const at::Tensor g = grad.to(x.scalar_type()).contiguous();
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_log_compress_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const scalar_t* gp = g.const_data_ptr<scalar_t>();
    scalar_t* op = gx.mutable_data_ptr<scalar_t>();
    at::parallel_for(0, x.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        op[i] = static_cast<scalar_t>(log_compress_grad(static_cast<acc_t>(xp[i]), static_cast<acc_t>(gp[i]), lp));
    });
  });
  return gx;
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("log_compress", &log_compress_cpu);
  m.impl("log_compress_backward", &log_compress_backward_cpu);
}

}  // namespace sonix
