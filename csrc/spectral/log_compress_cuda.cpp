// CUDA front ends of the elementwise log compression (dB, ln, log10 with a floor) and its gradient.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "spectral/cuda_glue.h"
#include "spectral/spectral_common.h"

namespace sonix {

using namespace sonix::cuda;

at::Tensor log_compress_cuda(const at::Tensor& input, double scale, double offset, double amin, double bias) {
  check_float_input(input, "input");
  const LogParams lp = make_log_params(true, scale, offset, amin, bias);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_log_compress_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_log_compress<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), x.numel(), lp,
                                                                  cuda_mutable_ptr<scalar_t>(y), stream));
  });
  return y;
}

at::Tensor log_compress_backward_cuda(const at::Tensor& grad, const at::Tensor& input, double scale, double offset,
                                      double amin, double bias) {
  check_float_input(input, "input");
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  check_same_device(grad, "grad", input, "input");
  const LogParams lp = make_log_params(true, scale, offset, amin, bias);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::Tensor g = grad.to(x.scalar_type()).contiguous();
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_log_compress_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_log_compress_backward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), cuda_ptr<scalar_t>(g), x.numel(), lp, cuda_mutable_ptr<scalar_t>(gx), stream));
  });
  return gx;
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("log_compress", &log_compress_cuda);
  m.impl("log_compress_backward", &log_compress_backward_cuda);
}

}  // namespace sonix
