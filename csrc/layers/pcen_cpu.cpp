// PCEN on the CPU: rows (batch x channel) in parallel; within a row, time in blocks: a scalar scan
// fills the block's smoothed energy, then the block's outputs are computed elementwise. The backward
// recomputes the smoother forward, then runs the adjoint scan in reverse time.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "core/checks.h"
#include "layers/pcen.h"
#include "layers/pcen_common.h"

namespace sonix {
namespace {

constexpr int64_t kBlock = 512;

template <typename acc_t>
PcenChannel<acc_t> channel_params(const acc_t* s, const acc_t* al, const acc_t* de, const acc_t* r, int64_t c) {
  return pcen_channel<acc_t>(s[c], al[c], de[c], r[c]);
}

std::tuple<at::Tensor, at::Tensor> pcen_cpu(const at::Tensor& input, const at::Tensor& s, const at::Tensor& alpha,
                                            const at::Tensor& delta, const at::Tensor& r,
                                            const std::optional<at::Tensor>& initial_state, double eps) {
  check_pcen_args(input, s, alpha, delta, r, initial_state);
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const int64_t channels = x.size(1), rows = x.size(0) * channels, T = x.size(2);
  at::Tensor state = pcen_initial_state(x, initial_state, acc).clone();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  const at::Tensor ps = s.to(acc).contiguous(), pa = alpha.to(acc).contiguous();
  const at::Tensor pd = delta.to(acc).contiguous(), pr = r.to(acc).contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_pcen_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    scalar_t* yp = y.mutable_data_ptr<scalar_t>();
    acc_t* mp = state.mutable_data_ptr<acc_t>();
    const acc_t e = static_cast<acc_t>(eps);
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      acc_t mb[kBlock], eb[kBlock];
      for (int64_t row = begin; row < end; ++row) {
        const PcenChannel<acc_t> p = channel_params(ps.const_data_ptr<acc_t>(), pa.const_data_ptr<acc_t>(),
                                                    pd.const_data_ptr<acc_t>(), pr.const_data_ptr<acc_t>(),
                                                    row % channels);
        const acc_t keep = acc_t(1) - p.s;
        acc_t m = mp[row];
        for (int64_t t0 = 0; t0 < T; t0 += kBlock) {
          const int64_t n = std::min(kBlock, T - t0);
          const scalar_t* xr = xp + row * T + t0;
          for (int64_t i = 0; i < n; ++i) eb[i] = static_cast<acc_t>(xr[i]);
          for (int64_t i = 0; i < n; ++i) mb[i] = m = keep * m + p.s * eb[i];
          scalar_t* yr = yp + row * T + t0;
          for (int64_t i = 0; i < n; ++i) yr[i] = static_cast<scalar_t>(pcen_value(eb[i], mb[i], p, e));
        }
        mp[row] = m;
      }
    });
  });
  return {y, state};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> pcen_backward_cpu(
    const at::Tensor& grad, const std::optional<at::Tensor>& grad_state, const at::Tensor& input, const at::Tensor& s,
    const at::Tensor& alpha, const at::Tensor& delta, const at::Tensor& r,
    const std::optional<at::Tensor>& initial_state, double eps) {
  check_pcen_args(input, s, alpha, delta, r, initial_state);
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const int64_t batch = x.size(0), channels = x.size(1), rows = batch * channels, T = x.size(2);
  if (grad_state.has_value())
    SONIX_CHECK(grad_state->dim() == 2 && grad_state->size(0) == batch && grad_state->size(1) == channels,
                "grad_state must have shape (batch, channels) = (", batch, ", ", channels, "), got ",
                grad_state->sizes());
  const at::Tensor gy = grad.to(x.scalar_type()).contiguous();
  const at::Tensor m0 = pcen_initial_state(x, initial_state, acc);
  const at::Tensor gm_final =
      grad_state.has_value() ? grad_state->to(acc).contiguous() : at::zeros({batch, channels}, x.options().dtype(acc));
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor g_m0 = at::empty({batch, channels}, x.options().dtype(acc));
  at::Tensor partials = at::empty({rows, 4}, x.options().dtype(acc));  // d s, d alpha, d delta, d r per row
  const at::Tensor ps = s.to(acc).contiguous(), pa = alpha.to(acc).contiguous();
  const at::Tensor pd = delta.to(acc).contiguous(), pr = r.to(acc).contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_pcen_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const scalar_t* gp = gy.const_data_ptr<scalar_t>();
    scalar_t* gxp = gx.mutable_data_ptr<scalar_t>();
    const acc_t* m0p = m0.const_data_ptr<acc_t>();
    const acc_t* gfp = gm_final.const_data_ptr<acc_t>();
    acc_t* gm0p = g_m0.mutable_data_ptr<acc_t>();
    acc_t* part = partials.mutable_data_ptr<acc_t>();
    const acc_t e = static_cast<acc_t>(eps);
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      std::vector<acc_t> mrow(T);
      for (int64_t row = begin; row < end; ++row) {
        const PcenChannel<acc_t> p = channel_params(ps.const_data_ptr<acc_t>(), pa.const_data_ptr<acc_t>(),
                                                    pd.const_data_ptr<acc_t>(), pr.const_data_ptr<acc_t>(),
                                                    row % channels);
        const acc_t keep = acc_t(1) - p.s;
        const scalar_t* xr = xp + row * T;
        const scalar_t* gr = gp + row * T;
        scalar_t* gxr = gxp + row * T;
        acc_t m = m0p[row];
        for (int64_t t = 0; t < T; ++t) mrow[t] = m = keep * m + p.s * static_cast<acc_t>(xr[t]);
        // Reverse-time adjoint of the smoother: lambda[t] = g[t] dout/dM[t] + (1 - s) lambda[t + 1].
        acc_t carry = gfp[row], d_s = 0, d_alpha = 0, d_delta = 0, d_r = 0;
        for (int64_t t = T - 1; t >= 0; --t) {
          const acc_t et = static_cast<acc_t>(xr[t]), g = static_cast<acc_t>(gr[t]);
          const PcenPartials<acc_t> d = pcen_partials(et, mrow[t], p, e);
          const acc_t lambda = g * d.dm + carry;
          const acc_t m_prev = t > 0 ? mrow[t - 1] : m0p[row];
          gxr[t] = static_cast<scalar_t>(g * d.de + p.s * lambda);
          d_s += lambda * (et - m_prev);
          d_alpha += g * d.dalpha;
          d_delta += g * d.ddelta;
          d_r += g * d.dr;
          carry = keep * lambda;
        }
        gm0p[row] = carry;
        part[row * 4 + 0] = d_s;
        part[row * 4 + 1] = d_alpha;
        part[row * 4 + 2] = d_delta;
        part[row * 4 + 3] = d_r;
      }
    });
  });
  const at::Tensor sums = partials.to(at::kDouble).view({batch, channels, 4}).sum(at::IntArrayRef{0});
  return {gx,
          sums.select(1, 0).to(s.scalar_type(), false, true),
          sums.select(1, 1).to(alpha.scalar_type(), false, true),
          sums.select(1, 2).to(delta.scalar_type(), false, true),
          sums.select(1, 3).to(r.scalar_type(), false, true),
          g_m0};
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("pcen", &pcen_cpu);
  m.impl("pcen_backward", &pcen_backward_cpu);
}

}  // namespace sonix
