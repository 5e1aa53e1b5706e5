// Causal depthwise conv1d on the CPU: forward (with fused bias, activation and lengths mask), backward
// (input, weight and bias gradients) and the streaming update.
//
// Work is split over (batch, output channel) rows. A row is copied, in the compute type, behind its
// history (width - 1 zeros, or the streaming state), so every tap reads in bounds and half types
// convert once. float32 rows run a register-tiled loop (8 vectors of 8 outputs, one broadcast tap at
// a time; widths 2, 3, 4, 5, 7, 9, 15, 31 fully unrolled) in an AVX2/FMA clone where the CPU has it.
// The input gradient is the same loop over the output gradient with reversed taps; the weight
// gradient is a set of dot products per row, reduced over the batch in order (deterministic).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "core/cpu_clones.h"
#include "layers/causal_conv_common.h"

namespace sonix {
namespace {

using v8f = float __attribute__((vector_size(32)));

SONIX_ALWAYS_INLINE v8f load8(const float* p) {
  v8f v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
SONIX_ALWAYS_INLINE void store8(float* p, v8f v) { __builtin_memcpy(p, &v, sizeof v); }
SONIX_ALWAYS_INLINE float hsum8(v8f v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// z[t] = bias + sum_{k < width} w[k] * buf[t + k] for t in [0, n); buf holds n + width - 1 values.
// K > 0 fixes the width at compile time (taps unrolled); K == 0 reads it from `width`.
template <int K>
SONIX_ALWAYS_INLINE void conv_row_tiled(const float* buf, const float* w, int width, float bias, float* z, int64_t n) {
  const int kw = K > 0 ? K : width;
  constexpr int kVecs = 8;
  constexpr int64_t kTile = 8 * kVecs;
  int64_t t0 = 0;
  for (; t0 + kTile <= n; t0 += kTile) {
    v8f acc[kVecs];
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) acc[j] = v8f{} + bias;
    for (int k = 0; k < kw; ++k) {
      const v8f wk = v8f{} + w[k];
      const float* p = buf + t0 + k;
#pragma GCC unroll 8
      for (int j = 0; j < kVecs; ++j) acc[j] += wk * load8(p + 8 * j);
    }
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) store8(z + t0 + 8 * j, acc[j]);
  }
  for (; t0 < n; ++t0) {
    float acc = bias;
    for (int k = 0; k < kw; ++k) acc += w[k] * buf[t0 + k];
    z[t0] = acc;
  }
}

SONIX_CPU_CLONES void conv_row_f32(const float* buf, const float* w, int width, float bias, float* z, int64_t n) {
  switch (width) {
    case 2: return conv_row_tiled<2>(buf, w, width, bias, z, n);
    case 3: return conv_row_tiled<3>(buf, w, width, bias, z, n);
    case 4: return conv_row_tiled<4>(buf, w, width, bias, z, n);
    case 5: return conv_row_tiled<5>(buf, w, width, bias, z, n);
    case 7: return conv_row_tiled<7>(buf, w, width, bias, z, n);
    case 9: return conv_row_tiled<9>(buf, w, width, bias, z, n);
    case 15: return conv_row_tiled<15>(buf, w, width, bias, z, n);
    case 31: return conv_row_tiled<31>(buf, w, width, bias, z, n);
    default: return conv_row_tiled<0>(buf, w, width, bias, z, n);
  }
}

// dots[k] = sum_{t < n} g[t] * buf[t + k] for k < width (float over blocks of 2048, double across).
SONIX_CPU_CLONES void weight_dots_f32(const float* g, const float* buf, int width, int64_t n, double* dots) {
  constexpr int64_t kBlock = 2048;
  for (int k = 0; k < width; ++k) dots[k] = 0.0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t len = std::min(kBlock, n - b0);
    const float* gb = g + b0;
    int k0 = 0;
    for (; k0 + 4 <= width; k0 += 4) {
      const float* p = buf + b0 + k0;
      v8f a0{}, a1{}, a2{}, a3{};
      int64_t t = 0;
      for (; t + 8 <= len; t += 8) {
        const v8f gv = load8(gb + t);
        a0 += gv * load8(p + t);
        a1 += gv * load8(p + t + 1);
        a2 += gv * load8(p + t + 2);
        a3 += gv * load8(p + t + 3);
      }
      float s0 = hsum8(a0), s1 = hsum8(a1), s2 = hsum8(a2), s3 = hsum8(a3);
      for (; t < len; ++t) {
        s0 += gb[t] * p[t];
        s1 += gb[t] * p[t + 1];
        s2 += gb[t] * p[t + 2];
        s3 += gb[t] * p[t + 3];
      }
      dots[k0] += s0;
      dots[k0 + 1] += s1;
      dots[k0 + 2] += s2;
      dots[k0 + 3] += s3;
    }
    for (; k0 < width; ++k0) {
      const float* p = buf + b0 + k0;
      v8f a{};
      int64_t t = 0;
      for (; t + 8 <= len; t += 8) a += load8(gb + t) * load8(p + t);
      float s = hsum8(a);
      for (; t < len; ++t) s += gb[t] * p[t];
      dots[k0] += s;
    }
  }
}

void conv_row(const float* buf, const float* w, int width, float bias, float* z, int64_t n) {
  conv_row_f32(buf, w, width, bias, z, n);
}
void conv_row(const double* buf, const double* w, int width, double bias, double* z, int64_t n) {
  for (int64_t t = 0; t < n; ++t) {
    double acc = bias;
    for (int k = 0; k < width; ++k) acc += w[k] * buf[t + k];
    z[t] = acc;
  }
}
void weight_dots(const float* g, const float* buf, int width, int64_t n, double* dots) {
  weight_dots_f32(g, buf, width, n, dots);
}
void weight_dots(const double* g, const double* buf, int width, int64_t n, double* dots) {
  for (int k = 0; k < width; ++k) {
    double s = 0.0;
    for (int64_t t = 0; t < n; ++t) s += g[t] * buf[t + k];
    dots[k] = s;
  }
}

// Shapes and parameters of one call, in the compute type.
template <typename acc_t>
struct ConvProblem {
  int64_t batch, channels, out_channels, time, width;
  ConvActivation act;
  const acc_t* w;     // (channels, width)
  const acc_t* bias;  // (channels,) or null
  const int64_t* lengths;

  int64_t valid(int64_t b) const { return lengths ? std::clamp<int64_t>(lengths[b], 0, time) : time; }
  // Input channels that output channel co reads: co, and co + channels / 2 with glu.
  int n_inputs() const { return act == ConvActivation::kGlu ? 2 : 1; }
  int64_t input_channel(int64_t co, int i) const { return co + i * out_channels; }
};

// Per-task scratch rows of the compute type.
template <typename acc_t>
struct ConvScratch {
  std::vector<acc_t> buf[2], z[2], gz, wr;
  ConvScratch(int64_t time, int64_t width) {
    for (int i = 0; i < 2; ++i) {
      buf[i].resize(time + width - 1);
      z[i].resize(time);
    }
    gz.resize(time + width - 1);
    wr.resize(width);
  }
};

// buf = [history (width - 1 values: state row, or zeros), x row] in the compute type.
template <typename scalar_t, typename state_t, typename acc_t>
void load_row(const scalar_t* x, const state_t* state, int64_t time, int64_t width, acc_t* buf) {
  for (int64_t k = 0; k < width - 1; ++k) buf[k] = state ? static_cast<acc_t>(state[k]) : acc_t(0);
  for (int64_t t = 0; t < time; ++t) buf[width - 1 + t] = static_cast<acc_t>(x[t]);
}

template <typename acc_t>
acc_t bias_of(const ConvProblem<acc_t>& p, int64_t c) {
  return p.bias ? p.bias[c] : acc_t(0);
}

// Output row (b, co) from the pre-activations z[0] (and z[1] with glu), zero at t >= valid.
template <typename scalar_t, typename acc_t>
void store_output(const ConvProblem<acc_t>& p, const ConvScratch<acc_t>& s, int64_t valid, scalar_t* y) {
  const acc_t* za = s.z[0].data();
  if (p.act == ConvActivation::kGlu) {
    const acc_t* zg = s.z[1].data();
    for (int64_t t = 0; t < valid; ++t) y[t] = static_cast<scalar_t>(za[t] * conv_sigmoid(zg[t]));
  } else if (p.act == ConvActivation::kNone) {
    for (int64_t t = 0; t < valid; ++t) y[t] = static_cast<scalar_t>(za[t]);
  } else {
    for (int64_t t = 0; t < valid; ++t) y[t] = static_cast<scalar_t>(conv_activation(za[t], p.act));
  }
  for (int64_t t = valid; t < p.time; ++t) y[t] = scalar_t(0);
}

// Forward over all rows. state: (batch, channels, width - 1) history or null (zeros); new_state, when
// not null, receives the last width - 1 samples of [history, x] per input channel.
template <typename scalar_t, typename state_t, typename acc_t>
void conv_forward(const ConvProblem<acc_t>& p, const scalar_t* x, const state_t* state, scalar_t* y,
                  state_t* new_state) {
  const int64_t T = p.time, K = p.width, H = K - 1;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(T * K, 1));
  at::parallel_for(0, p.batch * p.out_channels, grain, [&](int64_t r0, int64_t r1) {
    ConvScratch<acc_t> s(T, K);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / p.out_channels, co = r % p.out_channels;
      for (int i = 0; i < p.n_inputs(); ++i) {
        const int64_t c = p.input_channel(co, i);
        const int64_t row = b * p.channels + c;
        acc_t* buf = s.buf[i].data();
        load_row(x + row * T, state ? state + row * H : static_cast<const state_t*>(nullptr), T, K, buf);
        conv_row(buf, p.w + c * K, static_cast<int>(K), bias_of(p, c), s.z[i].data(), T);
        if (new_state)
          for (int64_t k = 0; k < H; ++k) new_state[row * H + k] = static_cast<state_t>(buf[T + k]);
      }
      store_output(p, s, p.valid(b), y + r * T);
    }
  });
}

// Backward: gx (batch, channels, time), parts (batch, channels, width + 1): per-row weight dots and
// the bias sum.
// grad is read through its strides gs (autograd passes expanded, stride-0 gradients for sum()).
template <typename scalar_t, typename acc_t>
void conv_backward(const ConvProblem<acc_t>& p, const scalar_t* grad, const int64_t* gs, const scalar_t* x,
                   scalar_t* gx, double* parts) {
  const int64_t T = p.time, K = p.width;
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(T * K, 1));
  at::parallel_for(0, p.batch * p.out_channels, grain, [&](int64_t r0, int64_t r1) {
    ConvScratch<acc_t> s(T, K);
    std::vector<acc_t> gzs[2] = {std::vector<acc_t>(T + K - 1), std::vector<acc_t>(T + K - 1)};
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / p.out_channels, co = r % p.out_channels;
      const int64_t valid = p.valid(b);
      const scalar_t* g = grad + b * gs[0] + co * gs[1];
      const int64_t gt = gs[2];
      const bool need_z = p.act != ConvActivation::kNone;
      for (int i = 0; i < p.n_inputs(); ++i) {
        const int64_t c = p.input_channel(co, i);
        acc_t* buf = s.buf[i].data();
        load_row(x + (b * p.channels + c) * T, static_cast<const scalar_t*>(nullptr), T, K, buf);
        if (need_z) conv_row(buf, p.w + c * K, static_cast<int>(K), bias_of(p, c), s.z[i].data(), T);
      }
      // Pre-activation gradients, zero at t >= valid and in the K - 1 tail the input gradient reads.
      acc_t* ga = gzs[0].data();
      acc_t* gg = gzs[1].data();
      const acc_t* za = s.z[0].data();
      if (p.act == ConvActivation::kGlu) {
        const acc_t* zg = s.z[1].data();
        for (int64_t t = 0; t < valid; ++t) {
          const acc_t gv = static_cast<acc_t>(g[t * gt]), sg = conv_sigmoid(zg[t]);
          ga[t] = gv * sg;
          gg[t] = gv * za[t] * sg * (acc_t(1) - sg);
        }
      } else if (p.act == ConvActivation::kNone) {
        for (int64_t t = 0; t < valid; ++t) ga[t] = static_cast<acc_t>(g[t * gt]);
      } else {
        for (int64_t t = 0; t < valid; ++t) ga[t] = static_cast<acc_t>(g[t * gt]) * conv_activation_grad(za[t], p.act);
      }
      for (int i = 0; i < p.n_inputs(); ++i) {
        acc_t* gz = gzs[i].data();
        std::fill(gz + valid, gz + T + K - 1, acc_t(0));
        const int64_t c = p.input_channel(co, i);
        const int64_t row = b * p.channels + c;
        double* part = parts + row * (K + 1);
        weight_dots(gz, s.buf[i].data(), static_cast<int>(K), T, part);
        double bsum = 0.0;
        for (int64_t t = 0; t < valid; ++t) bsum += gz[t];
        part[K] = bsum;
        // gx[t] = sum_k w[k] gz[t + K - 1 - k]: the forward loop with reversed taps over [gz, zeros].
        for (int64_t k = 0; k < K; ++k) s.wr[k] = p.w[c * K + K - 1 - k];
        acc_t* out = s.z[i].data();
        conv_row(gz, s.wr.data(), static_cast<int>(K), acc_t(0), out, T);
        scalar_t* gxr = gx + row * T;
        for (int64_t t = 0; t < T; ++t) gxr[t] = static_cast<scalar_t>(out[t]);
      }
    }
  });
}

template <typename acc_t>
ConvProblem<acc_t> make_problem(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias_acc,
                                const std::optional<at::Tensor>& lengths, ConvActivation act) {
  return ConvProblem<acc_t>{x.size(0),
                            x.size(1),
                            conv_out_channels(x.size(1), act),
                            x.size(2),
                            w.size(1),
                            act,
                            w.const_data_ptr<acc_t>(),
                            bias_acc.defined() ? bias_acc.const_data_ptr<acc_t>() : nullptr,
                            lengths.has_value() ? lengths->const_data_ptr<int64_t>() : nullptr};
}

}  // namespace

at::Tensor causal_conv1d_cpu(const at::Tensor& input, const at::Tensor& weight, const std::optional<at::Tensor>& bias,
                             const std::optional<at::Tensor>& lengths, c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, lengths, activation);
  const at::Tensor x = input.contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  const std::optional<at::Tensor> len =
      lengths.has_value() ? std::optional<at::Tensor>(lengths->contiguous()) : std::nullopt;
  at::Tensor y = at::empty({x.size(0), conv_out_channels(x.size(1), act), x.size(2)}, x.options());
  if (y.numel() == 0) return y;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_cpu", [&] {
    using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
    const ConvProblem<acc_t> p = make_problem<acc_t>(x, w, bw, len, act);
    conv_forward<scalar_t, scalar_t, acc_t>(p, x.const_data_ptr<scalar_t>(), nullptr, y.mutable_data_ptr<scalar_t>(),
                                            nullptr);
  });
  return y;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> causal_conv1d_backward_cpu(
    const at::Tensor& grad, const at::Tensor& input, const at::Tensor& weight, const std::optional<at::Tensor>& bias,
    const std::optional<at::Tensor>& lengths, c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, lengths, activation);
  const int64_t batch = input.size(0), channels = input.size(1), time = input.size(2), width = weight.size(1);
  const int64_t out_channels = conv_out_channels(channels, act);
  SONIX_CHECK(grad.dim() == 3 && grad.size(0) == batch && grad.size(1) == out_channels && grad.size(2) == time,
              "grad must have shape (", batch, ", ", out_channels, ", ", time, "), got ", grad.sizes());
  const at::Tensor x = input.contiguous();
  const at::Tensor g = grad.to(x.scalar_type());  // any strides
  const int64_t gs[3] = {g.stride(0), g.stride(1), g.stride(2)};
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  const std::optional<at::Tensor> len =
      lengths.has_value() ? std::optional<at::Tensor>(lengths->contiguous()) : std::nullopt;
  at::Tensor gx = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor parts = at::zeros({batch, channels, width + 1}, x.options().dtype(at::kDouble));
  if (x.numel() > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_backward_cpu", [&] {
      using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
      const ConvProblem<acc_t> p = make_problem<acc_t>(x, w, bw, len, act);
      conv_backward<scalar_t, acc_t>(p, g.const_data_ptr<scalar_t>(), gs, x.const_data_ptr<scalar_t>(),
                                     gx.mutable_data_ptr<scalar_t>(), parts.mutable_data_ptr<double>());
    });
  }
  // Sum over the batch in order (at::sum over dim 0 of a contiguous CPU tensor is not guaranteed to).
  at::Tensor total = at::zeros({channels, width + 1}, parts.options());
  const double* pp = parts.const_data_ptr<double>();
  double* tp = total.mutable_data_ptr<double>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < channels * (width + 1); ++i) tp[i] += pp[b * channels * (width + 1) + i];
  at::Tensor gw = total.narrow(1, 0, width).to(weight.scalar_type()).contiguous();
  at::Tensor gb = bias.has_value() ? total.select(1, width).to(bias->scalar_type()).contiguous()
                                   : at::empty({0}, weight.options());
  return {gx, gw, gb};
}

std::tuple<at::Tensor, at::Tensor> causal_conv1d_update_cpu(const at::Tensor& input, const at::Tensor& conv_state,
                                                            const at::Tensor& weight,
                                                            const std::optional<at::Tensor>& bias,
                                                            c10::string_view activation) {
  const ConvActivation act = check_causal_conv_args(input, weight, bias, std::nullopt, activation);
  const int64_t batch = input.size(0), channels = input.size(1), width = weight.size(1);
  check_float_input(conv_state, "conv_state");
  check_same_device(conv_state, "conv_state", input, "input");
  SONIX_CHECK(conv_state.dim() == 3 && conv_state.size(0) == batch && conv_state.size(1) == channels &&
                  conv_state.size(2) == width - 1,
              "conv_state must have shape (", batch, ", ", channels, ", ", width - 1, "), got ", conv_state.sizes());
  const at::Tensor x = input.contiguous();
  const at::Tensor st = conv_state.to(x.scalar_type()).contiguous();
  const at::ScalarType acc = compute_type(x.scalar_type());
  const at::Tensor w = weight.to(acc).contiguous();
  const at::Tensor bw = bias.has_value() ? bias->to(acc).contiguous() : at::Tensor();
  at::Tensor y = at::empty({batch, conv_out_channels(channels, act), x.size(2)}, x.options());
  at::Tensor new_state = at::empty({batch, channels, width - 1}, x.options());
  if (batch * channels > 0) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_causal_conv1d_update_cpu", [&] {
      using acc_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
      const ConvProblem<acc_t> p = make_problem<acc_t>(x, w, bw, std::nullopt, act);
      conv_forward<scalar_t, scalar_t, acc_t>(p, x.const_data_ptr<scalar_t>(), st.const_data_ptr<scalar_t>(),
                                              y.mutable_data_ptr<scalar_t>(), new_state.mutable_data_ptr<scalar_t>());
    });
  }
  return {y, new_state.to(conv_state.scalar_type())};
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("causal_conv1d", &causal_conv1d_cpu);
  m.impl("causal_conv1d_backward", &causal_conv1d_backward_cpu);
  m.impl("causal_conv1d_update", &causal_conv1d_update_cpu);
}

}  // namespace sonix
