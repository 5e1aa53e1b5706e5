// CUDA front ends of lfilter and its backward: checks, buffers, and the launch sequence.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <tuple>

#include "filters/filters_cuda.h"
#include "filters/lfilter_common.h"
#include "spectral/cuda_glue.h"

namespace sonix {

using namespace sonix::cuda;

namespace {
void check_cuda_order(int64_t order) {
  SONIX_CHECK(order <= kMaxCudaOrder, "lfilter on CUDA supports filter orders up to ", kMaxCudaOrder,
              " (max(len(a), len(b)) - 1), got ", order, "; cascade second-order sections (sosfilt) instead");
}
}  // namespace

std::tuple<at::Tensor, at::Tensor> lfilter_cuda(const at::Tensor& x_in, const at::Tensor& a_in,
                                                const at::Tensor& b_in, const c10::optional<at::Tensor>& zi_in) {
  const LfilterShape s = check_lfilter_args(x_in, a_in, b_in, zi_in);
  check_cuda_order(s.order);
  c10::cuda::CUDAGuard guard(x_in.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = x_in.contiguous(), a = a_in.contiguous(), b = b_in.contiguous();
  const at::Tensor zi = zi_in.has_value() ? zi_in->contiguous() : at::Tensor();
  const int64_t C = s.channels, T = s.length, N = s.order;
  at::Tensor w = at::empty({C, T}, a.options());
  at::Tensor scratch = at::empty({2 * C * scan_chunks(T) * N}, a.options());
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor zf = at::empty({C, N}, a.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_lfilter_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const acc_t* ap = a.const_data_ptr<acc_t>();
    const acc_t* bp = b.const_data_ptr<acc_t>();
    const acc_t* zp = zi.defined() ? zi.const_data_ptr<acc_t>() : nullptr;
    acc_t* wp = w.mutable_data_ptr<acc_t>();
    SONIX_CUDA_CHECK(launch_fir<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), bp, zp, C, T, N, wp, stream));
    SONIX_CUDA_CHECK(launch_allpole_scan<acc_t, cuda_t<scalar_t>>(wp, ap, C, T, N, false,
                                                                  scratch.mutable_data_ptr<acc_t>(),
                                                                  cuda_mutable_ptr<scalar_t>(y), stream));
    SONIX_CUDA_CHECK(launch_final_state<cuda_t<scalar_t>, acc_t>(cuda_ptr<scalar_t>(x), cuda_ptr<scalar_t>(y), ap,
                                                                 bp, zp, C, T, N, zf.mutable_data_ptr<acc_t>(),
                                                                 stream));
  });
  return {y, zf};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> lfilter_backward_cuda(
    const at::Tensor& grad_y, const c10::optional<at::Tensor>& grad_zf, const at::Tensor& x_in,
    const at::Tensor& y_in, const at::Tensor& a_in, const at::Tensor& b_in, bool coef_grads) {
  // coef_grads=false lets the CPU kernel skip reading x and y; here the coefficient sums are cheap
  // next to the scan, so they are always computed.
  check_lfilter_backward_args(grad_y, grad_zf, x_in, y_in, a_in, b_in);
  const int64_t C = x_in.size(0), T = x_in.size(1), N = a_in.size(1) - 1;
  check_cuda_order(N);
  c10::cuda::CUDAGuard guard(x_in.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = x_in.contiguous(), y = y_in.to(x.scalar_type()).contiguous();
  const at::Tensor gy = grad_y.to(x.scalar_type()).contiguous();
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const at::Tensor gzf = grad_zf.has_value() ? grad_zf->to(a.scalar_type()).contiguous() : at::Tensor();
  const auto opts = a.options();
  at::Tensor g = at::empty({C, T}, opts), gw = at::empty({C, T}, opts);
  at::Tensor ex = at::empty({C, N}, opts), dz = at::empty({C, N}, opts);
  at::Tensor da = at::empty_like(a), db = at::empty_like(b);
  at::Tensor scratch = at::empty({2 * C * scan_chunks(T) * N}, opts);
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor ga = at::empty_like(a), gb = at::empty_like(b), gzi = at::empty({C, N}, opts);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_lfilter_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    using in_t = cuda_t<scalar_t>;
    const acc_t* ap = a.const_data_ptr<acc_t>();
    const acc_t* bp = b.const_data_ptr<acc_t>();
    const in_t* xp = cuda_ptr<scalar_t>(x);
    const in_t* yp = cuda_ptr<scalar_t>(y);
    SONIX_CUDA_CHECK(launch_adjoint_input<in_t, acc_t>(
        cuda_ptr<scalar_t>(gy), gzf.defined() ? gzf.const_data_ptr<acc_t>() : nullptr, xp, yp, ap, bp, C, T, N,
        g.mutable_data_ptr<acc_t>(), ex.mutable_data_ptr<acc_t>(), da.mutable_data_ptr<acc_t>(),
        db.mutable_data_ptr<acc_t>(), dz.mutable_data_ptr<acc_t>(), stream));
    SONIX_CUDA_CHECK(launch_allpole_scan<acc_t, acc_t>(g.const_data_ptr<acc_t>(), ap, C, T, N, true,
                                                       scratch.mutable_data_ptr<acc_t>(), gw.mutable_data_ptr<acc_t>(),
                                                       stream));
    SONIX_CUDA_CHECK(launch_fir_adjoint<acc_t, in_t>(gw.const_data_ptr<acc_t>(), bp, ex.const_data_ptr<acc_t>(), C, T,
                                                     N, cuda_mutable_ptr<scalar_t>(gx), stream));
    SONIX_CUDA_CHECK(launch_coef_grads<in_t, acc_t>(gw.const_data_ptr<acc_t>(), xp, yp, da.const_data_ptr<acc_t>(),
                                                    db.const_data_ptr<acc_t>(), dz.const_data_ptr<acc_t>(), C, T, N,
                                                    ga.mutable_data_ptr<acc_t>(), gb.mutable_data_ptr<acc_t>(),
                                                    gzi.mutable_data_ptr<acc_t>(), stream));
  });
  return {gx, ga, gb, gzi};
}

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("lfilter", &lfilter_cuda);
  m.impl("lfilter_backward", &lfilter_backward_cuda);
}

}  // namespace sonix
