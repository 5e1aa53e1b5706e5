// Snake / SnakeBeta on the CPU: y = x + inv_b * sin(a x)^2 per channel, one pass forward, and one pass
// backward giving grad_x and the per-channel sums that become grad_alpha / grad_beta.
//
// Work is split over (batch, channel) rows. float32 rows run a vectorised sin/cos (fast_sincos_cpu.h)
// in an AVX2/FMA clone where the CPU has it; float16 / bfloat16 go through float tiles; float64 uses
// libm (it serves references and gradcheck). The parameter sums are accumulated per row (float over
// short blocks, double across blocks) and then over the batch in order: deterministic for any
// thread count.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/cpu_clones.h"
#include "core/fast_sincos_cpu.h"
#include "layers/snake_common.h"

namespace sonix {
namespace {

constexpr int64_t kBlock = 256;  // elements per vector block (and per float partial sum)

// Scalar sin^2 path for blocks holding arguments beyond the fast range (or inf / NaN).
inline void snake_forward_block_libm(const float* x, float* y, int64_t n, float a, float inv_b) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = std::sin(a * x[i]);
    y[i] = x[i] + inv_b * s * s;
  }
}

SONIX_CPU_CLONES void snake_forward_row_f32(const float* x, float* y, int64_t n, float a, float inv_b) {
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t len = std::min(kBlock, n - i0);
    const float* xb = x + i0;
    float* yb = y + i0;
    int32_t special = 0;
#pragma omp simd reduction(+ : special)
    for (int64_t i = 0; i < len; ++i) {
      const float v = xb[i];
      const float ax = a * v;
      special += cpu::fast_trig_needs_libm(ax) ? 1 : 0;
      yb[i] = v + inv_b * cpu::fast_sin2f(ax);
    }
    if (special != 0) snake_forward_block_libm(xb, yb, len, a, inv_b);
  }
}

// gx = g * (1 + inv_b * a * sin(2ax)); sums[0] += g * x * sin(2ax); sums[1] += g * sin(ax)^2.
SONIX_CPU_CLONES void snake_backward_row_f32(const float* x, const float* g, float* gx, int64_t n, float a,
                                              float inv_b, double* sums) {
  const float ka = inv_b * a;
  double sa = 0.0, sb = 0.0;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t len = std::min(kBlock, n - i0);
    const float* xb = x + i0;
    const float* gb = g + i0;
    float* ob = gx + i0;
    int32_t special = 0;
    float fa = 0.0f, fb = 0.0f;
#pragma omp simd reduction(+ : special, fa, fb)
    for (int64_t i = 0; i < len; ++i) {
      const float v = xb[i];
      const float gv = gb[i];
      const float ax = a * v;
      special += cpu::fast_trig_needs_libm(ax) ? 1 : 0;
      const cpu::SinCos sc = cpu::fast_sincosf(ax);
      const float s2 = 2.0f * sc.s * sc.c;  // sin(2ax)
      ob[i] = gv + gv * ka * s2;
      fa += gv * v * s2;
      fb += gv * sc.s * sc.s;
    }
    if (special != 0) {
      fa = 0.0f;
      fb = 0.0f;
      for (int64_t i = 0; i < len; ++i) {
        const float v = xb[i], gv = gb[i];
        const float s = std::sin(a * v), s2 = std::sin(2.0f * a * v);
        ob[i] = gv + gv * ka * s2;
        fa += gv * v * s2;
        fb += gv * s * s;
      }
    }
    sa += fa;
    sb += fb;
  }
  sums[0] = sa;
  sums[1] = sb;
}

void snake_forward_row_f64(const double* x, double* y, int64_t n, double a, double inv_b) {
  for (int64_t i = 0; i < n; ++i) {
    const double s = std::sin(a * x[i]);
    y[i] = x[i] + inv_b * s * s;
  }
}

void snake_backward_row_f64(const double* x, const double* g, double* gx, int64_t n, double a, double inv_b,
                            double* sums) {
  double sa = 0.0, sb = 0.0;
  for (int64_t i = 0; i < n; ++i) {  // gx may alias g (blocked path): read g[i] once, first
    const double xv = x[i], gv = g[i];
    const SnakePartials<double> p = snake_partials(xv, a, inv_b);
    sa += gv * xv * std::sin(2.0 * a * xv);
    sb += gv * p.dinv_b;
    gx[i] = gv * p.dx;
  }
  sums[0] = sa;
  sums[1] = sb;
}

// Rows per parallel task: about 32k elements each.
inline int64_t row_grain(int64_t time) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(time, 1)); }

template <typename scalar_t>
void snake_forward_rows(const scalar_t* x, scalar_t* y, int64_t rows, int64_t channels, int64_t time,
                        const at::Tensor& table) {
  if constexpr (std::is_same_v<scalar_t, double>) {
    const double* tab = table.const_data_ptr<double>();
    at::parallel_for(0, rows, row_grain(time), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        snake_forward_row_f64(x + r * time, y + r * time, time, tab[r % channels], tab[channels + r % channels]);
    });
  } else {
    const float* tab = table.const_data_ptr<float>();
    at::parallel_for(0, rows, row_grain(time), [&](int64_t r0, int64_t r1) {
      float buf[kBlock];
      for (int64_t r = r0; r < r1; ++r) {
        const float a = tab[r % channels], inv_b = tab[channels + r % channels];
        if constexpr (std::is_same_v<scalar_t, float>) {
          snake_forward_row_f32(x + r * time, y + r * time, time, a, inv_b);
        } else {
          for (int64_t i0 = 0; i0 < time; i0 += kBlock) {
            const int64_t len = std::min(kBlock, time - i0);
            const scalar_t* xs = x + r * time + i0;
            for (int64_t i = 0; i < len; ++i) buf[i] = static_cast<float>(xs[i]);
            snake_forward_row_f32(buf, buf, len, a, inv_b);
            scalar_t* ys = y + r * time + i0;
            for (int64_t i = 0; i < len; ++i) ys[i] = static_cast<scalar_t>(buf[i]);
          }
        }
      }
    });
  }
}

// The upstream gradient is read through its strides: autograd hands `sum().backward()` an expanded
// (stride 0) tensor, and materialising it would add a full write and read of the activation.
struct GradView {
  int64_t s0, s1, s2;  // strides over (batch, channels, time)
};

template <typename scalar_t>
void snake_backward_rows(const scalar_t* x, const scalar_t* g, GradView gv, scalar_t* gx, double* sums, int64_t rows,
                         int64_t channels, int64_t time, const at::Tensor& table) {
  using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
  const acc_t* tab = table.const_data_ptr<acc_t>();
  at::parallel_for(0, rows, row_grain(time), [&](int64_t r0, int64_t r1) {
    acc_t xb[kBlock], gb[kBlock];
    for (int64_t r = r0; r < r1; ++r) {
      const acc_t a = tab[r % channels], inv_b = tab[channels + r % channels];
      const scalar_t* grow = g + (r / channels) * gv.s0 + (r % channels) * gv.s1;
      if constexpr (std::is_same_v<scalar_t, acc_t>) {
        if (gv.s2 == 1) {
          if constexpr (std::is_same_v<acc_t, float>)
            snake_backward_row_f32(x + r * time, grow, gx + r * time, time, a, inv_b, sums + 2 * r);
          else
            snake_backward_row_f64(x + r * time, grow, gx + r * time, time, a, inv_b, sums + 2 * r);
          continue;
        }
      }
      double sa = 0.0, sb = 0.0;
      for (int64_t i0 = 0; i0 < time; i0 += kBlock) {
        const int64_t len = std::min(kBlock, time - i0);
        const int64_t off = r * time + i0;
        for (int64_t i = 0; i < len; ++i) {
          xb[i] = static_cast<acc_t>(x[off + i]);
          gb[i] = static_cast<acc_t>(grow[(i0 + i) * gv.s2]);
        }
        double part[2];
        if constexpr (std::is_same_v<acc_t, float>)
          snake_backward_row_f32(xb, gb, gb, len, a, inv_b, part);
        else
          snake_backward_row_f64(xb, gb, gb, len, a, inv_b, part);
        for (int64_t i = 0; i < len; ++i) gx[off + i] = static_cast<scalar_t>(gb[i]);
        sa += part[0];
        sb += part[1];
      }
      sums[2 * r] = sa;
      sums[2 * r + 1] = sb;
    }
  });
}

}  // namespace

at::Tensor snake_cpu(const at::Tensor& input, const at::Tensor& alpha, const std::optional<at::Tensor>& beta,
                     bool logscale) {
  check_snake_args(input, alpha, beta);
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t channels = x.size(1), time = x.size(2), rows = x.size(0) * channels;
  if (x.numel() == 0) return y;
  const at::Tensor table = snake_channel_table(alpha, beta, logscale, compute_type(x.scalar_type()));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_snake_cpu", [&] {
    snake_forward_rows<scalar_t>(x.const_data_ptr<scalar_t>(), y.mutable_data_ptr<scalar_t>(), rows, channels, time,
                                 table);
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> snake_backward_cpu(const at::Tensor& grad, const at::Tensor& input,
                                                                  const at::Tensor& alpha,
                                                                  const std::optional<at::Tensor>& beta,
                                                                  bool logscale) {
  check_snake_args(input, alpha, beta);
  SONIX_CHECK(grad.sizes() == input.sizes(), "grad must have the shape of input ", input.sizes(), ", got ",
              grad.sizes());
  const at::Tensor x = input.contiguous();
  const at::Tensor g = grad.to(x.scalar_type());  // any strides
  const GradView gview{g.stride(0), g.stride(1), g.stride(2)};
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t batch = x.size(0), channels = x.size(1), time = x.size(2), rows = batch * channels;
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor table = snake_channel_table(alpha, beta, logscale, acc);
  at::Tensor row_sums = at::zeros({rows, 2}, x.options().dtype(at::kDouble));
  double* sums = row_sums.mutable_data_ptr<double>();
  if (x.numel() > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_snake_backward_cpu", [&] {
      snake_backward_rows<scalar_t>(x.const_data_ptr<scalar_t>(), g.const_data_ptr<scalar_t>(), gview,
                                    gx.mutable_data_ptr<scalar_t>(), sums, rows, channels, time, table);
    });
  }
  // Parameters: sums over the batch in order, then the chain rule in float64.
  const at::Tensor al = alpha.to(at::kDouble).contiguous();
  const at::Tensor be = beta.has_value() ? beta->to(at::kDouble).contiguous() : al;
  const double* alp = al.const_data_ptr<double>();
  const double* bep = be.const_data_ptr<double>();
  at::Tensor ga = at::empty({channels}, al.options());
  at::Tensor gb = at::empty({beta.has_value() ? channels : 0}, al.options());
  double* gap = ga.mutable_data_ptr<double>();
  double* gbp = gb.mutable_data_ptr<double>();
  for (int64_t c = 0; c < channels; ++c) {
    double sa = 0.0, sb = 0.0;
    for (int64_t b = 0; b < batch; ++b) {
      sa += sums[2 * (b * channels + c)];
      sb += sums[2 * (b * channels + c) + 1];
    }
    const SnakeChannel<double> ch = snake_channel(alp[c], bep[c], beta.has_value(), logscale);
    double gbeta = 0.0;
    snake_param_grads(ch, beta.has_value(), logscale, sa, sb, gap + c, &gbeta);
    if (beta.has_value()) gbp[c] = gbeta;
  }
  return {gx, ga.to(alpha.scalar_type()), beta.has_value() ? gb.to(beta->scalar_type()) : gb.to(alpha.scalar_type())};
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("snake", &snake_cpu);
  m.impl("snake_backward", &snake_backward_cpu);
}

}  // namespace sonix
