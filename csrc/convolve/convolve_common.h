// Row-wise full linear convolution of (rows, n) signals with (rows or 1, m) kernels, and its adjoint,
// written with ATen ops (FFT and grouped conv1d) so one implementation serves CPU and CUDA.
#pragma once

#include <ATen/ATen.h>

#include <tuple>

namespace sonix {

enum ConvMethod : int64_t { kConvAuto = 0, kConvDirect = 1, kConvFFT = 2 };

// (rows, n + m - 1) full convolution in the compute dtype (float32, or float64 for float64 input).
at::Tensor full_convolve(const at::Tensor& x, const at::Tensor& h, int64_t method);

// Checks of the op arguments (names, shapes, dtypes, devices).
void check_convolve_args(const at::Tensor& x, const at::Tensor& h, int64_t method);

at::Tensor fftconvolve_impl(const at::Tensor& x, const at::Tensor& h, int64_t method);
std::tuple<at::Tensor, at::Tensor> fftconvolve_backward_impl(const at::Tensor& grad, const at::Tensor& x,
                                                             const at::Tensor& h, int64_t method);

}  // namespace sonix
