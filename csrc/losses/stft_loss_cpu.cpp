// CPU kernels of the fused STFT loss: per block of frames, frame + window both signals, one FFT call
// for the pair, then magnitudes, logs and the four per-row sums (stft_loss_math.h) without ever
// holding the complex spectrogram of the batch. Per-block partial sums are added in a fixed order,
// so results do not depend on the thread count. The backward recomputes each block's spectra, turns
// them into the gradient spectra and overlap-adds their adjoint FFT (as stft_backward does).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/fast_log_cpu.h"
#include "losses/losses_common.h"
#include "losses/stft_loss_math.h"
#include "spectral/blocks_cpu.h"

namespace sonix {
namespace {

using namespace sonix::cpu;

// Natural logs of a row of values in [eps, inf): the vectorisable float log where every value is a
// positive normal float, std::log otherwise.
template <typename T>
inline void log_row(const T* v, int64_t n, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    constexpr float lo = std::numeric_limits<float>::min(), hi = std::numeric_limits<float>::max();
    int32_t special = 0;
#pragma omp simd reduction(+ : special)
    for (int64_t i = 0; i < n; ++i) special += (v[i] >= lo && v[i] <= hi) ? 0 : 1;
    if (special == 0) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = fast_logf(v[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) out[i] = std::log(v[i]);
}

// Clamped powers of one frame's spectra X, Y (n one-sided bins): px, py; and ln(py) - ln(px) in l.
template <typename T>
inline void frame_powers(const c10::complex<T>* X, const c10::complex<T>* Y, int64_t n, T eps, T* px, T* py, T* lx,
                         T* ly) {
  for (int64_t k = 0; k < n; ++k) {
    const T a = X[k].real() * X[k].real() + X[k].imag() * X[k].imag();
    const T b = Y[k].real() * Y[k].real() + Y[k].imag() * Y[k].imag();
    px[k] = a;
    py[k] = b;
  }
  for (int64_t k = 0; k < n; ++k) {
    lx[k] = px[k] < eps ? eps : px[k];
    ly[k] = py[k] < eps ? eps : py[k];
  }
  log_row(lx, n, lx);
  log_row(ly, n, ly);
}

// The four sums of one frame (stft_loss_math.h) from its clamped logs and raw powers, in acc_t over
// vector lanes (the caller accumulates frames in double). Outside the dispatch lambda: pragmas do
// not survive macro arguments.
template <typename T>
inline void frame_sums(const T* px, const T* py, const T* lx, const T* ly, int64_t n, T eps, bool l2, T& s0, T& s1,
                       T& s2, T& s3) {
  T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
  for (int64_t k = 0; k < n; ++k) {
    const T cx = px[k] < eps ? eps : px[k], cy = py[k] < eps ? eps : py[k];
    const T d = std::sqrt(cy) - std::sqrt(cx);
    const T l = T(0.5) * (ly[k] - lx[k]);
    a0 += d * d;
    a1 += cy;
    a2 += l2 ? l * l : std::abs(l);
    a3 += l2 ? d * d : std::abs(d);
  }
  s0 = a0;
  s1 = a1;
  s2 = a2;
  s3 = a3;
}

// Gradient factors of one frame (stft_loss_bin_grad times the one-sided adjoint weight), over vector
// lanes into cx, cy; then the spectra are scaled in place.
template <typename T>
inline void frame_grad(c10::complex<T>* X, c10::complex<T>* Y, const T* px, const T* py, const T* lx, const T* ly,
                       const T* wgt, int64_t n, T eps, bool l2, const T* g, T* cx, T* cy) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T a, b;
    stft_loss_bin_grad(px[k], py[k], T(0.5) * (ly[k] - lx[k]), eps, l2, g, a, b);
    cx[k] = a * wgt[k];
    cy[k] = b * wgt[k];
  }
  for (int64_t k = 0; k < n; ++k) {
    X[k] *= cx[k];
    Y[k] *= cy[k];
  }
}

struct Scratch {
  at::Tensor frames, work;
};

Scratch make_scratch(const BlockPlan& plan, int64_t n_fft, int64_t n_freq, const at::TensorOptions& opts) {
  return Scratch{at::empty({2 * plan.size, n_fft}, opts), at::empty({6 * n_freq}, opts)};
}

}  // namespace

at::Tensor stft_loss_sums_cpu(const at::Tensor& input, const at::Tensor& target, const at::Tensor& window,
                              int64_t n_fft, int64_t hop, bool center, c10::string_view pad_mode, double eps,
                              int64_t distance) {
  const StftLossArgs a = stft_loss_args(input, target, window, n_fft, hop, center, pad_mode, eps, distance);
  const FrameGeometry& g = a.g;
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous(), y = target.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq;
  const bool l2 = a.l2;
  const BlockPlan plan = plan_blocks(g, false);
  std::vector<double> partial(rows * plan.per_row * kStftLossTerms, 0.0);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_stft_loss_sums_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    using cplx = c10::complex<acc_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const scalar_t* yp = y.const_data_ptr<scalar_t>();
    const acc_t* wp = w.const_data_ptr<acc_t>();
    const acc_t e = static_cast<acc_t>(eps);
    parallel_blocks(
        rows, plan, false, [&] { return make_scratch(plan, n_fft, n_freq, w.options()); },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          acc_t* fr = s.frames.mutable_data_ptr<acc_t>();
          frame_block(xp + b * g.length, wp, g, f0, nf, fr);
          frame_block(yp + b * g.length, wp, g, f0, nf, fr + nf * n_fft);
          const at::Tensor spec = rfft_rows(s.frames.narrow(0, 0, 2 * nf));
          const cplx* sp = spec.const_data_ptr<cplx>();
          acc_t* px = s.work.mutable_data_ptr<acc_t>();
          acc_t *py = px + n_freq, *lx = py + n_freq, *ly = lx + n_freq;
          double sums[kStftLossTerms] = {0, 0, 0, 0};
          for (int64_t j = 0; j < nf; ++j) {
            frame_powers(sp + j * n_freq, sp + (nf + j) * n_freq, n_freq, e, px, py, lx, ly);
            acc_t s0, s1, s2, s3;
            frame_sums(px, py, lx, ly, n_freq, e, l2, s0, s1, s2, s3);
            sums[0] += s0;
            sums[1] += s1;
            sums[2] += s2;
            sums[3] += s3;
          }
          double* dst = partial.data() + (b * plan.per_row + f0 / plan.size) * kStftLossTerms;
          for (int t = 0; t < kStftLossTerms; ++t) dst[t] = sums[t];
        });
  });
  // Fixed-order sum of the block partials of each row.
  at::Tensor out64 = at::zeros({rows, kStftLossTerms}, at::TensorOptions().dtype(at::kDouble));
  double* o = out64.mutable_data_ptr<double>();
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t blk = 0; blk < plan.per_row; ++blk)
      for (int t = 0; t < kStftLossTerms; ++t)
        o[b * kStftLossTerms + t] += partial[(b * plan.per_row + blk) * kStftLossTerms + t];
  return out64.to(ct);
}

std::tuple<at::Tensor, at::Tensor> stft_loss_sums_backward_cpu(const at::Tensor& grad, const at::Tensor& input,
                                                               const at::Tensor& target, const at::Tensor& window,
                                                               int64_t n_fft, int64_t hop, bool center,
                                                               c10::string_view pad_mode, double eps, int64_t distance,
                                                               bool input_grad, bool target_grad) {
  const StftLossArgs a = stft_loss_args(input, target, window, n_fft, hop, center, pad_mode, eps, distance);
  check_stft_loss_grad(grad, input, a);
  const FrameGeometry& g = a.g;
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous(), y = target.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const at::Tensor gs = grad.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq, padded_len = g.length + 2 * g.pad;
  const bool l2 = a.l2;
  const auto opts = w.options();
  at::Tensor gpx = input_grad ? at::zeros({rows, padded_len}, opts) : at::Tensor();
  at::Tensor gpy = target_grad ? at::zeros({rows, padded_len}, opts) : at::Tensor();
  at::Tensor grad_x = input_grad ? at::empty({rows, g.length}, opts) : at::empty({0}, opts);
  at::Tensor grad_y = target_grad ? at::empty({rows, g.length}, opts) : at::empty({0}, opts);
  if (!input_grad && !target_grad) return {grad_x, grad_y};
  const BlockPlan plan = plan_blocks(g, true);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_stft_loss_sums_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    using cplx = c10::complex<acc_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const scalar_t* yp = y.const_data_ptr<scalar_t>();
    const acc_t* wp = w.const_data_ptr<acc_t>();
    const acc_t* gsp = gs.const_data_ptr<acc_t>();
    const acc_t e = static_cast<acc_t>(eps);
    std::vector<acc_t> wgt(n_freq);
    for (int64_t k = 0; k < n_freq; ++k) wgt[k] = static_cast<acc_t>(onesided_adjoint_weight(k, n_fft));
    parallel_blocks(
        rows, plan, true, [&] { return make_scratch(plan, n_fft, n_freq, w.options()); },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          acc_t* fr = s.frames.mutable_data_ptr<acc_t>();
          frame_block(xp + b * g.length, wp, g, f0, nf, fr);
          frame_block(yp + b * g.length, wp, g, f0, nf, fr + nf * n_fft);
          at::Tensor spec = rfft_rows(s.frames.narrow(0, 0, 2 * nf));
          cplx* sp = spec.mutable_data_ptr<cplx>();
          acc_t* px = s.work.mutable_data_ptr<acc_t>();
          acc_t *py = px + n_freq, *lx = py + n_freq, *ly = lx + n_freq;
          const acc_t* gr = gsp + b * kStftLossTerms;
          for (int64_t j = 0; j < nf; ++j) {
            cplx* X = sp + j * n_freq;
            cplx* Y = sp + (nf + j) * n_freq;
            frame_powers(X, Y, n_freq, e, px, py, lx, ly);
            frame_grad(X, Y, px, py, lx, ly, wgt.data(), n_freq, e, l2, gr, ly + n_freq, ly + 2 * n_freq);
          }
          // Adjoint of the one-sided FFT for the signals that need a gradient, then overlap-add.
          const int64_t first = input_grad ? 0 : nf, count = (input_grad ? nf : 0) + (target_grad ? nf : 0);
          const at::Tensor fg = irfft_rows(spec.narrow(0, first, count), n_fft);
          const acc_t* fgp = fg.const_data_ptr<acc_t>();
          if (input_grad) overlap_add_block(fgp, wp, g, f0, nf, gpx.mutable_data_ptr<acc_t>() + b * padded_len);
          if (target_grad)
            overlap_add_block(fgp + (input_grad ? nf * n_fft : 0), wp, g, f0, nf,
                              gpy.mutable_data_ptr<acc_t>() + b * padded_len);
        });
    if (input_grad) fold_rows(gpx.const_data_ptr<acc_t>(), rows, padded_len, g, grad_x.mutable_data_ptr<acc_t>());
    if (target_grad) fold_rows(gpy.const_data_ptr<acc_t>(), rows, padded_len, g, grad_y.mutable_data_ptr<acc_t>());
  });
  return {grad_x, grad_y};
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("stft_loss_sums", &stft_loss_sums_cpu);
  m.impl("stft_loss_sums_backward", &stft_loss_sums_backward_cpu);
}

}  // namespace sonix
