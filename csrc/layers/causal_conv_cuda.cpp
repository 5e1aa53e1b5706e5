// CUDA front ends of the causal depthwise conv ops (forward, backward, streaming update).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <tuple>

#include "layers/causal_conv_common.h"
#include "layers/layers_cuda.h"
#include "spectral/cuda_glue.h"

namespace sonix {

using namespace sonix::cuda;

namespace {

ConvShape conv_shape(const at::Tensor& x, const at::Tensor& weight, ConvActivation act) {
  return ConvShape{x.size(0), x.size(1), conv_out_channels(x.size(1), act), x.size(2), weight.size(1), act};
}

template <typename acc_t>
const acc_t* opt_ptr(const at::Tensor& t) {
  return t.defined() ? t.const_data_ptr<acc_t>() : nullptr;
}

}  // namespace

at::Tensor causal_conv1d_cuda(const at::Tensor& input, const at::Tensor& weight,
                              const std::optional<at::Tensor>& bias, const std::optional<at::Tensor>& lengths,
                              c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, lengths, activation);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  const at::Tensor len = lengths.has_value() ? lengths->contiguous() : at::Tensor();
  const ConvShape s = conv_shape(x, w, act);
  at::Tensor y = at::empty({s.batch, s.out_channels, s.time}, x.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_causal_conv_forward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), nullptr, w.const_data_ptr<acc_t>(), opt_ptr<acc_t>(bw),
        len.defined() ? len.const_data_ptr<int64_t>() : nullptr, s, cuda_mutable_ptr<scalar_t>(y), stream));
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> causal_conv1d_backward_cuda(
    const at::Tensor& grad, const at::Tensor& input, const at::Tensor& weight, const std::optional<at::Tensor>& bias,
    const std::optional<at::Tensor>& lengths, c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, lengths, activation);
  check_same_device(grad, "grad", input, "input");
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const ConvShape s = conv_shape(x, w, act);
  SONIX_CHECK(grad.dim() == 3 && grad.size(0) == s.batch && grad.size(1) == s.out_channels && grad.size(2) == s.time,
              "grad must have shape (", s.batch, ", ", s.out_channels, ", ", s.time, "), got ", grad.sizes());
  const at::Tensor g = grad.to(x.scalar_type()).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  const at::Tensor len = lengths.has_value() ? lengths->contiguous() : at::Tensor();
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor gz = at::empty({s.batch, s.channels, s.time}, x.options().dtype(acc));
  at::Tensor parts = at::zeros({s.batch, s.channels, s.width + 1}, x.options().dtype(at::kDouble));
  at::Tensor gw = at::empty({s.channels, s.width}, w.options());
  at::Tensor gb = at::empty({bias.has_value() ? s.channels : 0}, w.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_causal_conv_backward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(g), cuda_ptr<scalar_t>(x), w.const_data_ptr<acc_t>(), opt_ptr<acc_t>(bw),
        len.defined() ? len.const_data_ptr<int64_t>() : nullptr, s, gz.mutable_data_ptr<acc_t>(),
        cuda_mutable_ptr<scalar_t>(gx), parts.mutable_data_ptr<double>(), gw.mutable_data_ptr<acc_t>(),
        bias.has_value() ? gb.mutable_data_ptr<acc_t>() : nullptr, stream));
  });
  return {gx, gw.to(weight.scalar_type()),
          bias.has_value() ? gb.to(bias->scalar_type()) : gb.to(weight.scalar_type())};
}

std::tuple<at::Tensor, at::Tensor> causal_conv1d_update_cuda(const at::Tensor& input, const at::Tensor& conv_state,
                                                             const at::Tensor& weight,
                                                             const std::optional<at::Tensor>& bias,
                                                             c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, std::nullopt, activation);
  check_float_input(conv_state, "conv_state");
  check_same_device(conv_state, "conv_state", input, "input");
  const int64_t batch = input.size(0), channels = input.size(1), width = weight.size(1);
  SONIX_CHECK(conv_state.dim() == 3 && conv_state.size(0) == batch && conv_state.size(1) == channels &&
                  conv_state.size(2) == width - 1,
              "conv_state must have shape (", batch, ", ", channels, ", ", width - 1, "), got ", conv_state.sizes());
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::Tensor st = conv_state.to(x.scalar_type()).contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  const ConvShape s = conv_shape(x, w, act);
  at::Tensor y = at::empty({s.batch, s.out_channels, s.time}, x.options());
  at::Tensor new_state = at::empty({batch, channels, width - 1}, x.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_update_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_causal_conv_forward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), cuda_ptr<scalar_t>(st), w.const_data_ptr<acc_t>(), opt_ptr<acc_t>(bw), nullptr, s,
        cuda_mutable_ptr<scalar_t>(y), stream));
    SONIX_CUDA_CHECK(launch_causal_conv_state<cuda_t<scalar_t>>(cuda_ptr<scalar_t>(x), cuda_ptr<scalar_t>(st), s,
                                                                 cuda_mutable_ptr<scalar_t>(new_state), stream));
  });
  return {y, new_state.to(conv_state.scalar_type())};
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("causal_conv1d", &causal_conv1d_cuda);
  m.impl("causal_conv1d_backward", &causal_conv1d_backward_cuda);
  m.impl("causal_conv1d_update", &causal_conv1d_update_cuda);
}

}  // namespace sonix
