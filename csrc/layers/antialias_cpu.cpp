// Fused anti-aliased activation (upsample -> Snake/SnakeBeta -> low-pass + downsample) on the CPU.
//
// Work is split into (row, time tile) tasks. A forward task upsamples only the stretch of u its outputs
// read into a tile buffer (the upsampled signal never reaches memory), applies Snake in place and
// low-passes it. A backward task owns a tile of input samples: it recomputes u over the stretch they
// feed, pulls the output gradient back through the low-pass, multiplies by the Snake derivative and
// pulls it back through the upsampler, so no gradient needs accumulating across tasks. Parameter
// gradients are partial sums per task, added up afterwards in float64.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/checks.h"
#include "layers/antialias_common.h"
#include "layers/fast_sincos_cpu.h"
#include "layers/snake_math.h"

namespace sonix {
namespace {

constexpr int64_t kOutTile = 2048;  // outputs per forward task
constexpr int64_t kInTile = 2048;   // input samples per backward task

// buf[p - base] = u[p] for c_lo <= p <= c_hi (0 <= c_lo, c_hi < L), polyphase: phase by phase, tap by
// tap, each a contiguous axpy over the gathered padded input.
template <typename acc_t, typename scalar_t>
void upsample_range(const scalar_t* x, const acc_t* up, const AntiAliasGeom& g, int64_t c_lo, int64_t c_hi,
                    acc_t* buf, int64_t base, std::vector<acc_t>& xb) {
  const int ntu = (g.ku + g.ru - 1) / g.ru;
  const int64_t q_lo = (c_lo + g.crop) / g.ru, q_hi = (c_hi + g.crop) / g.ru;
  const int64_t m_lo = q_lo - (ntu - 1);
  xb.resize(q_hi - m_lo + 1);
  for (int64_t m = m_lo; m <= q_hi; ++m) xb[m - m_lo] = padded_input<acc_t>(x, m, g);
  std::fill(buf + (c_lo - base), buf + (c_hi - base) + 1, acc_t(0));
  const acc_t gain = static_cast<acc_t>(g.ru);
  for (int phase = 0; phase < g.ru; ++phase) {
    const int64_t qs = floor_div(c_lo + g.crop - phase + g.ru - 1, g.ru);
    const int64_t qe = floor_div(c_hi + g.crop - phase, g.ru);
    if (qs > qe) continue;
    acc_t* out = buf + (qs * g.ru + phase - g.crop - base);
    const int64_t n = qe - qs + 1;
    for (int k = phase, t = 0; k < g.ku; k += g.ru, ++t) {
      const acc_t w = gain * up[k];
      const acc_t* src = xb.data() + (qs - t - m_lo);
      if (g.ru == 2) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) out[2 * i] += w * src[i];
      } else {
        const int64_t r = g.ru;
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) out[i * r] += w * src[i];
      }
    }
  }
}

template <typename acc_t>
bool fast_sin_ok(const acc_t* v, int64_t n, acc_t a) {
  if constexpr (!std::is_same_v<acc_t, float>) {
    return false;
  } else {
    int32_t bad = 0;
#pragma omp simd reduction(+ : bad)
    for (int64_t i = 0; i < n; ++i) bad += std::fabs(a * v[i]) < cpu::kSinCosFastLimit ? 0 : 1;  // NaN: bad
    return bad == 0;
  }
}

// v <- snake(v) over a contiguous stretch.
template <typename acc_t>
void snake_inplace(acc_t* v, int64_t n, acc_t a, acc_t inv_b) {
  if constexpr (std::is_same_v<acc_t, float>) {
    if (fast_sin_ok(v, n, a)) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        float s, c;
        cpu::fast_sincosf(a * v[i], s, c);
        v[i] = v[i] + inv_b * s * s;
      }
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) v[i] = snake_value(v[i], a, inv_b);
}

// In place: u -> dL/du = ga * dsnake/du; returns the sums of ga * dsnake/da and ga * dsnake/d(inv_b)
// over [own_lo, own_hi) (each upsampled sample is owned by exactly one task).
template <typename acc_t>
void snake_backward_inplace(acc_t* u, const acc_t* ga, int64_t n, int64_t own_lo, int64_t own_hi, acc_t a,
                            acc_t inv_b, acc_t& sum_a, acc_t& sum_invb) {
  acc_t sa = 0, sib = 0;
  if constexpr (std::is_same_v<acc_t, float>) {
    if (fast_sin_ok(u, n, a)) {
#pragma omp simd reduction(+ : sa, sib)
      for (int64_t i = 0; i < n; ++i) {
        float s, c;
        cpu::fast_sincosf(a * u[i], s, c);
        const float s2 = 2.0f * s * c;  // sin(2 a u)
        const float own = (i >= own_lo && i < own_hi) ? ga[i] : 0.0f;
        sa += own * inv_b * u[i] * s2;
        sib += own * s * s;
        u[i] = ga[i] * (1.0f + inv_b * a * s2);
      }
      sum_a = sa;
      sum_invb = sib;
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const SnakePartials<acc_t> d = snake_partials(u[i], a, inv_b);
    if (i >= own_lo && i < own_hi) {
      sa += ga[i] * d.da;
      sib += ga[i] * d.dinv_b;
    }
    u[i] = ga[i] * d.dx;
  }
  sum_a = sa;
  sum_invb = sib;
}

template <typename scalar_t, typename acc_t>
void antialias_forward_kernel(const at::Tensor& x, const acc_t* alpha, const acc_t* beta, const acc_t* up,
                              const acc_t* down, bool log_scale, const AntiAliasGeom& g, at::Tensor& y) {
  const int64_t channels = x.size(1), rows = x.size(0) * channels;
  const int64_t tiles = antialias_tiles(g.T_out, kOutTile);
  const scalar_t* xp = x.const_data_ptr<scalar_t>();
  scalar_t* yp = y.mutable_data_ptr<scalar_t>();
  const int64_t grain = std::max<int64_t>(1, 16384 / kOutTile);
  at::parallel_for(0, rows * tiles, grain, [&](int64_t begin, int64_t end) {
    std::vector<acc_t> buf, xb, acc;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / tiles, i0 = (task % tiles) * kOutTile;
      const int64_t i1 = std::min(g.T_out, i0 + kOutTile), n_out = i1 - i0;
      const int64_t c = row % channels;
      const AntiAliasSnake<acc_t> sc =
          antialias_snake<acc_t>(alpha[c], beta ? beta[c] : alpha[c], log_scale, acc_t(kSnakeEps));
      const int64_t p_lo = i0 * g.rd - g.pad_down, p_hi = (i1 - 1) * g.rd + g.kd - 1 - g.pad_down;
      const int64_t c_lo = std::max<int64_t>(p_lo, 0), c_hi = std::min<int64_t>(p_hi, g.L - 1);
      buf.resize(p_hi - p_lo + 1);
      upsample_range(xp + row * g.T, up, g, c_lo, c_hi, buf.data(), p_lo, xb);
      snake_inplace(buf.data() + (c_lo - p_lo), c_hi - c_lo + 1, sc.a, sc.inv_b);
      // Replicate padding of the activated signal for the low-pass.
      std::fill(buf.begin(), buf.begin() + (c_lo - p_lo), buf[c_lo - p_lo]);
      std::fill(buf.begin() + (c_hi - p_lo) + 1, buf.end(), buf[c_hi - p_lo]);
      acc.assign(n_out, acc_t(0));
      for (int k = 0; k < g.kd; ++k) {
        const acc_t w = down[k];
        const acc_t* src = buf.data() + k;
        if (g.rd == 2) {
#pragma omp simd
          for (int64_t i = 0; i < n_out; ++i) acc[i] += w * src[2 * i];
        } else {
          const int64_t r = g.rd;
#pragma omp simd
          for (int64_t i = 0; i < n_out; ++i) acc[i] += w * src[i * r];
        }
      }
      scalar_t* out = yp + row * g.T_out + i0;
      for (int64_t i = 0; i < n_out; ++i) out[i] = static_cast<scalar_t>(acc[i]);
    }
  });
}

template <typename scalar_t, typename acc_t>
void antialias_backward_kernel(const at::Tensor& gy, const at::Tensor& x, const acc_t* alpha, const acc_t* beta,
                               const acc_t* up, const acc_t* down, bool log_scale, const AntiAliasGeom& g,
                               at::Tensor& gx, at::Tensor& partials) {
  const int64_t channels = x.size(1), rows = x.size(0) * channels;
  const int64_t tiles = antialias_tiles(g.T, kInTile);
  const scalar_t* xp = x.const_data_ptr<scalar_t>();
  const scalar_t* gyp = gy.const_data_ptr<scalar_t>();
  scalar_t* gxp = gx.mutable_data_ptr<scalar_t>();
  acc_t* part = partials.mutable_data_ptr<acc_t>();
  const int64_t grain = std::max<int64_t>(1, 16384 / kInTile);
  at::parallel_for(0, rows * tiles, grain, [&](int64_t begin, int64_t end) {
    std::vector<acc_t> u, ga, gu, gm, xb, gxl;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / tiles, tile = task % tiles;
      const int64_t j0 = tile * kInTile, j1 = std::min(g.T, j0 + kInTile);
      const int64_t c = row % channels;
      const AntiAliasSnake<acc_t> sc =
          antialias_snake<acc_t>(alpha[c], beta ? beta[c] : alpha[c], log_scale, acc_t(kSnakeEps));
      // Padded-input samples whose gradient lands in [j0, j1) and the upsampled stretch they feed.
      const int64_t m_lo = j0 == 0 ? 0 : j0 + g.pad, m_hi = j1 == g.T ? g.n_pad - 1 : j1 - 1 + g.pad;
      const int64_t P_lo = m_lo * g.ru - g.crop, P_hi = m_hi * g.ru + g.ku - 1 - g.crop;
      const int64_t c_lo = std::max<int64_t>(P_lo, 0), c_hi = std::min<int64_t>(P_hi, g.L - 1);
      const int64_t n_u = c_hi - c_lo + 1;
      u.resize(n_u);
      upsample_range(xp + row * g.T, up, g, c_lo, c_hi, u.data(), c_lo, xb);
      // ga[p] = dL/da[p]: the low-pass transposed, with the replicate padding folded onto the ends.
      ga.assign(n_u, acc_t(0));
      const scalar_t* gyr = gyp + row * g.T_out;
      for (int k = 0; k < g.kd; ++k) {
        const int64_t is = std::max<int64_t>(0, floor_div(c_lo + g.pad_down - k + g.rd - 1, g.rd));
        const int64_t ie = std::min<int64_t>(g.T_out - 1, floor_div(c_hi + g.pad_down - k, g.rd));
        const acc_t w = down[k];
        for (int64_t i = is; i <= ie; ++i) ga[i * g.rd + k - g.pad_down - c_lo] += w * static_cast<acc_t>(gyr[i]);
      }
      if (c_lo == 0)
        for (int64_t i = 0; i < g.T_out && i * g.rd < g.pad_down; ++i)
          for (int k = 0; k < g.kd; ++k)
            if (i * g.rd + k - g.pad_down < 0) ga[0] += down[k] * static_cast<acc_t>(gyr[i]);
      if (c_hi == g.L - 1)
        for (int64_t i = std::max<int64_t>(0, (g.L - g.kd + g.pad_down) / g.rd); i < g.T_out; ++i)
          for (int k = 0; k < g.kd; ++k)
            if (i * g.rd + k - g.pad_down > g.L - 1) ga[n_u - 1] += down[k] * static_cast<acc_t>(gyr[i]);
      const int64_t own_lo = (j0 == 0 ? 0 : j0 * g.ru) - c_lo, own_hi = (j1 == g.T ? g.L : j1 * g.ru) - c_lo;
      acc_t sum_a = 0, sum_invb = 0;
      snake_backward_inplace(u.data(), ga.data(), n_u, own_lo, own_hi, sc.a, sc.inv_b, sum_a, sum_invb);
      part[task * 2] = sum_a;
      part[task * 2 + 1] = sum_invb;
      // gu over the unclamped stretch, zero where the transposed convolution's output was cropped.
      gu.assign(P_hi - P_lo + 1, acc_t(0));
      std::copy(u.begin(), u.end(), gu.begin() + (c_lo - P_lo));
      const int64_t n_m = m_hi - m_lo + 1;
      gm.assign(n_m, acc_t(0));
      const acc_t gain = static_cast<acc_t>(g.ru);
      for (int k = 0; k < g.ku; ++k) {
        const acc_t w = gain * up[k];
        const acc_t* src = gu.data() + k;
        if (g.ru == 2) {
#pragma omp simd
          for (int64_t m = 0; m < n_m; ++m) gm[m] += w * src[2 * m];
        } else {
          const int64_t r = g.ru;
#pragma omp simd
          for (int64_t m = 0; m < n_m; ++m) gm[m] += w * src[m * r];
        }
      }
      gxl.assign(j1 - j0, acc_t(0));
      for (int64_t m = m_lo; m <= m_hi; ++m) gxl[clamp_index(m - g.pad, 0, g.T - 1) - j0] += gm[m - m_lo];
      scalar_t* out = gxp + row * g.T + j0;
      for (int64_t j = 0; j < j1 - j0; ++j) out[j] = static_cast<scalar_t>(gxl[j]);
    }
  });
}

at::Tensor acc_contig(const at::Tensor& t, at::ScalarType acc) { return t.to(acc).contiguous(); }

at::Tensor anti_alias_activation_cpu(const at::Tensor& input, const at::Tensor& alpha,
                                     const std::optional<at::Tensor>& beta, const at::Tensor& up_filter,
                                     const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio,
                                     bool log_scale) {
  const AntiAliasGeom g = check_antialias_args(input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio);
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty({x.size(0), x.size(1), g.T_out}, x.options());
  if (x.numel() == 0) return y;
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor al = acc_contig(alpha, acc), up = acc_contig(up_filter, acc), down = acc_contig(down_filter, acc);
  const at::Tensor be = beta.has_value() ? acc_contig(*beta, acc) : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_anti_alias_activation_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    antialias_forward_kernel<scalar_t, acc_t>(x, al.const_data_ptr<acc_t>(),
                                              be.defined() ? be.const_data_ptr<acc_t>() : nullptr,
                                              up.const_data_ptr<acc_t>(), down.const_data_ptr<acc_t>(), log_scale, g, y);
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> anti_alias_activation_backward_cpu(
    const at::Tensor& grad, const at::Tensor& input, const at::Tensor& alpha, const std::optional<at::Tensor>& beta,
    const at::Tensor& up_filter, const at::Tensor& down_filter, int64_t up_ratio, int64_t down_ratio,
    bool log_scale) {
  const AntiAliasGeom g = check_antialias_args(input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio);
  SONIX_CHECK(grad.dim() == 3 && grad.size(0) == input.size(0) && grad.size(1) == input.size(1) &&
                  grad.size(2) == g.T_out,
              "grad must have shape (", input.size(0), ", ", input.size(1), ", ", g.T_out, "), got ", grad.sizes());
  check_same_device(grad, "grad", input, "input");
  const at::Tensor x = input.contiguous();
  const at::Tensor gy = grad.to(x.scalar_type()).contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t tiles = antialias_tiles(g.T, kInTile);
  at::Tensor partials = at::zeros({x.size(0) * x.size(1), tiles, 2}, x.options().dtype(acc));
  const at::Tensor al = acc_contig(alpha, acc), up = acc_contig(up_filter, acc), down = acc_contig(down_filter, acc);
  const at::Tensor be = beta.has_value() ? acc_contig(*beta, acc) : at::Tensor();
  if (x.numel() > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_anti_alias_backward_cpu", [&] {
      using acc_t = at::opmath_type<scalar_t>;
      antialias_backward_kernel<scalar_t, acc_t>(gy, x, al.const_data_ptr<acc_t>(),
                                                 be.defined() ? be.const_data_ptr<acc_t>() : nullptr,
                                                 up.const_data_ptr<acc_t>(), down.const_data_ptr<acc_t>(), log_scale,
                                                 g, gx, partials);
    });
  }
  auto [g_alpha, g_beta] = antialias_param_grads(partials, x.size(0), alpha, beta, log_scale);
  return {gx, g_alpha, g_beta};
}

}  // namespace

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("anti_alias_activation", &anti_alias_activation_cpu);
  m.impl("anti_alias_activation_backward", &anti_alias_activation_backward_cpu);
}

}  // namespace sonix
