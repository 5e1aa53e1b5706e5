// CUDA registration of the convolution ops: ATen's cuFFT and cuDNN conv on the current stream.
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "convolve/convolve_common.h"

namespace sonix {

namespace {

at::Tensor fftconvolve_cuda(const at::Tensor& x, const at::Tensor& h, int64_t method) {
  c10::cuda::CUDAGuard guard(x.device());
  return fftconvolve_impl(x, h, method);
}

std::tuple<at::Tensor, at::Tensor> fftconvolve_backward_cuda(const at::Tensor& g, const at::Tensor& x,
                                                             const at::Tensor& h, int64_t method) {
  c10::cuda::CUDAGuard guard(x.device());
  return fftconvolve_backward_impl(g, x, h, method);
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("fftconvolve", &fftconvolve_cuda);
  m.impl("fftconvolve_backward", &fftconvolve_backward_cuda);
}

}  // namespace sonix
