// CUDA front ends of Snake / SnakeBeta and their backward.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <tuple>

#include "layers/layers_cuda.h"
#include "layers/snake_common.h"
#include "spectral/cuda_glue.h"

namespace sonix {

using namespace sonix::cuda;

at::Tensor snake_cuda(const at::Tensor& input, const at::Tensor& alpha, const std::optional<at::Tensor>& beta,
                      bool logscale) {
  check_snake_args(input, alpha, beta);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t channels = x.size(1), time = x.size(2), rows = x.size(0) * channels;
  const at::Tensor table = snake_channel_table(alpha, beta, logscale, compute_type(x.scalar_type()));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_snake_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_snake_forward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), table.const_data_ptr<acc_t>(), rows, channels, time, cuda_mutable_ptr<scalar_t>(y),
        stream));
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> snake_backward_cuda(const at::Tensor& grad, const at::Tensor& input,
                                                                   const at::Tensor& alpha,
                                                                   const std::optional<at::Tensor>& beta,
                                                                   bool logscale) {
  check_snake_args(input, alpha, beta);
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  check_same_device(grad, "grad", input, "input");
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::Tensor g = grad.to(x.scalar_type()).contiguous();
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t batch = x.size(0), channels = x.size(1), time = x.size(2), rows = batch * channels;
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor table = snake_channel_table(alpha, beta, logscale, acc);
  at::Tensor row_sums = at::zeros({rows, 2}, x.options().dtype(at::kDouble));
  const at::Tensor al = alpha.to(acc).contiguous();
  const at::Tensor be = beta.has_value() ? beta->to(acc).contiguous() : at::Tensor();
  at::Tensor ga = at::empty({channels}, al.options());
  at::Tensor gb = at::empty({beta.has_value() ? channels : 0}, al.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_snake_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    if (time > 0)
      SONIX_CUDA_CHECK(launch_snake_backward<cuda_t<scalar_t>, acc_t>(
          cuda_ptr<scalar_t>(x), cuda_ptr<scalar_t>(g), table.const_data_ptr<acc_t>(), rows, channels, time,
          cuda_mutable_ptr<scalar_t>(gx), row_sums.mutable_data_ptr<double>(), stream));
    SONIX_CUDA_CHECK(launch_snake_param_grads<acc_t>(
        row_sums.const_data_ptr<double>(), al.const_data_ptr<acc_t>(),
        beta.has_value() ? be.const_data_ptr<acc_t>() : nullptr, logscale, batch, channels,
        ga.mutable_data_ptr<acc_t>(), beta.has_value() ? gb.mutable_data_ptr<acc_t>() : nullptr, stream));
  });
  return {gx, ga.to(alpha.scalar_type()), beta.has_value() ? gb.to(beta->scalar_type()) : gb.to(alpha.scalar_type())};
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("snake", &snake_cuda);
  m.impl("snake_backward", &snake_backward_cuda);
}

}  // namespace sonix
