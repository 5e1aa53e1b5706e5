// CPU kernels of the fused spectrogram -> (mel) -> (log) op and its backward.
//
// Per block of frames: frame + window, one-sided FFT into an L2-resident buffer, power, sparse mel
// projection (each triangular filter touches only its own bin range), log. The complex spectrogram
// of the batch never exists; the backward recomputes each block's spectrum instead of storing it.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/library.h>

#include "core/fast_log_cpu.h"
#include "spectral/blocks_cpu.h"
#include "spectral/spectral_common.h"

namespace sonix {
namespace {

using namespace sonix::cpu;

// The filterbank transposed to (n_mels, n_freq) plus the [lo, hi) range of non-zero bins per band.
template <typename acc_t>
struct SparseMel {
  at::Tensor fbt;
  std::vector<int64_t> lo, hi;
  int64_t n_mels = 0;
};

template <typename acc_t>
SparseMel<acc_t> make_sparse_mel(const at::Tensor& fb, at::ScalarType ct) {
  SparseMel<acc_t> s;
  s.fbt = fb.to(ct).t().contiguous();
  s.n_mels = s.fbt.size(0);
  const int64_t n_freq = s.fbt.size(1);
  const acc_t* f = s.fbt.template const_data_ptr<acc_t>();
  s.lo.assign(s.n_mels, 0);
  s.hi.assign(s.n_mels, 0);
  for (int64_t m = 0; m < s.n_mels; ++m) {
    int64_t lo = n_freq, hi = 0;
    for (int64_t k = 0; k < n_freq; ++k)
      if (f[m * n_freq + k] != acc_t(0)) {  // NaN weights count as non-zero and propagate
        lo = std::min(lo, k);
        hi = k + 1;
      }
    s.lo[m] = lo < hi ? lo : 0;
    s.hi[m] = lo < hi ? hi : 0;
  }
  return s;
}

// One band of the projection: a dot product over the band's non-zero bins. The simd reduction lets
// the compiler split the sum over vector lanes (a plain loop is one serial chain of adds).
template <typename acc_t>
inline acc_t band_dot(const acc_t* f, const acc_t* P, int64_t lo, int64_t hi) {
  acc_t acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t k = lo; k < hi; ++k) acc += f[k] * P[k];
  return acc;
}

struct Scratch {
  at::Tensor frames, power, values;
};

}  // namespace

at::Tensor mel_spectrogram_cpu(const at::Tensor& input, const at::Tensor& window, const c10::optional<at::Tensor>& mel_fb,
                               int64_t n_fft, int64_t hop, bool center, c10::string_view pad_mode, double power,
                               bool log, double log_scale, double log_offset, double log_amin, double log_bias) {
  const MelArgs a =
      mel_args(input, window, mel_fb, n_fft, hop, center, pad_mode, power, log, log_scale, log_offset, log_amin, log_bias);
  const FrameGeometry& g = a.g;
  const LogParams& lp = a.lp;
  const auto ct = compute_type(input.scalar_type());
  const at::Tensor x = input.contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t rows = a.rows, n_freq = a.n_freq, n_out = a.n_out;
  at::Tensor out = at::empty({rows, n_out, g.n_frames}, x.options());
  const BlockPlan plan = plan_blocks(g, false);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_mel_spectrogram_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    using cplx = c10::complex<acc_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const acc_t* wp = w.const_data_ptr<acc_t>();
    scalar_t* op = out.mutable_data_ptr<scalar_t>();
    SparseMel<acc_t> mel;
    if (mel_fb.has_value()) mel = make_sparse_mel<acc_t>(*mel_fb, ct);
    const acc_t* fbt = mel_fb.has_value() ? mel.fbt.template const_data_ptr<acc_t>() : nullptr;
    const acc_t pw = static_cast<acc_t>(power);
    const auto opts = w.options();
    parallel_blocks(
        rows, plan, false,
        [&] {
          return Scratch{at::empty({plan.size, n_fft}, opts),
                         at::empty({n_freq}, opts), at::empty({plan.size, n_out}, opts)};
        },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          frame_block(xp + b * g.length, wp, g, f0, nf, s.frames.mutable_data_ptr<acc_t>());
          const at::Tensor spec = rfft_rows(s.frames.narrow(0, 0, nf));
          const cplx* sp = spec.const_data_ptr<cplx>();
          acc_t* P = s.power.mutable_data_ptr<acc_t>();
          acc_t* vals = s.values.mutable_data_ptr<acc_t>();
          for (int64_t j = 0; j < nf; ++j) {
            const cplx* X = sp + j * n_freq;
            acc_t* v = vals + j * n_out;
            if (fbt == nullptr) {
              for (int64_t k = 0; k < n_freq; ++k) v[k] = spectral_power(X[k].real(), X[k].imag(), pw);
            } else {
              for (int64_t k = 0; k < n_freq; ++k) P[k] = spectral_power(X[k].real(), X[k].imag(), pw);
              for (int64_t m = 0; m < n_out; ++m) {
                v[m] = band_dot(fbt + m * n_freq, P, mel.lo[m], mel.hi[m]);
              }
            }
          }
          if (lp.enabled) log_compress_row(vals, nf * n_out, lp);
          // (frames, bands) block -> (bands, frames) output rows.
          scalar_t* o = op + b * n_out * g.n_frames + f0;
          for (int64_t m = 0; m < n_out; ++m)
            for (int64_t j = 0; j < nf; ++j) o[m * g.n_frames + j] = static_cast<scalar_t>(vals[j * n_out + m]);
        });
  });
  return out;
}

at::Tensor mel_spectrogram_backward_cpu(const at::Tensor& grad, const at::Tensor& input, const at::Tensor& window,
                                        const c10::optional<at::Tensor>& mel_fb, int64_t n_fft, int64_t hop,
                                        bool center, c10::string_view pad_mode, double power, bool log,
                                        double log_scale, double log_offset, double log_amin, double log_bias) {
  const MelArgs a =
      mel_args(input, window, mel_fb, n_fft, hop, center, pad_mode, power, log, log_scale, log_offset, log_amin, log_bias);
  const FrameGeometry& g = a.g;
  const LogParams& lp = a.lp;
  const auto ct = compute_type(input.scalar_type());
  const int64_t rows = a.rows, n_freq = a.n_freq, n_out = a.n_out;
  check_mel_grad(grad, input, a);
  const at::Tensor x = input.contiguous();
  const at::Tensor gy = grad.to(ct).contiguous();
  const at::Tensor w = window.to(ct).contiguous();
  const int64_t padded_len = g.length + 2 * g.pad;
  at::Tensor gp = at::zeros({rows, padded_len}, w.options());
  at::Tensor grad_x = at::empty({rows, g.length}, w.options());
  const BlockPlan plan = plan_blocks(g, true);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "sonix_mel_spectrogram_backward_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    using cplx = c10::complex<acc_t>;
    const scalar_t* xp = x.const_data_ptr<scalar_t>();
    const acc_t* wp = w.const_data_ptr<acc_t>();
    const acc_t* gyp = gy.const_data_ptr<acc_t>();
    acc_t* gpp = gp.mutable_data_ptr<acc_t>();
    SparseMel<acc_t> mel;
    if (mel_fb.has_value()) mel = make_sparse_mel<acc_t>(*mel_fb, ct);
    const acc_t* fbt = mel_fb.has_value() ? mel.fbt.template const_data_ptr<acc_t>() : nullptr;
    const acc_t pw = static_cast<acc_t>(power);
    const auto opts = w.options();
    parallel_blocks(
        rows, plan, true,
        [&] {
          // values holds the band gradients of one frame, power the bin gradients.
          return Scratch{at::empty({plan.size, n_fft}, opts),
                         at::empty({2 * n_freq}, opts), at::empty({n_out}, opts)};
        },
        [&](Scratch& s, int64_t b, int64_t f0, int64_t nf) {
          frame_block(xp + b * g.length, wp, g, f0, nf, s.frames.mutable_data_ptr<acc_t>());
          at::Tensor spec = rfft_rows(s.frames.narrow(0, 0, nf));
          cplx* sp = spec.mutable_data_ptr<cplx>();
          acc_t* P = s.power.mutable_data_ptr<acc_t>();
          acc_t* gP = P + n_freq;
          acc_t* gm = s.values.mutable_data_ptr<acc_t>();
          const acc_t* gb = gyp + b * n_out * g.n_frames + f0;
          for (int64_t j = 0; j < nf; ++j) {
            cplx* X = sp + j * n_freq;
            for (int64_t k = 0; k < n_freq; ++k) P[k] = spectral_power(X[k].real(), X[k].imag(), pw);
            if (fbt == nullptr) {
              for (int64_t k = 0; k < n_freq; ++k) {
                const acc_t gk = gb[k * g.n_frames + j];
                gP[k] = lp.enabled ? log_compress_grad(P[k], gk, lp) : gk;
              }
            } else {
              for (int64_t k = 0; k < n_freq; ++k) gP[k] = 0;
              for (int64_t m = 0; m < n_out; ++m) {
                const acc_t* f = fbt + m * n_freq;
                const acc_t gmm = gb[m * g.n_frames + j];
                if (lp.enabled) {
                  gm[m] = log_compress_grad(band_dot(f, P, mel.lo[m], mel.hi[m]), gmm, lp);
                } else {
                  gm[m] = gmm;
                }
                for (int64_t k = mel.lo[m]; k < mel.hi[m]; ++k) gP[k] += f[k] * gm[m];
              }
            }
            for (int64_t k = 0; k < n_freq; ++k)
              X[k] *= gP[k] * spectral_power_grad_scale(X[k].real(), X[k].imag(), pw) *
                      acc_t(onesided_adjoint_weight(k, n_fft));
          }
          const at::Tensor frames_grad = irfft_rows(spec, n_fft);
          overlap_add_block(frames_grad.const_data_ptr<acc_t>(), wp, g, f0, nf, gpp + b * padded_len);
        });
    fold_rows(gp.const_data_ptr<acc_t>(), rows, padded_len, g, grad_x.mutable_data_ptr<acc_t>());
  });
  return grad_x;
}

TORCH_LIBRARY_IMPL(sonix, CPU, m) {
  m.impl("mel_spectrogram", &mel_spectrogram_cpu);
  m.impl("mel_spectrogram_backward", &mel_spectrogram_backward_cpu);
}

}  // namespace sonix
