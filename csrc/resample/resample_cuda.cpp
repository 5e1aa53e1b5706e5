// CUDA front ends of the resampling ops: checks, dtype conversion (half precision computes in
// float32), device guard and current stream; kernels in resample_cuda.cu.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "resample/resample_common.h"
#include "resample/resample_cuda.h"
#include "spectral/cuda_glue.h"  // SONIX_CUDA_CHECK

namespace sonix {

using namespace sonix::cuda;

at::Tensor resample_poly_cuda(const at::Tensor& input, const at::Tensor& taps, int64_t orig, int64_t up, int64_t left,
                              int64_t in_offset, int64_t out_start, int64_t out_len) {
  check_rows(input, "input");
  check_taps(taps, input, up);
  check_geom(orig, up, left, in_offset, out_start);
  SONIX_CHECK(out_len >= 0, "out_len must be >= 0, got ", out_len);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::ScalarType acc = compute_type(input.scalar_type());
  const at::Tensor x = input.to(acc).contiguous();
  const at::Tensor h = taps.to(acc).contiguous();
  at::Tensor y = at::empty({x.size(0), out_len}, x.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_poly_cuda", [&] {
    SONIX_CUDA_CHECK(launch_resample_poly<scalar_t>(x.const_data_ptr<scalar_t>(), x.size(0), x.size(1),
                                                    h.const_data_ptr<scalar_t>(),
                                                    PolyGeom{orig, up, left, h.size(1), in_offset, out_start},
                                                    y.mutable_data_ptr<scalar_t>(), out_len, stream));
  });
  return y.to(input.scalar_type());
}

at::Tensor resample_poly_backward_cuda(const at::Tensor& grad, const at::Tensor& taps, int64_t orig, int64_t up,
                                       int64_t left, int64_t in_offset, int64_t out_start, int64_t in_len) {
  check_rows(grad, "grad");
  check_taps(taps, grad, up);
  check_geom(orig, up, left, in_offset, out_start);
  SONIX_CHECK(in_len >= 0, "in_len must be >= 0, got ", in_len);
  c10::cuda::CUDAGuard guard(grad.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::ScalarType acc = compute_type(grad.scalar_type());
  const at::Tensor g = grad.to(acc).contiguous();
  const at::Tensor h = taps.to(acc).contiguous();
  at::Tensor gx = at::empty({g.size(0), in_len}, g.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_poly_backward_cuda", [&] {
    SONIX_CUDA_CHECK(launch_resample_poly_backward<scalar_t>(
        g.const_data_ptr<scalar_t>(), g.size(0), g.size(1), h.const_data_ptr<scalar_t>(),
        PolyGeom{orig, up, left, h.size(1), in_offset, out_start}, gx.mutable_data_ptr<scalar_t>(), in_len, stream));
  });
  return gx.to(grad.scalar_type());
}

at::Tensor resample_varying_cuda(const at::Tensor& input, const at::Tensor& orig, int64_t up, int64_t left,
                                 int64_t n_taps, double rolloff, double lpw, int64_t window, double beta,
                                 int64_t out_len) {
  check_rows(input, "input");
  check_rates_tensor(orig, input);
  check_varying_geom(up, left, n_taps);
  SONIX_CHECK(out_len >= 0, "out_len must be >= 0, got ", out_len);
  const SincFilter f = make_sinc_filter(rolloff, lpw, window, beta);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::ScalarType acc = compute_type(input.scalar_type());
  const at::Tensor x = input.to(acc).contiguous();
  const at::Tensor rates = orig.contiguous();
  at::Tensor y = at::empty({x.size(0), out_len}, x.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_varying_cuda", [&] {
    SONIX_CUDA_CHECK(launch_resample_varying<scalar_t>(x.const_data_ptr<scalar_t>(), x.size(0), x.size(1),
                                                       rates.const_data_ptr<int64_t>(), up, left, n_taps, f,
                                                       y.mutable_data_ptr<scalar_t>(), out_len, stream));
  });
  return y.to(input.scalar_type());
}

at::Tensor resample_varying_backward_cuda(const at::Tensor& grad, const at::Tensor& orig, int64_t up, int64_t left,
                                          int64_t n_taps, double rolloff, double lpw, int64_t window, double beta,
                                          int64_t in_len) {
  check_rows(grad, "grad");
  check_rates_tensor(orig, grad);
  check_varying_geom(up, left, n_taps);
  SONIX_CHECK(in_len >= 0, "in_len must be >= 0, got ", in_len);
  const SincFilter f = make_sinc_filter(rolloff, lpw, window, beta);
  c10::cuda::CUDAGuard guard(grad.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::ScalarType acc = compute_type(grad.scalar_type());
  const at::Tensor g = grad.to(acc).contiguous();
  const at::Tensor rates = orig.contiguous();
  at::Tensor gx = at::empty({g.size(0), in_len}, g.options());
  AT_DISPATCH_FLOATING_TYPES(acc, "sonix_resample_varying_backward_cuda", [&] {
    SONIX_CUDA_CHECK(launch_resample_varying_backward<scalar_t>(g.const_data_ptr<scalar_t>(), g.size(0), g.size(1),
                                                                rates.const_data_ptr<int64_t>(), up, left, n_taps, f,
                                                                gx.mutable_data_ptr<scalar_t>(), in_len, stream));
  });
  return gx.to(grad.scalar_type());
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("resample_poly", &resample_poly_cuda);
  m.impl("resample_poly_backward", &resample_poly_backward_cuda);
  m.impl("resample_varying", &resample_varying_cuda);
  m.impl("resample_varying_backward", &resample_varying_backward_cuda);
}

}  // namespace sonix
