// CUDA front ends of the augmentation ops (torch glue; kernels in augment_cuda.cu).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <algorithm>

#include "augment/augment_common.h"
#include "augment/augment_cuda.h"
#include "spectral/cuda_glue.h"

namespace sonix::augment {
namespace {

using namespace sonix::cuda;

at::Tensor keyed_uniform_cuda(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream_id, int64_t count) {
  check_row_keys(keys, count);
  c10::cuda::CUDAGuard guard(keys.device());
  const at::Tensor k = keys.contiguous();
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(at::kDouble));
  SONIX_CUDA_CHECK(launch_keyed_uniform(k.const_data_ptr<int64_t>(), k.size(0), seed, step, stream_id, count,
                                        out.mutable_data_ptr<double>(), c10::cuda::getCurrentCUDAStream()));
  return out;
}

at::Tensor keyed_normal_cuda(const at::Tensor& keys, int64_t seed, int64_t step, int64_t stream_id, int64_t count,
                             at::ScalarType dtype) {
  check_keyed_normal(keys, count, dtype);
  c10::cuda::CUDAGuard guard(keys.device());
  const at::Tensor k = keys.contiguous();
  at::Tensor out = at::empty({k.size(0), count}, k.options().dtype(dtype));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, dtype, "sonix_keyed_normal_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_keyed_normal<cuda_t<scalar_t>, acc_t>(k.const_data_ptr<int64_t>(), k.size(0), seed, step,
                                                                   stream_id, count, cuda_mutable_ptr<scalar_t>(out),
                                                                   c10::cuda::getCurrentCUDAStream()));
  });
  return out;
}

at::Tensor chain_cuda(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds, const at::Tensor* grad) {
  check_chain(input, params, kinds);
  c10::cuda::CUDAGuard guard(input.device());
  const at::Tensor x = input.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  if (x.numel() == 0) return out;
  const at::Tensor table = params.to(compute_type(x.scalar_type())).contiguous();
  StageKinds codes{static_cast<int64_t>(kinds.size()), {}};  // by value: a kernel argument
  std::copy(kinds.begin(), kinds.end(), codes.code);
  const at::Tensor g = grad ? grad->to(x.scalar_type()).contiguous() : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_augment_pointwise_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_pointwise_chain<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), grad ? cuda_ptr<scalar_t>(g) : nullptr, codes, table.const_data_ptr<acc_t>(),
        x.size(0), x.size(1),
        cuda_mutable_ptr<scalar_t>(out), c10::cuda::getCurrentCUDAStream()));
  });
  return out;
}

at::Tensor augment_pointwise_cuda(const at::Tensor& input, const at::Tensor& params, at::IntArrayRef kinds) {
  return chain_cuda(input, params, kinds, nullptr);
}

at::Tensor augment_pointwise_backward_cuda(const at::Tensor& grad, const at::Tensor& input, const at::Tensor& params,
                                           at::IntArrayRef kinds) {
  check_chain_grad(grad, input);
  return chain_cuda(input, params, kinds, &grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("keyed_uniform", &keyed_uniform_cuda);
  m.impl("keyed_normal", &keyed_normal_cuda);
  m.impl("augment_pointwise", &augment_pointwise_cuda);
  m.impl("augment_pointwise_backward", &augment_pointwise_backward_cuda);
}

}  // namespace sonix::augment
