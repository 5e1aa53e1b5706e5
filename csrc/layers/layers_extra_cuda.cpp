// CUDA front ends of the anti-aliased activation and PCEN: checks, dtype dispatch, scratch, launches.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "core/checks.h"
#include "layers/antialias_common.h"
#include "layers/layers_extra_cuda.h"
#include "layers/pcen_common.h"
#include "spectral/cuda_glue.h"

namespace sonix {

using namespace sonix::cuda;

namespace {

at::Tensor acc_contig(const at::Tensor& t, at::ScalarType acc) { return t.to(acc).contiguous(); }

template <typename acc_t>
const acc_t* opt_ptr(const at::Tensor& t) {
  return t.defined() ? t.const_data_ptr<acc_t>() : nullptr;
}

at::Tensor anti_alias_activation_cuda(const at::Tensor& input, const at::Tensor& alpha,
                                      const std::optional<at::Tensor>& beta, const at::Tensor& up_filter,
                                      const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio,
                                      bool log_scale) {
  const AntiAliasGeom g = check_antialias_args(input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty({x.size(0), x.size(1), g.T_out}, x.options());
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor al = acc_contig(alpha, acc), up = acc_contig(up_filter, acc), down = acc_contig(down_filter, acc);
  const at::Tensor be = beta.has_value() ? acc_contig(*beta, acc) : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_anti_alias_activation_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_antialias_forward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), al.const_data_ptr<acc_t>(), opt_ptr<acc_t>(be), up.const_data_ptr<acc_t>(),
        down.const_data_ptr<acc_t>(), log_scale, g, x.size(0) * x.size(1), x.size(1), cuda_mutable_ptr<scalar_t>(y),
        stream));
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> anti_alias_activation_backward_cuda(
    const at::Tensor& grad, const at::Tensor& input, const at::Tensor& alpha, const std::optional<at::Tensor>& beta,
    const at::Tensor& up_filter, const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio,
    bool log_scale) {
  const AntiAliasGeom g = check_antialias_args(input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio);
  SONIX_CHECK(grad.dim() == 3 && grad.size(0) == input.size(0) && grad.size(1) == input.size(1) &&
                  grad.size(2) == g.T_out,
              "grad must have shape (", input.size(0), ", ", input.size(1), ", ", g.T_out, "), got ", grad.sizes());
  check_same_device(grad, "grad", input, "input");
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::Tensor gy = grad.to(x.scalar_type()).contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t tiles = antialias_tiles(g.T, antialias_cuda_in_tile(g));
  at::Tensor partials = at::zeros({x.size(0) * x.size(1), tiles, 2}, x.options().dtype(acc));
  const at::Tensor al = acc_contig(alpha, acc), up = acc_contig(up_filter, acc), down = acc_contig(down_filter, acc);
  const at::Tensor be = beta.has_value() ? acc_contig(*beta, acc) : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_anti_alias_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    SONIX_CUDA_CHECK(launch_antialias_backward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(gy), cuda_ptr<scalar_t>(x), al.const_data_ptr<acc_t>(), opt_ptr<acc_t>(be),
        up.const_data_ptr<acc_t>(), down.const_data_ptr<acc_t>(), log_scale, g, x.size(0) * x.size(1), x.size(1),
        cuda_mutable_ptr<scalar_t>(gx), partials.mutable_data_ptr<acc_t>(), stream));
  });
  auto [g_alpha, g_beta] = antialias_param_grads(partials, x.size(0), alpha, beta, log_scale);
  return {gx, g_alpha, g_beta};
}

std::tuple<at::Tensor, at::Tensor> pcen_cuda(const at::Tensor& input, const at::Tensor& s, const at::Tensor& alpha,
                                             const at::Tensor& delta, const at::Tensor& r,
                                             const std::optional<at::Tensor>& initial_state, double eps) {
  check_pcen_args(input, s, alpha, delta, r, initial_state);
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const int64_t rows = x.size(0) * x.size(1), T = x.size(2);
  const int64_t n_chunks = (T + pcen_chunk_length(T) - 1) / pcen_chunk_length(T);
  const at::Tensor m0 = pcen_initial_state(x, initial_state, acc);
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor state = at::empty({x.size(0), x.size(1)}, x.options().dtype(acc));
  at::Tensor scratch = at::empty({2, rows * n_chunks}, x.options().dtype(acc));
  const at::Tensor ps = acc_contig(s, acc), pa = acc_contig(alpha, acc), pd = acc_contig(delta, acc),
                   pr = acc_contig(r, acc);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_pcen_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    acc_t* sp = scratch.mutable_data_ptr<acc_t>();
    SONIX_CUDA_CHECK(launch_pcen_forward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(x), ps.const_data_ptr<acc_t>(), pa.const_data_ptr<acc_t>(), pd.const_data_ptr<acc_t>(),
        pr.const_data_ptr<acc_t>(), m0.const_data_ptr<acc_t>(), static_cast<acc_t>(eps), rows, x.size(1), T,
        cuda_mutable_ptr<scalar_t>(y), state.mutable_data_ptr<acc_t>(), sp, sp + rows * n_chunks, stream));
  });
  return {y, state};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> pcen_backward_cuda(
    const at::Tensor& grad, const std::optional<at::Tensor>& grad_state, const at::Tensor& input, const at::Tensor& s,
    const at::Tensor& alpha, const at::Tensor& delta, const at::Tensor& r,
    const std::optional<at::Tensor>& initial_state, double eps) {
  check_pcen_args(input, s, alpha, delta, r, initial_state);
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  check_same_device(grad, "grad", input, "input");
  const int64_t batch = input.size(0), channels = input.size(1), rows = batch * channels, T = input.size(2);
  if (grad_state.has_value())
    SONIX_CHECK(grad_state->dim() == 2 && grad_state->size(0) == batch && grad_state->size(1) == channels,
                "grad_state must have shape (batch, channels) = (", batch, ", ", channels, "), got ",
                grad_state->sizes());
  c10::cuda::CUDAGuard guard(input.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor gy = grad.to(x.scalar_type()).contiguous();
  const at::Tensor m0 = pcen_initial_state(x, initial_state, acc);
  const at::Tensor g_final =
      grad_state.has_value() ? grad_state->to(acc).contiguous() : at::zeros({batch, channels}, x.options().dtype(acc));
  const int64_t n_chunks = (T + pcen_chunk_length(T) - 1) / pcen_chunk_length(T);
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor g_m0 = at::empty({batch, channels}, x.options().dtype(acc));
  at::Tensor partials = at::empty({rows, n_chunks, 4}, x.options().dtype(acc));
  at::Tensor smooth = at::empty({rows, T}, x.options().dtype(acc));
  at::Tensor scratch = at::empty({2, rows * n_chunks}, x.options().dtype(acc));
  const at::Tensor ps = acc_contig(s, acc), pa = acc_contig(alpha, acc), pd = acc_contig(delta, acc),
                   pr = acc_contig(r, acc);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_pcen_backward_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    acc_t* sp = scratch.mutable_data_ptr<acc_t>();
    SONIX_CUDA_CHECK(launch_pcen_backward<cuda_t<scalar_t>, acc_t>(
        cuda_ptr<scalar_t>(gy), g_final.const_data_ptr<acc_t>(), cuda_ptr<scalar_t>(x), ps.const_data_ptr<acc_t>(),
        pa.const_data_ptr<acc_t>(), pd.const_data_ptr<acc_t>(), pr.const_data_ptr<acc_t>(),
        m0.const_data_ptr<acc_t>(), static_cast<acc_t>(eps), rows, channels, T, cuda_mutable_ptr<scalar_t>(gx),
        g_m0.mutable_data_ptr<acc_t>(), partials.mutable_data_ptr<acc_t>(), smooth.mutable_data_ptr<acc_t>(), sp,
        sp + rows * n_chunks, stream));
  });
  const at::Tensor sums = partials.to(at::kDouble).view({batch, channels, n_chunks, 4}).sum(at::IntArrayRef{0, 2});
  return {gx,
          sums.select(1, 0).to(s.scalar_type(), false, true),
          sums.select(1, 1).to(alpha.scalar_type(), false, true),
          sums.select(1, 2).to(delta.scalar_type(), false, true),
          sums.select(1, 3).to(r.scalar_type(), false, true),
          g_m0};
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CUDA, m) {
  m.impl("anti_alias_activation", &anti_alias_activation_cuda);
  m.impl("anti_alias_activation_backward", &anti_alias_activation_backward_cuda);
  m.impl("pcen", &pcen_cuda);
  m.impl("pcen_backward", &pcen_backward_cuda);
}

}  // namespace sonix
